"""SQL for consultations, officials, responses, organization positions and the council's answers. The only module
that writes those tables. A page is a handful of queries whatever the number of sections or participants: sections,
questions and options come back in one query each, tallies are grouped in SQL."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from deliberate.consultations.model import (
    Consultation,
    CouncilAnswer,
    ExportRow,
    MyResponse,
    Official,
    Option,
    Position,
    Question,
    Section,
    Update,
)
from deliberate.forums.queries import SHOWN_POST_COUNT

_CONSULTATION = """c.id, c.slug, c.version, c.previous_id, c.superseded_at, c.title, c.summary, c.opens_at,
    c.closes_at, c.answer_due_at, c.audience, c.ask_stances, c.forum_id, c.published_by,
    a.username AS publisher_username, o.name AS publisher_name, o.office AS publisher_office, c.published_at,
    ans.answered_at, c.counting, c.ap_id, c.origin, c.published_summary"""
_CONSULTATION_FROM = """consultation c JOIN account a ON a.id = c.published_by
    LEFT JOIN official o ON o.account_id = c.published_by
    LEFT JOIN consultation_council_answer ans ON ans.consultation_id = c.id"""


def _consultation(row: asyncpg.Record) -> Consultation:
    return Consultation(**dict(row))


# Officials


async def upsert_official(conn: asyncpg.Connection, account_id: int, *, name: str, office: str, now: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO official (account_id, name, office, appointed_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_id) DO UPDATE SET name = EXCLUDED.name, office = EXCLUDED.office
        """,
        account_id,
        name,
        office,
        now,
    )


async def get_official(conn: asyncpg.Connection, account_id: int) -> Official | None:
    row = await conn.fetchrow(
        """
        SELECT o.account_id, a.username, o.name, o.office
        FROM official o JOIN account a ON a.id = o.account_id WHERE o.account_id = $1
        """,
        account_id,
    )
    return Official(**dict(row)) if row else None


async def list_officials(conn: asyncpg.Connection) -> list[Official]:
    rows = await conn.fetch(
        """
        SELECT o.account_id, a.username, o.name, o.office
        FROM official o JOIN account a ON a.id = o.account_id
        WHERE 'official' = ANY (a.roles) ORDER BY lower(o.name)
        """
    )
    return [Official(**dict(row)) for row in rows]


# Who may take part


async def is_organization_admin(conn: asyncpg.Connection, account_id: int) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM organization_member WHERE account_id = $1 AND role IN ('owner', 'admin'))",
        account_id,
    )
    return found


# Consultations


async def slug_taken(conn: asyncpg.Connection, slug: str) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM consultation WHERE slug = $1)", slug)
    return found


async def insert_consultation(
    conn: asyncpg.Connection,
    *,
    slug: str,
    version: int,
    previous_id: int | None,
    title: str,
    summary: str,
    opens_at: datetime,
    closes_at: datetime,
    answer_due_at: datetime,
    audience: str,
    ask_stances: bool,
    forum_id: int,
    published_by: int,
    now: datetime,
    counting: str = "everyone",
    ap_id: str | None = None,
    origin: str | None = None,
) -> int:
    consultation_id: int = await conn.fetchval(
        """
        INSERT INTO consultation (slug, version, previous_id, title, summary, opens_at, closes_at, answer_due_at,
                                  audience, ask_stances, forum_id, published_by, published_at, counting, ap_id,
                                  origin)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id
        """,
        slug,
        version,
        previous_id,
        title,
        summary,
        opens_at,
        closes_at,
        answer_due_at,
        audience,
        ask_stances,
        forum_id,
        published_by,
        now,
        counting,
        ap_id,
        origin,
    )
    return consultation_id


async def supersede(conn: asyncpg.Connection, consultation_id: int, *, now: datetime) -> None:
    await conn.execute("UPDATE consultation SET superseded_at = $2 WHERE id = $1", consultation_id, now)


