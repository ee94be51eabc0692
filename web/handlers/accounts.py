"""Register, log in, log out, change password: forms that re-render with translated errors and lose nothing typed
(except passwords, which are never sent back)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from deliberate.accounts import service as accounts
from deliberate.budgets import service as budgets
from deliberate.errors import DomainError, InvalidInput, RateLimited, Unavailable, WrongCredentials
from deliberate.forums import service as forums
from deliberate.members import service as members
from deliberate.notifications import service as notifications
from deliberate.organizations import service as orgs
from deliberate.peers import service as peers
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user, safe_next
from web.handlers.federation import person_document, wants_activity_json
from web.middlewares import client_address
from web.ratelimit import LoginLimiter
from web.render import page
from web.sessions import SESSION_COOKIE, SESSION_TTL, SessionStore
from web.state import USER, state

_KEEP = ("username", "display_name", "email", "phone", "next")


def _form_page(request: web.Request, template: str, data: dict[str, Any], error: DomainError | None) -> web.Response:
    return form_page(request, template, data=data, keep=_KEEP, error=error)


def _set_session_cookie(request: web.Request, response: web.StreamResponse, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=SESSION_TTL,
        httponly=True,
        samesite="Lax",
        secure=state(request).settings.secure_cookies,
        path="/",
    )


async def _start_session(request: web.Request, account_id: int, target: str) -> web.Response:
    try:
        session_id = await SessionStore(state(request).kv).create(account_id)
    except RedisError:
        raise Unavailable() from None
    response = redirect(target)
    _set_session_cookie(request, response, session_id)
    return response


async def register_form(request: web.Request) -> web.Response:
    return _form_page(request, "accounts/register.html", {}, None)


async def register(request: web.Request) -> web.Response:
    data = await form_data(request)
    app_state = state(request)
    try:
        async with app_state.db.acquire() as conn, conn.transaction():
            account = await accounts.register_account(
                conn, clock=app_state.clock, passwords=app_state.passwords, data=data
            )
    except InvalidInput as error:
        return _form_page(request, "accounts/register.html", data, error)
    return await _start_session(request, account.id, "/")


async def login_form(request: web.Request) -> web.Response:
    return _form_page(request, "accounts/login.html", {"next": request.query.get("next", "")}, None)


async def login(request: web.Request) -> web.Response:
    data = await form_data(request)
    app_state = state(request)
    username = str(data.get("username", "")).strip()
    address = client_address(request)
    limiter = LoginLimiter(
        app_state.kv,
        attempts=app_state.settings.login_attempts_per_window,
        window_seconds=app_state.settings.login_window_seconds,
    )
    try:
        await limiter.check(address, username)
    except RedisError:
        # Without Redis there is no rate limit and no session: refuse log-in rather than allow guessing.
        app_state.metrics.logins.labels("unavailable").inc()
        raise Unavailable() from None
    except RateLimited as error:
        app_state.metrics.logins.labels("rate_limited").inc()
        return _form_page(request, "accounts/login.html", data, error)
    try:
        async with app_state.db.acquire() as conn, conn.transaction():
            account = await accounts.authenticate(
                conn,
                clock=app_state.clock,
                passwords=app_state.passwords,
                username=username,
                password=str(data.get("password", "")),
            )
    except DomainError as error:
        app_state.metrics.logins.labels("refused").inc()
        if isinstance(error, WrongCredentials):
            try:
                await limiter.failed(address, username)
            except RedisError:
                raise Unavailable() from None
        return _form_page(request, "accounts/login.html", data, error)
    app_state.metrics.logins.labels("accepted").inc()
    try:
        await limiter.succeeded(address, username)
    except RedisError:
        raise Unavailable() from None
    return await _start_session(request, account.id, safe_next(str(data.get("next", ""))))


async def logout(request: web.Request) -> web.Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        try:
            await SessionStore(state(request).kv).end(session_id)
        except RedisError:
            raise Unavailable() from None
    response = redirect("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def password_form(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "accounts/password.html", context={"done": request.query.get("done") == "1"})


async def change_password(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app_state = state(request)
    try:
        async with app_state.db.acquire() as conn, conn.transaction():
            await accounts.change_password(
                conn, clock=app_state.clock, passwords=app_state.passwords, account_id=user.id, data=data
            )
    except InvalidInput as error:
        return form_page(request, "accounts/password.html", error=error, context={"done": False})
    try:
        # Someone who learned the old password may be signed in elsewhere: end every other session.
        await SessionStore(app_state.kv).end_others(user.id, request.cookies.get(SESSION_COOKIE))
    except RedisError:
        raise Unavailable() from None
    return redirect("/account/password?done=1")


async def tokens_page(request: web.Request) -> web.Response:
    user = require_user(request)
    async with state(request).db.acquire() as conn:
        tokens = await accounts.list_api_tokens(conn, actor=user)
    return form_page(request, "accounts/tokens.html", keep=("name",), context={"tokens": tokens, "new_token": None})


async def create_token(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app_state = state(request)
    try:
        async with app_state.db.acquire() as conn, conn.transaction():
            token, _ = await accounts.create_api_token(conn, clock=app_state.clock, actor=user, data=data)
            tokens = await accounts.list_api_tokens(conn, actor=user)
    except InvalidInput as error:
        async with app_state.db.acquire() as conn:
            tokens = await accounts.list_api_tokens(conn, actor=user)
        return form_page(request, "accounts/tokens.html", data=data, keep=("name",), error=error,
                         context={"tokens": tokens, "new_token": None})  # fmt: skip
    # Shown once, on this response only (never redirected through a URL or stored in plain text).
    return form_page(request, "accounts/tokens.html", keep=("name",), context={"tokens": tokens, "new_token": token})


async def revoke_token(request: web.Request) -> web.Response:
    user = require_user(request)
    try:
        token_id = int(request.match_info["token_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    app_state = state(request)
    async with app_state.db.acquire() as conn, conn.transaction():
        await accounts.revoke_api_token(conn, clock=app_state.clock, actor=user, token_id=token_id)
    return redirect("/account/tokens")


async def profile(request: web.Request) -> web.Response:
    """A member's public page: their name, the organizations they chose to appear in, the threads they started.
    `/u/NAME@HOST` is a person or an organization of another server as this node knows them (what they wrote here),
    with a button to follow them: their posts then reach the notices of whoever follows them."""
    if wants_activity_json(request):
        return await person_document(request, request.match_info["username"])
    viewer = request.get(USER)
    async with state(request).db.acquire() as conn:
        member = await members.access_profile(conn, request.match_info["username"])  # gone: 410; blocked: 404
        remote = await peers.actor_by_handle(conn, member.username)
        followable, following, follow_state = False, False, None
        if remote is not None and peers.is_followable(remote):
            followable = True
            following = await notifications.is_following(conn, actor=viewer, kind="remote_actor", target_id=remote.id)
            # Until the other server answers (or if it refused), the button alone would promise too much.
            follow_state = await peers.following_state(conn, remote) if following else None
        organizations = await orgs.public_memberships(conn, member)
        threads = await forums.threads_of_member(conn, author_id=member.id, viewer=viewer)
        # Officials see whether the member is a verified resident; nobody else is told.
        residency = (
            await budgets.resident_verification(conn, viewer=viewer, account_id=member.id)
            if budgets.is_official(viewer)
            else None
        )
    return page(
        request,
        "accounts/profile.html",
        {"member": member, "organizations": organizations, "threads": threads, "residency": residency,
         "remote": remote, "followable": followable, "following": following, "follow_state": follow_state},
    )  # fmt: skip
