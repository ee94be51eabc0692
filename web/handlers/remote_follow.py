"""Following something of another server by the address a member typed in a form (`name@host` or a URL): one
handler shape for a forum (`/forums/remote`) and for a person or an organization (`/follow/remote`). The rules
(what the address may name, the node's one Follow) are `federation.follows`'; this module only reads the form and
answers: a redirect to the followed thing's page here, or the form again with the error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from aiohttp import web

from deliberate.accounts.model import Account
from deliberate.errors import InvalidInput, RemoteUnreachable
from federation.resolver import Resolver
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user
from web.state import state

Followed = TypeVar("Followed", covariant=True)


class FollowByAddress(Protocol[Followed]):
    """`federation.follows.follow_forum` or `follow_actor`."""

    def __call__(self, resolver: Resolver, *, member: Account, address: str) -> Awaitable[Followed]: ...


async def follow_by_address(
    request: web.Request, follow: FollowByAddress[Followed], *, template: str, page_of: Callable[[Followed], str]
) -> web.Response:
    """POST address=…: `follow` what it names, then see its page here (`page_of`); on an address it cannot follow,
    or a server it cannot reach, `template` again with the address kept and the error shown."""
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        followed = await follow(app.fed.resolver, member=user, address=str(data.get("address", "")))
    except (InvalidInput, RemoteUnreachable) as error:
        return form_page(request, template, data=data, keep=("address",), error=error)
    return redirect(page_of(followed))