async def carry_over_answers(conn: asyncpg.Connection, *, old_id: int, new_id: int) -> None:
    """Answers to what a new version did not change stay valid: stances on sections with the same number, heading and
    text, answers to questions with the same number, kind, prompt and options (matched by number), and the
    participants who gave them, with their choice about showing their name."""
    await conn.execute(
        """
        INSERT INTO consultation_stance (section_id, account_id, stance, reason, answered_at)
        SELECT n.id, st.account_id, st.stance, st.reason, st.answered_at
        FROM consultation_section o
        JOIN consultation_section n ON n.consultation_id = $2 AND n.number = o.number AND n.heading = o.heading
                                    AND n.source = o.source
        JOIN consultation_stance st ON st.section_id = o.id
        WHERE o.consultation_id = $1
        """,
        old_id,
        new_id,
    )
    await conn.execute(
        """
        WITH same AS (
            SELECT o.id AS old_question, n.id AS new_question
            FROM consultation_question o
            JOIN consultation_question n ON n.consultation_id = $2 AND n.number = o.number AND n.kind = o.kind
                                        AND n.prompt = o.prompt
            WHERE o.consultation_id = $1
              AND (SELECT array_agg(label ORDER BY number) FROM consultation_option WHERE question_id = o.id)
                  IS NOT DISTINCT FROM
                  (SELECT array_agg(label ORDER BY number) FROM consultation_option WHERE question_id = n.id)
        )
        INSERT INTO consultation_answer (question_id, account_id, option_ids, text, answered_at)
        SELECT same.new_question, a.account_id,
               coalesce((SELECT array_agg(nopt.id ORDER BY nopt.number)
                         FROM consultation_option oopt
                         JOIN consultation_option nopt ON nopt.question_id = same.new_question
                                                      AND nopt.number = oopt.number
                         WHERE oopt.id = ANY (a.option_ids)), '{}'),
               a.text, a.answered_at
        FROM same JOIN consultation_answer a ON a.question_id = same.old_question
        """,
        old_id,
        new_id,
    )
    await conn.execute(
        """
        INSERT INTO consultation_participant (consultation_id, account_id, show_name, first_answered_at,
                                              last_answered_at)
        SELECT $2, p.account_id, p.show_name, p.first_answered_at, p.last_answered_at
        FROM consultation_participant p
        WHERE p.consultation_id = $1
          AND (EXISTS (SELECT 1 FROM consultation_stance st JOIN consultation_section s ON s.id = st.section_id
                       WHERE s.consultation_id = $2 AND st.account_id = p.account_id)
               OR EXISTS (SELECT 1 FROM consultation_answer a JOIN consultation_question q ON q.id = a.question_id
                          WHERE q.consultation_id = $2 AND a.account_id = p.account_id))
        """,
        old_id,
        new_id,
    )


async def move_to_version(conn: asyncpg.Connection, *, old_id: int, new_id: int) -> None:
    """Organization positions and interim updates belong to the consultation, not to one text of it."""
    await conn.execute(
        "UPDATE consultation_position SET consultation_id = $2 WHERE consultation_id = $1", old_id, new_id
    )
    await conn.execute("UPDATE consultation_update SET consultation_id = $2 WHERE consultation_id = $1", old_id, new_id)


async def get_current(
    conn: asyncpg.Connection, slug: str, *, for_update: bool = False, for_share: bool = False
) -> Consultation | None:
    """The current version; `for_share` lets answers run side by side while a new version or the council's answer
    (`for_update`) waits for them, and they for it."""
    lock = " FOR UPDATE OF c" if for_update else " FOR SHARE OF c" if for_share else ""
    row = await conn.fetchrow(
        f"SELECT {_CONSULTATION} FROM {_CONSULTATION_FROM} WHERE c.slug = $1 AND c.superseded_at IS NULL{lock}", slug
    )
    return _consultation(row) if row else None


async def get_version(conn: asyncpg.Connection, slug: str, version: int) -> Consultation | None:
    row = await conn.fetchrow(
        f"SELECT {_CONSULTATION} FROM {_CONSULTATION_FROM} WHERE c.slug = $1 AND c.version = $2", slug, version
    )
    return _consultation(row) if row else None


async def list_versions(conn: asyncpg.Connection, slug: str) -> list[Consultation]:
    rows = await conn.fetch(
        f"SELECT {_CONSULTATION} FROM {_CONSULTATION_FROM} WHERE c.slug = $1 ORDER BY c.version DESC", slug
    )
    return [_consultation(row) for row in rows]


async def list_current(conn: asyncpg.Connection, *, limit: int) -> list[Consultation]:
    rows = await conn.fetch(
        f"""
        SELECT {_CONSULTATION} FROM {_CONSULTATION_FROM} WHERE c.superseded_at IS NULL
        ORDER BY c.closes_at DESC, c.id DESC LIMIT $1
        """,
        limit,
    )
    return [_consultation(row) for row in rows]


