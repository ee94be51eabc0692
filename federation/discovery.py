"""WebFinger (RFC 7033) and NodeInfo 2.1: how other servers find this node's actors and what software it runs.

WebFinger answers `acct:NAME@HOST` with a JRD whose `self` link points at the actor document. Members,
organizations and forums have separate namespaces here (a member and a forum may share a name), so a name can
match more than one actor: all are listed, member first, as Lemmy does for a person and a community of one name;
Mastodon takes the first `self` link. Each `self` link says its actor's type in `properties` (Lemmy's way); when
we look a name up on another server, `actor_link` takes the link of the type the caller wants (a Group to follow a
forum, a Person or an Organization to follow someone) and the first link otherwise, as Mastodon does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from federation.actors import ACTIVITY_JSON

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
SOFTWARE_NAME = "deliberate"
AS_TYPE = "https://www.w3.org/ns/activitystreams#type"  # a `self` link's property naming its actor's type (Lemmy)
AS2_MEDIA_TYPES = frozenset({"application/activity+json", "application/ld+json"})  # an AS2 document, however served


# The first segment of an actor's URL here, and the AS2 type of the actor it names.
KIND_OF_SEGMENT = {"u": "Person", "o": "Organization", "f": "Group"}


@dataclass(frozen=True)
class WebfingerQuery:
    name: str
    host: str
    kind: str | None = None  # the one type asked for, when the resource is an actor's URL (which names one actor)


def parse_resource(resource: str) -> WebfingerQuery | None:
    """`acct:rosa@ves.example.pe` (every actor of that name), or an actor's https URL (that actor only); None when it
    is not one of ours."""
    resource = resource.strip()
    if resource.startswith("acct:"):
        name, sep, host = resource[5:].rpartition("@")
        if not sep or not name or not host:
            return None
        return WebfingerQuery(name.lstrip("@!"), host.lower())
    parts = urlsplit(resource)
    if parts.scheme in ("http", "https") and parts.netloc:
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) == 2 and segments[0] in KIND_OF_SEGMENT:
            return WebfingerQuery(segments[1], parts.netloc.lower(), KIND_OF_SEGMENT[segments[0]])
    return None


def jrd(subject: str, actor_ids: list[tuple[str, str]]) -> dict[str, Any]:
    """The WebFinger answer: `actor_ids` as (AS2 type, id) pairs."""
    links: list[dict[str, Any]] = []
    for kind, actor_id in actor_ids:
        links.append({"rel": "self", "type": ACTIVITY_JSON, "href": actor_id, "properties": {AS_TYPE: kind}})
        links.append({"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor_id})
    return {"subject": subject, "aliases": [actor_id for _, actor_id in actor_ids], "links": links}


def actor_link(document: Mapping[str, Any], *, prefer: Collection[str] = ()) -> str | None:
    """The actor a WebFinger answer (a JRD) names: among its ActivityPub `self` links, the first whose type property
    is one of `prefer`, else the first; None when it has none. A server lists several when actors of one name live
    in separate namespaces there (Lemmy: a person and a community; this node: a member, an organization, a forum),
    and marks each with its type (`properties`, as Lemmy does); Mastodon takes the first link, so such servers
    list a person first, and a Group is only found by asking for one."""
    links = document.get("links")
    found: list[tuple[str, object]] = []
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != "self" or not isinstance(link.get("href"), str):
            continue
        if str(link.get("type", "")).split(";")[0].strip().lower() not in AS2_MEDIA_TYPES:
            continue
        properties = link.get("properties")
        found.append((link["href"], properties.get(AS_TYPE) if isinstance(properties, dict) else None))
    for href, kind in found:
        if kind in prefer:
            return href
    return found[0][0] if found else None


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
