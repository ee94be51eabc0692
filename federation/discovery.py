"""WebFinger (RFC 7033) and NodeInfo 2.1: how other servers find this node's actors and what software it runs.

WebFinger answers `acct:NAME@HOST` with a JRD whose `self` link points at the actor document. Members,
organizations and forums have separate namespaces here (a member and a forum may share a name), so a name can
match more than one actor: all are listed, member first, as Lemmy does for a person and a community of one name;
Mastodon takes the first `self` link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from federation.actors import ACTIVITY_JSON

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
SOFTWARE_NAME = "deliberate"


@dataclass(frozen=True)
class WebfingerQuery:
    name: str
    host: str


def parse_resource(resource: str) -> WebfingerQuery | None:
    """`acct:rosa@ves.example.pe` (or the actor's https URL's last segment); None when it is not one of ours."""
    resource = resource.strip()
    if resource.startswith("acct:"):
        name, sep, host = resource[5:].rpartition("@")
        if not sep or not name or not host:
            return None
        return WebfingerQuery(name.lstrip("@!"), host.lower())
    parts = urlsplit(resource)
    if parts.scheme in ("http", "https") and parts.netloc:
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) == 2 and segments[0] in ("u", "o", "f"):
            return WebfingerQuery(segments[1], parts.netloc.lower())
    return None


def jrd(subject: str, actor_ids: list[tuple[str, str]]) -> dict[str, Any]:
    """The WebFinger answer: `actor_ids` as (AS2 type, id) pairs."""
    links: list[dict[str, Any]] = []
    for kind, actor_id in actor_ids:
        links.append({"rel": "self", "type": ACTIVITY_JSON, "href": actor_id, "properties": {
            "https://www.w3.org/ns/activitystreams#type": kind}})  # fmt: skip
        links.append({"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor_id})
    return {"subject": subject, "aliases": [actor_id for _, actor_id in actor_ids], "links": links}


def nodeinfo_links(base_url: str) -> dict[str, Any]:
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{base_url}/nodeinfo/2.1"}]}


def nodeinfo(
    *, version: str, node_name: str, users_total: int, active_month: int, active_halfyear: int, local_posts: int,
    open_registrations: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """NodeInfo 2.1 (http://nodeinfo.diaspora.software/ns/schema/2.1)."""
    return {
        "version": "2.1",
        "software": {
            "name": SOFTWARE_NAME,
            "version": version,
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {"total": users_total, "activeMonth": active_month, "activeHalfyear": active_halfyear},
            "localPosts": local_posts,
        },
        "metadata": {"nodeName": node_name},
    }