async def list_overdue(conn: asyncpg.Connection, *, now: datetime, limit: int) -> list[Consultation]:
    rows = await conn.fetch(
        f"""
        SELECT {_CONSULTATION} FROM {_CONSULTATION_FROM}
        WHERE c.superseded_at IS NULL AND c.answer_due_at < $1 AND ans.consultation_id IS NULL
        ORDER BY c.answer_due_at, c.id LIMIT $2
        """,
        now,
        limit,
    )
    return [_consultation(row) for row in rows]


# Sections and questions


async def insert_section(
    conn: asyncpg.Connection, *, consultation_id: int, number: int, heading: str, source: str, html: str,
    thread_id: int | None, thread_ap_id: str | None = None,
) -> int:  # fmt: skip
    section_id: int = await conn.fetchval(
        """
        INSERT INTO consultation_section (consultation_id, number, heading, source, html, thread_id, thread_ap_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
        """,
        consultation_id,
        number,
        heading,
        source,
        html,
        thread_id,
        thread_ap_id,
    )
    return section_id


async def list_sections(conn: asyncpg.Connection, consultation_id: int) -> list[Section]:
    # The opening post is the section's text, not a comment; posts a block hides are not counted, as in the forum.
    rows = await conn.fetch(
        f"""
        SELECT s.id, s.number, s.heading, s.source, s.html, t.id AS thread_id,
               greatest(coalesce({SHOWN_POST_COUNT}, 1) - 1, 0) AS comment_count
        FROM consultation_section s
        LEFT JOIN thread t ON t.id = coalesce(s.thread_id, (SELECT m.id FROM thread m WHERE m.ap_id = s.thread_ap_id))
        WHERE s.consultation_id = $1 ORDER BY s.number
        """,
        consultation_id,
    )
    return [Section(**dict(row)) for row in rows]


async def insert_question(
    conn: asyncpg.Connection, *, consultation_id: int, number: int, kind: str, prompt: str, options: tuple[str, ...]
) -> int:
    question_id: int = await conn.fetchval(
        """
        INSERT INTO consultation_question (consultation_id, number, kind, prompt) VALUES ($1, $2, $3, $4)
        RETURNING id
        """,
        consultation_id,
        number,
        kind,
        prompt,
    )
    if options:
        await conn.executemany(
            "INSERT INTO consultation_option (question_id, number, label) VALUES ($1, $2, $3)",
            [(question_id, i, label) for i, label in enumerate(options, start=1)],
        )
    return question_id


async def list_questions(conn: asyncpg.Connection, consultation_id: int) -> list[Question]:
    rows = await conn.fetch(
        """
        SELECT q.id, q.number, q.kind, q.prompt,
               coalesce(array_agg(o.id ORDER BY o.number) FILTER (WHERE o.id IS NOT NULL), '{}') AS option_ids,
               coalesce(array_agg(o.number ORDER BY o.number) FILTER (WHERE o.id IS NOT NULL), '{}') AS option_numbers,
               coalesce(array_agg(o.label ORDER BY o.number) FILTER (WHERE o.id IS NOT NULL), '{}') AS option_labels
        FROM consultation_question q LEFT JOIN consultation_option o ON o.question_id = q.id
        WHERE q.consultation_id = $1 GROUP BY q.id ORDER BY q.number
        """,
        consultation_id,
    )
    return [
        Question(
            id=row["id"],
            number=row["number"],
            kind=row["kind"],
            prompt=row["prompt"],
            options=tuple(
                Option(*values)
                for values in zip(row["option_ids"], row["option_numbers"], row["option_labels"], strict=True)
            ),
        )
        for row in rows
    ]


# Responses


