"""SQL for forums, threads, posts, revisions and reactions. The only module that writes those tables.

Pages are keyset-paginated: the forum index on (last_post_at, id) descending, a thread on post id ascending, so
page 400 costs what page 1 costs.

A blocked server's content is hidden here, never deleted (issue 4: "block an instance (its content hidden, its
deliveries refused)"). What came from another server names its host: `account.origin` for a remote author's shadow
account, `forum.origin` for a mirrored forum. While that host's `instance.blocked_at` is set, every read below
leaves out the forum, the threads and posts its people wrote, the threads of its forums and the reactions its people
gave; unblocking shows them again as they were. The check is on reads, not on a copy of the block, so it takes effect
in the transaction that blocks. Because the services and the federation layer read through the same functions, a
hidden thread also takes no reply (it is not found) and is not relayed. Local rows (origin NULL) match no instance.
The counters lists show (a forum's threads, a thread's posts) leave out the hidden rows the same way (`_shown_count`).

A mirrored forum whose Group its own server deleted (`peers.actor_deleted` keeps the Group as a Tombstone) stays
readable at its address, but the lists leave it out, as Lemmy hides a deleted community: the forum index, search,
and the threads listed on a member's or an organization's page (`_NOT_DELETED_AT_ORIGIN`). Restored by its server
(`federation/processing.py`, an Undo of the Delete), it is listed again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from deliberate.forums.model import Forum, Post, Revision, SearchHit, Thread

# Highlights are marked with control characters, never with HTML: the source is untrusted text, and
# markup.highlight() escapes it before turning the marks into <mark> elements.
HEADLINE_OPTIONS = "StartSel=\x01, StopSel=\x02, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=\x03"


_POST = """p.id, p.thread_id, p.author_id, a.username AS author_username, a.display_name AS author_display_name,
           p.as_organization_id, o.name AS as_organization_name, o.slug AS as_organization_slug, p.reply_to_id,
           p.source, p.html, p.created_at, p.edited_at, p.deleted_at, p.hidden_at, p.hidden_reason, p.ap_id,
           a.origin AS author_origin"""
_POST_FROM = "post p JOIN account a ON a.id = p.author_id LEFT JOIN organization o ON o.id = p.as_organization_id"


# The hosts blocked now: an uncorrelated subquery, which PostgreSQL reads once per statement (an InitPlan). NULL when
# none is, which is nearly always. The cast makes `<> ALL (...)` compare with the array, not with a subquery's rows.
_BLOCKED = "(SELECT array_agg(b.host) FROM instance b WHERE b.blocked_at IS NOT NULL)::text[]"


def _shown_count(counter: str, hidden: str) -> str:
    """A stored counter (`thread.post_count`, `forum.thread_count`) less the rows a block hides (`hidden`, a count
    of them): the lists show what a reader can open. While no server is blocked the counter is read as stored and
    `hidden` is not run; while one is, `hidden` walks only the thread's posts or the forum's threads, by their
    index, and looks up each author by primary key (no index on `account.origin` or on authors is needed)."""
    return f"(CASE WHEN {_BLOCKED} IS NULL THEN {counter} ELSE {counter} - ({hidden}) END)"


_HIDDEN_THREADS = f"""SELECT count(*) FROM thread ht JOIN account ha ON ha.id = ht.author_id
                      WHERE ht.forum_id = f.id AND ha.origin = ANY ({_BLOCKED})"""
_HIDDEN_POSTS = f"""SELECT count(*) FROM post hp JOIN account ha ON ha.id = hp.author_id
                    WHERE hp.thread_id = t.id AND ha.origin = ANY ({_BLOCKED})"""

# Whether a forum `f` mirrors a Group that its server deleted. Only a mirror (ap_id set) is looked up, by the unique
# index on remote_actor.forum_id, so a local forum's row costs nothing more.
_DELETED_AT_ORIGIN = """(f.ap_id IS NOT NULL AND EXISTS (SELECT 1 FROM remote_actor dra
                                                        WHERE dra.forum_id = f.id AND dra.type = 'Tombstone'))"""
_NOT_DELETED_AT_ORIGIN = f"NOT {_DELETED_AT_ORIGIN}"

_FORUM = f"""f.id, f.slug, f.name, f.description, f.organization_id, o.slug AS organization_slug,
            o.name AS organization_name, f.visibility, f.created_at, f.ap_id, f.origin,
            {_shown_count("f.thread_count", _HIDDEN_THREADS)} AS thread_count,
            {_DELETED_AT_ORIGIN} AS deleted_at_origin"""
_FORUM_FROM = "forum f LEFT JOIN organization o ON o.id = f.organization_id"

# A thread's post count as readers see it, for any query that reads the thread as `t` (a consultation's sections).
SHOWN_POST_COUNT = _shown_count("t.post_count", _HIDDEN_POSTS)


def _thread_columns(last_post_at: str) -> str:
    return f"""t.id, t.forum_id, t.title, t.author_id, a.username AS author_username, t.as_organization_id,
               o.name AS as_organization_name, o.slug AS as_organization_slug, t.created_at,
               {last_post_at} AS last_post_at, t.locked_at, t.ap_id, {SHOWN_POST_COUNT} AS post_count"""


_THREAD = _thread_columns("t.last_post_at")
_THREAD_FROM = "thread t JOIN account a ON a.id = t.author_id LEFT JOIN organization o ON o.id = t.as_organization_id"


def _heard(*origins: str) -> str:
    """SQL true unless one of `origins` (host expressions, NULL for local rows) is a blocked server.

    While no server is blocked the statement reads the blocked hosts once and nothing per row: the per-row checks sit
    behind an OR that is not evaluated then, so `origins` may be subqueries (an author's account) that no join has to
    pay for. Joining `account` and `instance` instead made a search on a million posts 1.25x (common words) to 1.7x
    (rare words, 17 -> 28 ms) slower; this way it stays within 10% of the search without the check."""
    each = " AND ".join(f"coalesce({origin} <> ALL ({_BLOCKED}), true)" for origin in origins)
    return f"({_BLOCKED} IS NULL OR ({each}))"


def _origin_of_account(account_id: str) -> str:
    return f"(SELECT x.origin FROM account x WHERE x.id = {account_id})"


# A thread `t` (its author joined as `a`) is shown when neither its author's server nor its forum's is blocked.
_THREAD_SHOWN = _heard("a.origin", "(SELECT sf.origin FROM forum sf WHERE sf.id = t.forum_id)")
# A post `p` (its author joined as `a`) is shown when its author's server is not blocked and its thread is shown:
# a post is never found while its thread is not (the outbox reads the thread of every post it finds).
_POST_SHOWN = _heard(
    "a.origin",
    "(SELECT tx.origin FROM thread pt JOIN account tx ON tx.id = pt.author_id WHERE pt.id = p.thread_id)",
    "(SELECT sf.origin FROM thread pt JOIN forum sf ON sf.id = pt.forum_id WHERE pt.id = p.thread_id)",
)


async def insert_forum(
    conn: asyncpg.Connection,
    *,
    slug: str,
    name: str,
    description: str,
    organization_id: int | None,
    visibility: str,
    created_by: int,
    now: datetime,
    ap_id: str | None = None,
    origin: str | None = None,
    listed: bool = True,
) -> int:
    forum_id: int = await conn.fetchval(
        """
        INSERT INTO forum (slug, name, description, organization_id, visibility, created_by, created_at, ap_id, origin,
                           listed)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
        """,
        slug,
        name,
        description,
        organization_id,
        visibility,
        created_by,
        now,
        ap_id,
        origin,
        listed,
    )
    return forum_id


async def unlist_forum(conn: asyncpg.Connection, forum_id: int) -> None:
    await conn.execute("UPDATE forum SET listed = false WHERE id = $1", forum_id)


async def forum_slug_exists(conn: asyncpg.Connection, slug: str) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM forum WHERE slug = $1)", slug)
    return found


async def get_forum_by_slug(conn: asyncpg.Connection, slug: str) -> Forum | None:
    row = await conn.fetchrow(f"SELECT {_FORUM} FROM {_FORUM_FROM} WHERE f.slug = $1 AND {_heard('f.origin')}", slug)
    return Forum(**dict(row)) if row else None


async def get_forum_by_id(conn: asyncpg.Connection, forum_id: int) -> Forum | None:
    row = await conn.fetchrow(f"SELECT {_FORUM} FROM {_FORUM_FROM} WHERE f.id = $1 AND {_heard('f.origin')}", forum_id)
    return Forum(**dict(row)) if row else None


async def list_forums_visible_to(conn: asyncpg.Connection, account_id: int | None) -> list[Forum]:
    rows = await conn.fetch(
        f"""
        SELECT {_FORUM} FROM {_FORUM_FROM}
        WHERE f.listed AND {_heard("f.origin")} AND {_NOT_DELETED_AT_ORIGIN}
          AND (f.visibility = 'public'
               OR EXISTS (SELECT 1 FROM organization_member m
                          WHERE m.organization_id = f.organization_id AND m.account_id = $1))
        ORDER BY f.organization_id NULLS FIRST, lower(f.name)
        """,
        account_id,
    )
    return [Forum(**dict(row)) for row in rows]


async def list_forums_of_organization(conn: asyncpg.Connection, organization_id: int) -> list[Forum]:
    rows = await conn.fetch(
        f"SELECT {_FORUM} FROM {_FORUM_FROM} WHERE f.organization_id = $1 ORDER BY lower(f.name)", organization_id
    )
    return [Forum(**dict(row)) for row in rows]


async def insert_thread(
    conn: asyncpg.Connection,
    *,
    forum_id: int,
    title: str,
    author_id: int,
    as_organization_id: int | None,
    now: datetime,
    ap_id: str | None = None,
) -> int:
    thread_id: int = await conn.fetchval(
        """
        INSERT INTO thread (forum_id, title, author_id, as_organization_id, created_at, last_post_at, ap_id)
        VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id
        """,
        forum_id,
        title,
        author_id,
        as_organization_id,
        now,
        ap_id,
    )
    await conn.execute("UPDATE forum SET thread_count = thread_count + 1 WHERE id = $1", forum_id)
    return thread_id


async def get_thread(conn: asyncpg.Connection, thread_id: int, *, for_update: bool = False) -> Thread | None:
    if for_update:
        await conn.execute("SELECT 1 FROM thread WHERE id = $1 FOR UPDATE", thread_id)
    row = await conn.fetchrow(f"SELECT {_THREAD} FROM {_THREAD_FROM} WHERE t.id = $1 AND {_THREAD_SHOWN}", thread_id)
    return Thread(**dict(row)) if row else None


# The time of a thread `t`'s last post that readers see: a blocked server's replies are left out.
_SHOWN_LAST_POST_AT = f"""(SELECT max(sp.created_at) FROM post sp WHERE sp.thread_id = t.id
                           AND coalesce({_origin_of_account("sp.author_id")} <> ALL ({_BLOCKED}), true))"""


async def list_threads(
    conn: asyncpg.Connection, forum_id: int, *, before: tuple[datetime, int] | None, limit: int
) -> list[Thread]:
    """A forum's threads, the latest activity first. While a server is blocked, a thread whose latest posts came from
    it is placed (and dated, so the page's cursor follows the same order) by its last post that readers see.

    Two branches, of which PostgreSQL runs one: each is gated by whether any server is blocked, a one-time filter on
    the uncorrelated `_BLOCKED`. While none is, the first branch is the plain keyset walk down
    `thread_forum_activity_idx` that stops after `limit` rows, as before blocks were looked at.

    While one is, no index holds the order (it depends on which servers are blocked now), but the stored time bounds
    it: a thread's shown time is never later than its stored `last_post_at`. The `limit` threads that come next in
    the stored order are all on or after this page's place, so the page's last row is no earlier (in shown time and
    id) than the earliest of them (`bound`), and only threads stored at or after `bound` can be on the page: those
    are read by the same index, their shown times computed (each through `post_thread_idx`) and sorted. That is
    about `limit` threads on the first page unless a blocked server bumped old ones; a later page also rereads the
    threads of the pages before it, which a block may have moved down past it."""
    rows = await conn.fetch(
        f"""
        SELECT * FROM (
            (SELECT {_THREAD} FROM {_THREAD_FROM}
             WHERE {_BLOCKED} IS NULL
               AND t.forum_id = $1 AND ($2::timestamptz IS NULL OR (t.last_post_at, t.id) < ($2, $3))
             ORDER BY t.last_post_at DESC, t.id DESC
             LIMIT $4)
            UNION ALL
            (WITH next_stored AS (
                SELECT t.id, {_SHOWN_LAST_POST_AT} AS shown FROM thread t JOIN account a ON a.id = t.author_id
                WHERE t.forum_id = $1 AND {_heard("a.origin")}
                  AND ($2::timestamptz IS NULL OR (t.last_post_at, t.id) < ($2, $3))
                ORDER BY t.last_post_at DESC, t.id DESC
                LIMIT $4
             ), bound AS (
                SELECT shown, id FROM next_stored WHERE (SELECT count(*) FROM next_stored) = $4
                ORDER BY shown, id LIMIT 1
             )
             SELECT * FROM (
                SELECT {_thread_columns(_SHOWN_LAST_POST_AT)} FROM {_THREAD_FROM}
                WHERE {_BLOCKED} IS NOT NULL AND t.forum_id = $1 AND {_heard("a.origin")}
                  AND (t.last_post_at, t.id) >= (coalesce((SELECT shown FROM bound), '-infinity'),
                                                 coalesce((SELECT id FROM bound), 0))
             ) shown
             WHERE $2::timestamptz IS NULL OR (shown.last_post_at, shown.id) < ($2, $3)
             ORDER BY shown.last_post_at DESC, shown.id DESC
             LIMIT $4)
        ) page
        ORDER BY page.last_post_at DESC, page.id DESC
        """,
        forum_id,
        before[0] if before else None,
        before[1] if before else None,
        limit,
    )
    return [Thread(**dict(row)) for row in rows]


async def set_thread_lock(conn: asyncpg.Connection, thread_id: int, *, by: int | None, now: datetime | None) -> None:
    await conn.execute("UPDATE thread SET locked_at = $2, locked_by = $3 WHERE id = $1", thread_id, now, by)


async def insert_post(
    conn: asyncpg.Connection,
    *,
    thread_id: int,
    author_id: int,
    as_organization_id: int | None,
    reply_to_id: int | None,
    source: str,
    html: str,
    now: datetime,
    ap_id: str | None = None,
    ap_object: dict[str, Any] | None = None,
) -> int:
    """Insert a post and bump its thread's counters in one statement each (no read-modify-write race)."""
    post_id: int = await conn.fetchval(
        """
        INSERT INTO post (thread_id, author_id, as_organization_id, reply_to_id, source, html, created_at, ap_id,
                          ap_object)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
        """,
        thread_id,
        author_id,
        as_organization_id,
        reply_to_id,
        source,
        html,
        now,
        ap_id,
        ap_object,
    )
    await conn.execute(
        "UPDATE thread SET post_count = post_count + 1, last_post_at = greatest(last_post_at, $2) WHERE id = $1",
        thread_id,
        now,
    )
    return post_id


async def get_post(conn: asyncpg.Connection, post_id: int, *, for_update: bool = False) -> Post | None:
    if for_update:
        await conn.execute("SELECT 1 FROM post WHERE id = $1 FOR UPDATE", post_id)
    row = await conn.fetchrow(f"SELECT {_POST} FROM {_POST_FROM} WHERE p.id = $1 AND {_POST_SHOWN}", post_id)
    return Post(**dict(row)) if row else None


async def list_posts(conn: asyncpg.Connection, thread_id: int, *, after_id: int | None, limit: int) -> list[Post]:
    rows = await conn.fetch(
        f"""
        SELECT {_POST},
               (SELECT coalesce(jsonb_object_agg(kind, n), '{{}}'::jsonb)
                FROM (SELECT kind, count(*) AS n FROM reaction r
                      WHERE r.post_id = p.id AND {_heard(_origin_of_account("r.account_id"))} GROUP BY kind) k
               ) AS reactions
        FROM {_POST_FROM}
        WHERE p.thread_id = $1 AND p.id > coalesce($2, 0) AND {_heard("a.origin")}
        ORDER BY p.id
        LIMIT $3
        """,
        thread_id,
        after_id,
        limit,
    )
    return [Post(**dict(row)) for row in rows]


async def update_post_text(
    conn: asyncpg.Connection, post_id: int, *, old_source: str, source: str, html: str, now: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO post_revision (post_id, revision, source, replaced_at)
        SELECT $1, coalesce(max(revision), 0) + 1, $2, $3 FROM post_revision WHERE post_id = $1
        """,
        post_id,
        old_source,
        now,
    )
    await conn.execute(
        "UPDATE post SET source = $2, html = $3, edited_at = $4 WHERE id = $1", post_id, source, html, now
    )


async def list_revisions(conn: asyncpg.Connection, post_id: int) -> list[Revision]:
    rows = await conn.fetch(
        "SELECT revision, source, replaced_at FROM post_revision WHERE post_id = $1 ORDER BY revision", post_id
    )
    return [Revision(**dict(row)) for row in rows]


async def tombstone_post(conn: asyncpg.Connection, post_id: int, *, now: datetime) -> None:
    """The text and its history are erased; the row stays so the thread and its replies keep their shape."""
    await conn.execute("DELETE FROM post_revision WHERE post_id = $1", post_id)
    await conn.execute("UPDATE post SET source = '', html = '', deleted_at = $2 WHERE id = $1", post_id, now)


async def set_post_hidden(conn: asyncpg.Connection, post_id: int, *, reason: str, now: datetime) -> None:
    """A moderator hides the post: the text stays (an appeal may restore it), pages show the reason instead."""
    await conn.execute("UPDATE post SET hidden_at = $2, hidden_reason = $3 WHERE id = $1", post_id, now, reason)


async def set_post_visible(conn: asyncpg.Connection, post_id: int) -> None:
    await conn.execute("UPDATE post SET hidden_at = NULL, hidden_reason = NULL WHERE id = $1", post_id)


async def toggle_reaction(conn: asyncpg.Connection, post_id: int, account_id: int, *, kind: str, now: datetime) -> bool:
    """Add the reaction, or remove it if it was there; True when it is now present."""
    removed = await conn.fetchval(
        "DELETE FROM reaction WHERE post_id = $1 AND account_id = $2 AND kind = $3 RETURNING true",
        post_id,
        account_id,
        kind,
    )
    if removed:
        return False
    await conn.execute(
        """
        INSERT INTO reaction (post_id, account_id, kind, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT DO NOTHING
        """,
        post_id,
        account_id,
        kind,
        now,
    )
    return True


async def search_posts(
    conn: asyncpg.Connection, *, query: str, account_id: int | None, limit: int, before: int | None = None
) -> list[SearchHit]:
    """Matching posts newest first, keyset-paginated on the post id (`before`).

    Newest first rather than by rank is what keeps a search as fast on a million posts as on a thousand: a common
    word is answered by walking the post id index backwards until the page is full (a few hundred rows), a rare one
    by the GIN index (few rows to sort); ranking would score every match, 25,000 for two common words. The planner
    can only choose between the two when it sees the words, so the query runs with a custom plan each time: a
    generic plan for an unknown tsquery would walk the whole index for a rare word.
    """
    async with conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await conn.fetch(
            f"""
            WITH q AS (SELECT websearch_to_tsquery('es_unaccent', $1) AS query)
            SELECT p.id AS post_id, t.id AS thread_id, t.title AS thread_title, f.slug AS forum_slug,
                   ts_headline('es_unaccent', p.source, q.query, $4) AS snippet,
                   p.created_at
            FROM q, post p
            JOIN thread t ON t.id = p.thread_id
            JOIN forum f ON f.id = t.forum_id
            WHERE p.search @@ q.query AND p.deleted_at IS NULL AND p.hidden_at IS NULL
              AND {_heard(_origin_of_account("p.author_id"), _origin_of_account("t.author_id"), "f.origin")}
              AND {_NOT_DELETED_AT_ORIGIN}
              AND ($5::bigint IS NULL OR p.id < $5)
              AND (f.visibility = 'public' OR EXISTS (
                    SELECT 1 FROM organization_member m
                    WHERE m.organization_id = f.organization_id AND m.account_id = $2))
            ORDER BY p.id DESC
            LIMIT $3
            """,
            query,
            account_id,
            limit,
            HEADLINE_OPTIONS,
            before,
        )
    return [SearchHit(**dict(row)) for row in rows]


async def list_threads_started(
    conn: asyncpg.Connection,
    *,
    organization_id: int | None = None,
    author_id: int | None = None,
    account_id: int | None,
    limit: int,
) -> list[Thread]:
    """Threads started in an organization's name, or by a member in their own name, newest first, in forums the
    reader (`account_id`) may see."""
    rows = await conn.fetch(
        f"""
        SELECT {_THREAD} FROM {_THREAD_FROM}
        JOIN forum f ON f.id = t.forum_id
        WHERE ($1::bigint IS NULL OR t.as_organization_id = $1)
          AND ($2::bigint IS NULL OR (t.author_id = $2 AND t.as_organization_id IS NULL))
          AND {_heard("a.origin", "f.origin")} AND {_NOT_DELETED_AT_ORIGIN}
          AND (f.visibility = 'public' OR EXISTS (
                SELECT 1 FROM organization_member m WHERE m.organization_id = f.organization_id AND m.account_id = $3))
        ORDER BY t.created_at DESC, t.id DESC
        LIMIT $4
        """,
        organization_id,
        author_id,
        account_id,
        limit,
    )
    return [Thread(**dict(row)) for row in rows]


async def get_opening_post_id(conn: asyncpg.Connection, thread_id: int) -> int | None:
    value: int | None = await conn.fetchval("SELECT min(id) FROM post WHERE thread_id = $1", thread_id)
    return value


async def find_by_ap_id(conn: asyncpg.Connection, ap_id: str) -> tuple[int | None, int | None]:
    """(post id, thread id) of a remote object we hold, by its ActivityPub id; a thread's id finds its first post."""
    row = await conn.fetchrow(
        """
        SELECT p.id AS post_id, p.thread_id FROM post p WHERE p.ap_id = $1
        UNION ALL
        SELECT (SELECT min(p.id) FROM post p WHERE p.thread_id = t.id), t.id FROM thread t WHERE t.ap_id = $1
        LIMIT 1
        """,
        ap_id,
    )
    return (row["post_id"], row["thread_id"]) if row else (None, None)


async def get_ap_object(conn: asyncpg.Connection, post_id: int) -> dict[str, Any] | None:
    value: dict[str, Any] | None = await conn.fetchval("SELECT ap_object FROM post WHERE id = $1", post_id)
    return value


async def set_ap_object(conn: asyncpg.Connection, post_id: int, ap_object: dict[str, Any]) -> None:
    await conn.execute("UPDATE post SET ap_object = $2 WHERE id = $1", post_id, ap_object)


async def set_reaction(
    conn: asyncpg.Connection, post_id: int, account_id: int, *, kind: str, present: bool, now: datetime
) -> bool:
    """Make the reaction present or absent (a remote Like and its Undo are not toggles); True when it changed."""
    if present:
        status: str = await conn.execute(
            """
            INSERT INTO reaction (post_id, account_id, kind, created_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT DO NOTHING
            """,
            post_id, account_id, kind, now,
        )  # fmt: skip
        return status != "INSERT 0 0"
    status = await conn.execute(
        "DELETE FROM reaction WHERE post_id = $1 AND account_id = $2 AND kind = $3", post_id, account_id, kind
    )
    return status != "DELETE 0"