async def upsert_participant(
    conn: asyncpg.Connection, consultation_id: int, account_id: int, *, show_name: bool, now: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO consultation_participant (consultation_id, account_id, show_name, first_answered_at,
                                              last_answered_at)
        VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (consultation_id, account_id)
        DO UPDATE SET show_name = EXCLUDED.show_name, last_answered_at = EXCLUDED.last_answered_at,
                      refused_reason = NULL
        """,
        consultation_id,
        account_id,
        show_name,
        now,
    )


async def set_stance(
    conn: asyncpg.Connection, section_id: int, account_id: int, *, stance: str | None, reason: str, now: datetime
) -> None:
    """One current stance per person and section: a new one replaces it, None removes it."""
    if stance is None:
        await conn.execute(
            "DELETE FROM consultation_stance WHERE section_id = $1 AND account_id = $2", section_id, account_id
        )
        return
    await conn.execute(
        """
        INSERT INTO consultation_stance (section_id, account_id, stance, reason, answered_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (section_id, account_id)
        DO UPDATE SET stance = EXCLUDED.stance, reason = EXCLUDED.reason, answered_at = EXCLUDED.answered_at
        """,
        section_id,
        account_id,
        stance,
        reason,
        now,
    )


async def set_answer(
    conn: asyncpg.Connection,
    question_id: int,
    account_id: int,
    *,
    option_ids: list[int] | None,
    text: str,
    now: datetime,
) -> None:
    """One current answer per person and question; None with no text removes it."""
    if not option_ids and not text:
        await conn.execute(
            "DELETE FROM consultation_answer WHERE question_id = $1 AND account_id = $2", question_id, account_id
        )
        return
    await conn.execute(
        """
        INSERT INTO consultation_answer (question_id, account_id, option_ids, text, answered_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (question_id, account_id)
        DO UPDATE SET option_ids = EXCLUDED.option_ids, text = EXCLUDED.text, answered_at = EXCLUDED.answered_at
        """,
        question_id,
        account_id,
        option_ids or [],
        text,
        now,
    )


async def get_response(conn: asyncpg.Connection, consultation_id: int, account_id: int) -> MyResponse | None:
    participant = await conn.fetchrow(
        "SELECT show_name, refused_reason FROM consultation_participant WHERE consultation_id = $1 AND account_id = $2",
        consultation_id,
        account_id,
    )
    if participant is None:
        return None
    show_name = participant["show_name"]
    stances = await conn.fetch(
        """
        SELECT st.section_id, st.stance, st.reason FROM consultation_stance st
        JOIN consultation_section s ON s.id = st.section_id
        WHERE s.consultation_id = $1 AND st.account_id = $2
        """,
        consultation_id,
        account_id,
    )
    answers = await conn.fetch(
        """
        SELECT an.question_id, an.option_ids, an.text FROM consultation_answer an
        JOIN consultation_question q ON q.id = an.question_id
        WHERE q.consultation_id = $1 AND an.account_id = $2
        """,
        consultation_id,
        account_id,
    )
    return MyResponse(
        show_name=show_name,
        stances={r["section_id"]: (r["stance"], r["reason"]) for r in stances},
        choices={r["question_id"]: tuple(r["option_ids"]) for r in answers if r["option_ids"]},
        texts={r["question_id"]: r["text"] for r in answers if r["text"]},
        refused=participant["refused_reason"],
    )


_RESIDENT = "($2 = false OR EXISTS (SELECT 1 FROM resident_verification rv WHERE rv.account_id = {account}))"


async def count_participants(conn: asyncpg.Connection, consultation_id: int, *, residents_only: bool = False) -> int:
    """Everyone who answered, or only those who are verified residents of this district."""
    count: int = await conn.fetchval(
        f"""
        SELECT count(*) FROM consultation_participant p
        WHERE p.consultation_id = $1 AND {_RESIDENT.format(account="p.account_id")}
        """,
        consultation_id,
        residents_only,
    )
    return count


async def tally_stances(
    conn: asyncpg.Connection, consultation_id: int, *, residents_only: bool = False
) -> dict[int, dict[str, int]]:
    rows = await conn.fetch(
        f"""
        SELECT st.section_id, st.stance, count(*) AS n FROM consultation_stance st
        JOIN consultation_section s ON s.id = st.section_id
        WHERE s.consultation_id = $1 AND {_RESIDENT.format(account="st.account_id")}
        GROUP BY st.section_id, st.stance
        """,
        consultation_id,
        residents_only,
    )
    tallies: dict[int, dict[str, int]] = {}
    for row in rows:
        tallies.setdefault(row["section_id"], {})[row["stance"]] = row["n"]
    return tallies


async def tally_answers(conn: asyncpg.Connection, consultation_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """(option id → people who chose it, question id → free-text answers given)."""
    options = await conn.fetch(
        """
        SELECT chosen.option_id, count(*) AS n
        FROM consultation_answer an JOIN consultation_question q ON q.id = an.question_id
        CROSS JOIN LATERAL unnest(an.option_ids) AS chosen(option_id)
        WHERE q.consultation_id = $1 GROUP BY chosen.option_id
        """,
        consultation_id,
    )
    texts = await conn.fetch(
        """
        SELECT an.question_id, count(*) AS n FROM consultation_answer an
        JOIN consultation_question q ON q.id = an.question_id
        WHERE q.consultation_id = $1 AND an.text <> '' GROUP BY an.question_id
        """,
        consultation_id,
    )
    return {r["option_id"]: r["n"] for r in options}, {r["question_id"]: r["n"] for r in texts}


async def export_rows(conn: asyncpg.Connection, consultation_id: int) -> list[ExportRow]:
    """Every participant's response in the order they first answered. Names only where the person allowed it."""
    people = await conn.fetch(
        """
        SELECT p.account_id, p.show_name, a.username, a.display_name, p.first_answered_at, p.last_answered_at
        FROM consultation_participant p JOIN account a ON a.id = p.account_id
        WHERE p.consultation_id = $1 ORDER BY p.first_answered_at, p.account_id
        """,
        consultation_id,
    )
    stances = await conn.fetch(
        """
        SELECT st.account_id, s.number, st.stance, st.reason FROM consultation_stance st
        JOIN consultation_section s ON s.id = st.section_id WHERE s.consultation_id = $1
        """,
        consultation_id,
    )
    answers = await conn.fetch(
        """
        SELECT an.account_id, q.number, an.text,
               coalesce((SELECT string_agg(o.label, ' | ' ORDER BY o.number) FROM consultation_option o
                         WHERE o.id = ANY (an.option_ids)), '') AS labels
        FROM consultation_answer an JOIN consultation_question q ON q.id = an.question_id
        WHERE q.consultation_id = $1
        """,
        consultation_id,
    )
    by_person_stances: dict[int, dict[int, tuple[str, str]]] = {}
    for r in stances:
        by_person_stances.setdefault(r["account_id"], {})[r["number"]] = (r["stance"], r["reason"])
    by_person_answers: dict[int, dict[int, str]] = {}
    for r in answers:
        by_person_answers.setdefault(r["account_id"], {})[r["number"]] = r["labels"] or r["text"]
    return [
        ExportRow(
            participant=index,
            username=p["username"] if p["show_name"] else None,
            name=(p["display_name"] or p["username"]) if p["show_name"] else None,
            first_answered_at=p["first_answered_at"],
            last_answered_at=p["last_answered_at"],
            stances=by_person_stances.get(p["account_id"], {}),
            answers=by_person_answers.get(p["account_id"], {}),
        )
        for index, p in enumerate(people, start=1)
    ]


# Organization positions

_POSITION = """p.id, p.organization_id,
    coalesce(o.slug, coalesce(ra.preferred_username, 'organization') || '@' || ra.host) AS organization_slug,
    coalesce(o.name, ra.name, ra.preferred_username, ra.host) AS organization_name, p.source, p.html,
    a.username AS submitted_by_username, p.submitted_at, p.approved_at, ra.uri AS organization_uri"""
_POSITION_FROM = """consultation_position p LEFT JOIN organization o ON o.id = p.organization_id
    LEFT JOIN remote_actor ra ON ra.id = p.remote_actor_id
    JOIN account a ON a.id = p.submitted_by"""


async def upsert_position(
    conn: asyncpg.Connection, consultation_id: int, organization_id: int, *, source: str, html: str, by: int,
    now: datetime,
) -> int:  # fmt: skip
    """A new text replaces the organization's earlier one and waits again for an admin's approval."""
    position_id: int = await conn.fetchval(
        """
        INSERT INTO consultation_position (consultation_id, organization_id, source, html, submitted_by, submitted_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (consultation_id, organization_id) DO UPDATE
        SET source = EXCLUDED.source, html = EXCLUDED.html, submitted_by = EXCLUDED.submitted_by,
            submitted_at = EXCLUDED.submitted_at, approved_by = NULL, approved_at = NULL
        RETURNING id
        """,
        consultation_id,
        organization_id,
        source,
        html,
        by,
        now,
    )
    return position_id


async def approve_position(conn: asyncpg.Connection, position_id: int, *, by: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE consultation_position SET approved_by = $2, approved_at = $3 WHERE id = $1", position_id, by, now
    )


async def get_position(conn: asyncpg.Connection, position_id: int, *, for_update: bool = False) -> Position | None:
    lock = " FOR UPDATE OF p" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_POSITION} FROM {_POSITION_FROM} WHERE p.id = $1{lock}", position_id)
    return Position(**dict(row)) if row else None


async def position_consultation_id(conn: asyncpg.Connection, position_id: int) -> int | None:
    found: int | None = await conn.fetchval(
        "SELECT consultation_id FROM consultation_position WHERE id = $1", position_id
    )
    return found


async def list_positions(conn: asyncpg.Connection, consultation_id: int) -> list[Position]:
    rows = await conn.fetch(
        f"""
        SELECT {_POSITION} FROM {_POSITION_FROM} WHERE p.consultation_id = $1
        ORDER BY lower(coalesce(o.name, ra.name, ra.host))
        """,
        consultation_id,
    )
    return [Position(**dict(row)) for row in rows]


# The council's answer and interim updates


async def insert_council_answer(
    conn: asyncpg.Connection, consultation_id: int, *, general: tuple[str, str], changes: tuple[str, str],
    section_replies: list[tuple[int, str, str]], by: int, now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        """
        INSERT INTO consultation_council_answer (consultation_id, general_source, general_html, changes_source,
                                                 changes_html, answered_by, answered_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        consultation_id,
        *general,
        *changes,
        by,
        now,
    )
    if section_replies:
        await conn.executemany(
            "INSERT INTO consultation_section_reply (section_id, source, html) VALUES ($1, $2, $3)", section_replies
        )


async def get_council_answer(conn: asyncpg.Connection, consultation_id: int) -> CouncilAnswer | None:
    row = await conn.fetchrow(
        """
        SELECT c.general_html, c.changes_html, c.general_source, c.changes_source,
               a.username AS answered_by_username, o.name AS answered_by_name, o.office AS answered_by_office,
               c.answered_at
        FROM consultation_council_answer c JOIN account a ON a.id = c.answered_by
        LEFT JOIN official o ON o.account_id = c.answered_by
        WHERE c.consultation_id = $1
        """,
        consultation_id,
    )
    if row is None:
        return None
    replies = await conn.fetch(
        """
        SELECT r.section_id, r.html FROM consultation_section_reply r
        JOIN consultation_section s ON s.id = r.section_id WHERE s.consultation_id = $1
        """,
        consultation_id,
    )
    return CouncilAnswer(**dict(row), section_replies={r["section_id"]: r["html"] for r in replies})


async def insert_update(
    conn: asyncpg.Connection, consultation_id: int, *, source: str, html: str, by: int, now: datetime
) -> int:
    update_id: int = await conn.fetchval(
        """
        INSERT INTO consultation_update (consultation_id, source, html, published_by, published_at)
        VALUES ($1, $2, $3, $4, $5) RETURNING id
        """,
        consultation_id,
        source,
        html,
        by,
        now,
    )
    return update_id


async def list_updates(conn: asyncpg.Connection, consultation_id: int) -> list[Update]:
    rows = await conn.fetch(
        """
        SELECT u.id, u.html, a.username AS published_by_username, o.name AS published_by_name,
               o.office AS published_by_office, u.published_at
        FROM consultation_update u JOIN account a ON a.id = u.published_by
        LEFT JOIN official o ON o.account_id = u.published_by
        WHERE u.consultation_id = $1 ORDER BY u.published_at DESC, u.id DESC
        """,
        consultation_id,
    )
    return [Update(**dict(row)) for row in rows]


# Copies of other nodes' consultations


async def get_copy(conn: asyncpg.Connection, ap_id: str, *, for_update: bool = False) -> Consultation | None:
    """The current version of the copy of a consultation of another node."""
    lock = " FOR UPDATE OF c" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_CONSULTATION} FROM {_CONSULTATION_FROM} WHERE c.ap_id = $1 AND c.superseded_at IS NULL{lock}",
        ap_id,
    )
    return _consultation(row) if row else None


async def set_published_summary(conn: asyncpg.Connection, consultation_id: int, summary: dict[str, object]) -> None:
    await conn.execute("UPDATE consultation SET published_summary = $2 WHERE id = $1", consultation_id, summary)


async def replace_updates(
    conn: asyncpg.Connection, consultation_id: int, updates: list[tuple[str, datetime]], *, by: int
) -> None:
    """A copy's interim updates, as its home node lists them now (the whole list each time)."""
    await conn.execute("DELETE FROM consultation_update WHERE consultation_id = $1", consultation_id)
    if updates:
        await conn.executemany(
            """
            INSERT INTO consultation_update (consultation_id, source, html, published_by, published_at)
            VALUES ($1, $2, $3, $4, $5)
            """,
            [(consultation_id, html[:5000] or "-", html, by, at) for html, at in updates],
        )


async def is_shadow_account(conn: asyncpg.Connection, account_id: int) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM account WHERE id = $1 AND origin IS NOT NULL)", account_id
    )
    return found


async def slug_of(conn: asyncpg.Connection, consultation_id: int) -> str | None:
    slug: str | None = await conn.fetchval("SELECT slug FROM consultation WHERE id = $1", consultation_id)
    return slug


async def update_sources(conn: asyncpg.Connection, consultation_id: int) -> list[tuple[str, datetime]]:
    rows = await conn.fetch(
        """
        SELECT source, published_at FROM consultation_update WHERE consultation_id = $1
        ORDER BY published_at DESC, id DESC
        """,
        consultation_id,
    )
    return [(row["source"], row["published_at"]) for row in rows]


async def reply_sources(conn: asyncpg.Connection, consultation_id: int) -> dict[int, str]:
    rows = await conn.fetch(
        """
        SELECT s.number, r.source FROM consultation_section_reply r
        JOIN consultation_section s ON s.id = r.section_id WHERE s.consultation_id = $1
        """,
        consultation_id,
    )
    return {row["number"]: row["source"] for row in rows}


async def current_of_forum(conn: asyncpg.Connection, forum_id: int) -> int | None:
    """The current version of this node's consultation commented in that forum (not a copy's)."""
    found: int | None = await conn.fetchval(
        "SELECT id FROM consultation WHERE forum_id = $1 AND superseded_at IS NULL AND ap_id IS NULL", forum_id
    )
    return found


async def set_refusal(conn: asyncpg.Connection, consultation_id: int, account_id: int, *, reason: str) -> bool:
    done: str = await conn.execute(
        "UPDATE consultation_participant SET refused_reason = $3 WHERE consultation_id = $1 AND account_id = $2",
        consultation_id,
        account_id,
        reason[:1000],
    )
    return done != "UPDATE 0"


async def told_again_later(conn: asyncpg.Connection, event_id: int, consultation_id: int) -> bool:
    """Whether a later recorded event is about the same consultation version (then telling peers once, for the
    later one, says everything: what is sent is the state when it is translated)."""
    found: bool = await conn.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM domain_event WHERE id > $1 AND kind LIKE 'consultation\\_%'
                       AND kind <> 'consultation_copy_received' AND payload ->> 'consultation_id' = $2::text)
        """,
        event_id,
        str(consultation_id),
    )
    return found


async def upsert_remote_position(
    conn: asyncpg.Connection, consultation_id: int, remote_actor_id: int, *, source: str, html: str, by: int,
    now: datetime,
) -> int:  # fmt: skip
    """An organization of another node's position: signed there, so approved as it arrives; a new text replaces it."""
    position_id: int = await conn.fetchval(
        """
        INSERT INTO consultation_position (consultation_id, remote_actor_id, source, html, submitted_by, submitted_at,
                                           approved_by, approved_at)
        VALUES ($1, $2, $3, $4, $5, $6, $5, $6)
        ON CONFLICT (consultation_id, remote_actor_id) WHERE remote_actor_id IS NOT NULL DO UPDATE
        SET source = EXCLUDED.source, html = EXCLUDED.html, submitted_at = EXCLUDED.submitted_at,
            approved_at = EXCLUDED.approved_at
        RETURNING id
        """,
        consultation_id,
        remote_actor_id,
        source,
        html,
        by,
        now,
    )
    return position_id


async def consultation_of_thread(conn: asyncpg.Connection, thread_id: int, thread_ap_id: str | None) -> str | None:
    """The slug of the consultation one of whose sections (in any version) comments in this thread."""
    slug: str | None = await conn.fetchval(
        """
        SELECT c.slug FROM consultation_section s JOIN consultation c ON c.id = s.consultation_id
        WHERE s.thread_id = $1 OR (s.thread_ap_id IS NOT NULL AND s.thread_ap_id = $2)
        LIMIT 1
        """,
        thread_id,
        thread_ap_id,
    )
    return slug
