"""Coalition rules through the service, on a real database: founding, invitations, statements signed with each
organization's key, the threshold, leaving, removal by the charter's rule and endorsements. Every refusal is checked
to leave every coalition table (and the event log) as it was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from deliberate import errors
from deliberate.accounts.model import Account
from deliberate.clock import FrozenClock
from deliberate.coalitions import queries
from deliberate.coalitions import service as coalitions
from deliberate.coalitions.model import Coalition
from deliberate.organizations import service as orgs
from deliberate.validation import InvalidFields
from federation.coalitions import StatementProver, check_proofs, embedded_keys
from tests.budgets.voting_support import voting_process
from tests.db.test_organizations_service import CLOCK, found, member

BASE = "https://lima-norte.example"
CHARTER = {
    "name": "Red de Comedores de Lima",
    "purpose": "Defender el presupuesto de los comedores populares.",
    "charter": "Cada organización firma por medio de una de sus directivas.",
    "threshold": "all",
}
STATEMENT = {"title": "Pronunciamiento por el agua", "body": "Pedimos agua potable para todos los comedores."}


async def snapshot(db: asyncpg.Connection) -> dict[str, Any]:
    counts: dict[str, Any] = await queries.count_rows(db)
    counts["events"] = await db.fetchval("SELECT count(*) FROM domain_event")
    counts["members"] = await db.fetch("SELECT id, state FROM coalition_member ORDER BY id")
    counts["statements"] = await db.fetch("SELECT id, title, body, document FROM coalition_statement ORDER BY id")
    return counts


async def refused(
    db: asyncpg.Connection, error: type[Exception], action: Callable[[], Awaitable[object]]
) -> pytest.ExceptionInfo[Exception]:
    """`action` raises `error` and changes nothing (it runs in a transaction rolled back as the web layer does)."""
    before = await snapshot(db)
    with pytest.raises(error) as caught:
        async with db.transaction():
            await action()
    assert await snapshot(db) == before
    return caught


def prover(db: asyncpg.Connection) -> StatementProver:
    return StatementProver(db, BASE, CLOCK)


async def three_organizations(db: asyncpg.Connection) -> tuple[list[Account], list[str]]:
    admins = [await member(db, name) for name in ("rosa", "elena", "juana")]
    names = ["Comedor Santa Rosa", "Vaso de Leche Las Flores", "Junta Vecinal Ñaña"]
    slugs = [(await found(db, admin, name)).slug for admin, name in zip(admins, names, strict=True)]
    return admins, slugs


async def coalition_of_three(
    db: asyncpg.Connection, threshold: str = "all"
) -> tuple[Coalition, list[Account], list[str]]:
    admins, slugs = await three_organizations(db)
    coalition = await coalitions.create_coalition(
        db, clock=CLOCK, actor=admins[0], organization_slug=slugs[0], data=CHARTER | {"threshold": threshold}
    )
    for admin, slug in zip(admins[1:], slugs[1:], strict=True):
        await coalitions.invite_organization(
            db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], invitee_slug=slug
        )
        await coalitions.answer_invitation(
            db, clock=CLOCK, actor=admin, slug=coalition.slug, organization_slug=slug, accept=True
        )
    return await coalitions.access_coalition(db, coalition.slug), admins, slugs


async def test_an_admin_founds_a_coalition_with_its_organization_as_first_member_and_a_forum(
    db: asyncpg.Connection,
) -> None:
    admins, slugs = await three_organizations(db)
    coalition = await coalitions.create_coalition(
        db, clock=CLOCK, actor=admins[0], organization_slug=slugs[0], data=CHARTER
    )
    assert coalition.slug == "red-de-comedores-de-lima" and coalition.member_count == 1 and not coalition.remote
    assert coalition.forum_slug is not None and coalition.founding_organization_slug == slugs[0]
    page = await coalitions.coalition_page(db, coalition.slug)
    assert [(m.slug, m.state) for m in page.members] == [(slugs[0], "member")]
    assert await db.fetchval("SELECT count(*) FROM domain_event WHERE kind = 'coalition_founded'") == 1


async def test_founding_is_refused_to_non_admins_and_for_a_taken_name_or_bad_charter(db: asyncpg.Connection) -> None:
    admins, slugs = await three_organizations(db)
    plain = await member(db, "vecina")
    await orgs.request_to_join(db, clock=CLOCK, actor=plain, slug=slugs[0])
    await orgs.approve_request(db, clock=CLOCK, actor=admins[0], slug=slugs[0], account_id=plain.id)

    async def by_plain_member() -> None:
        await coalitions.create_coalition(db, clock=CLOCK, actor=plain, organization_slug=slugs[0], data=CHARTER)

    await refused(db, errors.NotOrganizationAdmin, by_plain_member)

    async def for_another_organization() -> None:
        await coalitions.create_coalition(db, clock=CLOCK, actor=admins[0], organization_slug=slugs[1], data=CHARTER)

    await refused(db, errors.NotOrganizationAdmin, for_another_organization)

    async def with_a_bad_threshold() -> None:
        await coalitions.create_coalition(
            db, clock=CLOCK, actor=admins[0], organization_slug=slugs[0], data=CHARTER | {"threshold": "most"}
        )

    caught = await refused(db, InvalidFields, with_a_bad_threshold)
    assert [e.field for e in caught.value.errors] == ["threshold"]  # type: ignore[attr-defined]

    await coalitions.create_coalition(db, clock=CLOCK, actor=admins[0], organization_slug=slugs[0], data=CHARTER)

    async def with_the_same_name() -> None:
        await coalitions.create_coalition(
            db,
            clock=CLOCK,
            actor=admins[1],
            organization_slug=slugs[1],
            data=CHARTER | {"name": CHARTER["name"].upper()},
        )

    caught = await refused(db, InvalidFields, with_the_same_name)
    assert caught.value.errors[0].code == "coalition_name_taken"  # type: ignore[attr-defined]


async def test_invitations_are_answered_by_the_invited_organizations_admins_only(db: asyncpg.Connection) -> None:
    admins, slugs = await three_organizations(db)
    coalition = await coalitions.create_coalition(
        db, clock=CLOCK, actor=admins[0], organization_slug=slugs[0], data=CHARTER
    )

    async def invited_by_a_non_member() -> None:
        await coalitions.invite_organization(
            db, clock=CLOCK, actor=admins[1], slug=coalition.slug, organization_slug=slugs[1], invitee_slug=slugs[2]
        )

    await refused(db, errors.NotCoalitionMember, invited_by_a_non_member)
    await coalitions.invite_organization(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], invitee_slug=slugs[1]
    )
    assert [(c.slug, slug) for c, slug in await coalitions.pending_invitations(db, admins[1])] == [
        (coalition.slug, slugs[1])
    ]

    async def invited_twice() -> None:
        await coalitions.invite_organization(
            db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], invitee_slug=slugs[1]
        )

    await refused(db, errors.AlreadyInCoalition, invited_twice)

    async def accepted_by_someone_else() -> None:
        await coalitions.answer_invitation(
            db, clock=CLOCK, actor=admins[2], slug=coalition.slug, organization_slug=slugs[1], accept=True
        )

    await refused(db, errors.NotOrganizationAdmin, accepted_by_someone_else)

    async def answered_without_invitation() -> None:
        await coalitions.answer_invitation(
            db, clock=CLOCK, actor=admins[2], slug=coalition.slug, organization_slug=slugs[2], accept=True
        )

    await refused(db, errors.NotFound, answered_without_invitation)
    declined = await coalitions.answer_invitation(
        db, clock=CLOCK, actor=admins[1], slug=coalition.slug, organization_slug=slugs[1], accept=False
    )
    assert declined.state == "declined" and declined.answered_at is not None
    # A declined organization may be invited again; this time it accepts.
    await coalitions.invite_organization(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], invitee_slug=slugs[1]
    )
    joined = await coalitions.answer_invitation(
        db, clock=CLOCK, actor=admins[1], slug=coalition.slug, organization_slug=slugs[1], accept=True
    )
    assert joined.state == "member" and joined.joined_at is not None
    assert (await coalitions.access_coalition(db, coalition.slug)).member_count == 2


async def test_a_statement_is_published_with_one_valid_proof_per_organization_when_all_signed(
    db: asyncpg.Connection,
) -> None:
    coalition, admins, slugs = await coalition_of_three(db)
    draft = await coalitions.draft_statement(
        db, clock=CLOCK, actor=admins[1], slug=coalition.slug, organization_slug=slugs[1], data=STATEMENT
    )
    assert not draft.frozen and not draft.published
    for i, (admin, slug) in enumerate(zip(admins, slugs, strict=True)):
        signed = await coalitions.sign_statement(
            db, clock=CLOCK, actor=admin, slug=coalition.slug, statement_id=draft.id, organization_slug=slug,
            prover=prover(db),
        )  # fmt: skip
        assert len(signed.signatures) == i + 1 and signed.frozen
        assert signed.published == (i == 2)  # the threshold is "all": published with the third signature
    document = coalitions.signed_document(signed)
    assert document["name"] == STATEMENT["title"] and document["attributedTo"] == f"{BASE}/f/{coalition.forum_slug}"
    keys = embedded_keys(document)
    assert sorted(signer for signer, _ in keys.values()) == sorted(f"{BASE}/o/{slug}" for slug in slugs)
    results = check_proofs(document, lambda method: keys[method][1] if method in keys else None)
    assert [r.verification_method for r in results] == [f"{BASE}/o/{slug}#ed25519-key" for slug in slugs]
    assert all(r.valid for r in results)
    # Any change to the signed text breaks every proof.
    tampered = document | {"content": document["content"] + " Y nada más."}
    assert not any(r.valid for r in check_proofs(tampered, lambda m: keys[m][1]))
    assert await db.fetchval("SELECT count(*) FROM domain_event WHERE kind = 'coalition_statement_published'") == 1


async def test_a_signed_statement_cannot_change_and_outsiders_or_second_signatures_are_refused(
    db: asyncpg.Connection,
) -> None:
    coalition, admins, slugs = await coalition_of_three(db)
    outsider = await member(db, "lucia")
    outsider_org = (await found(db, outsider, "Club de Madres Lucía")).slug
    draft = await coalitions.draft_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], data=STATEMENT
    )
    edited = await coalitions.edit_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[0],
        data=STATEMENT | {"body": "Pedimos agua potable y desagüe para todos los comedores."},
    )  # fmt: skip
    assert "desagüe" in edited.body

    async def edited_by_another_member() -> None:
        await coalitions.edit_statement(
            db, clock=CLOCK, actor=admins[1], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[1],
            data=STATEMENT,
        )  # fmt: skip

    await refused(db, errors.NotCoalitionMember, edited_by_another_member)

    async def signed_by_a_non_member() -> None:
        await coalitions.sign_statement(
            db, clock=CLOCK, actor=outsider, slug=coalition.slug, statement_id=draft.id,
            organization_slug=outsider_org, prover=prover(db),
        )  # fmt: skip

    await refused(db, errors.NotCoalitionMember, signed_by_a_non_member)

    async def signed_for_an_organization_one_does_not_administer() -> None:
        await coalitions.sign_statement(
            db, clock=CLOCK, actor=admins[2], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[1],
            prover=prover(db),
        )  # fmt: skip

    await refused(db, errors.NotOrganizationAdmin, signed_for_an_organization_one_does_not_administer)
    await coalitions.sign_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[0],
        prover=prover(db),
    )  # fmt: skip

    async def signed_twice() -> None:
        await coalitions.sign_statement(
            db, clock=CLOCK, actor=admins[0], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[0],
            prover=prover(db),
        )  # fmt: skip

    await refused(db, errors.StatementAlreadySigned, signed_twice)

    async def edited_after_signing() -> None:
        await coalitions.edit_statement(
            db, clock=CLOCK, actor=admins[0], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[0],
            data=STATEMENT | {"body": "Otro texto distinto del firmado."},
        )  # fmt: skip

    await refused(db, errors.StatementSigned, edited_after_signing)


async def test_with_a_majority_rule_two_of_three_signatures_publish(db: asyncpg.Connection) -> None:
    coalition, admins, slugs = await coalition_of_three(db, "majority")
    draft = await coalitions.draft_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], data=STATEMENT
    )
    first = await coalitions.sign_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[0],
        prover=prover(db),
    )  # fmt: skip
    assert not first.published
    second = await coalitions.sign_statement(
        db, clock=CLOCK, actor=admins[2], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[2],
        prover=prover(db),
    )  # fmt: skip
    assert second.published


async def test_leaving_keeps_the_history_and_ends_the_right_to_sign(db: asyncpg.Connection) -> None:
    coalition, admins, slugs = await coalition_of_three(db)
    draft = await coalitions.draft_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], data=STATEMENT
    )
    await coalitions.sign_statement(
        db, clock=CLOCK, actor=admins[2], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[2],
        prover=prover(db),
    )  # fmt: skip
    await coalitions.leave_coalition(db, clock=CLOCK, actor=admins[2], slug=coalition.slug, organization_slug=slugs[2])
    page = await coalitions.coalition_page(db, coalition.slug)
    left = next(m for m in page.members if m.slug == slugs[2])
    assert left.state == "left" and left.ended_at is not None and left.joined_at is not None
    assert [s.organization_slug for s in page.statements[0].signatures] == [slugs[2]]  # the signature stays

    async def signing_after_leaving() -> None:
        await coalitions.sign_statement(
            db, clock=CLOCK, actor=admins[2], slug=coalition.slug, statement_id=draft.id, organization_slug=slugs[2],
            prover=prover(db),
        )  # fmt: skip

    await refused(db, errors.NotCoalitionMember, signing_after_leaving)

    async def leaving_twice() -> None:
        await coalitions.leave_coalition(
            db, clock=CLOCK, actor=admins[2], slug=coalition.slug, organization_slug=slugs[2]
        )

    await refused(db, errors.NotCoalitionMember, leaving_twice)
    # With the organization gone, "all" means the two members left.
    for admin, slug in zip(admins[:2], slugs[:2], strict=True):
        signed = await coalitions.sign_statement(
            db, clock=CLOCK, actor=admin, slug=coalition.slug, statement_id=draft.id, organization_slug=slug,
            prover=prover(db),
        )  # fmt: skip
    assert signed.published


async def test_a_statement_waiting_only_for_an_organization_that_leaves_is_published_when_it_leaves(
    db: asyncpg.Connection,
) -> None:
    coalition, admins, slugs = await coalition_of_three(db)
    draft = await coalitions.draft_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], data=STATEMENT
    )
    for admin, slug in zip(admins[:2], slugs[:2], strict=True):
        signed = await coalitions.sign_statement(
            db, clock=CLOCK, actor=admin, slug=coalition.slug, statement_id=draft.id, organization_slug=slug,
            prover=prover(db),
        )  # fmt: skip
    assert not signed.published
    await coalitions.leave_coalition(db, clock=CLOCK, actor=admins[2], slug=coalition.slug, organization_slug=slugs[2])
    assert (await coalitions.access_statement(db, coalition, draft.id)).published


async def test_a_member_is_removed_when_the_charters_threshold_of_the_others_agrees(db: asyncpg.Connection) -> None:
    coalition, admins, slugs = await coalition_of_three(db, "all")
    page = await coalitions.coalition_page(db, coalition.slug)
    target = next(m for m in page.members if m.slug == slugs[2])
    assert not await coalitions.ask_removal(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], member_id=target.id
    )

    async def asked_twice() -> None:
        await coalitions.ask_removal(
            db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], member_id=target.id
        )

    await refused(db, errors.RemovalAlreadyAsked, asked_twice)

    async def asking_ones_own_removal() -> None:
        await coalitions.ask_removal(
            db, clock=CLOCK, actor=admins[2], slug=coalition.slug, organization_slug=slugs[2], member_id=target.id
        )

    await refused(db, errors.InvalidInput, asking_ones_own_removal)
    assert (await queries.get_member(db, target.id)).state == "member"  # type: ignore[union-attr]
    assert await coalitions.ask_removal(
        db, clock=CLOCK, actor=admins[1], slug=coalition.slug, organization_slug=slugs[1], member_id=target.id
    )
    removed = await queries.get_member(db, target.id)
    assert removed is not None and removed.state == "removed" and removed.ended_at is not None


async def test_a_published_statement_endorses_a_budget_project_shown_with_its_signers(db: asyncpg.Connection) -> None:
    coalition, admins, slugs = await coalition_of_three(db, "majority")
    budget = await voting_process(db, FrozenClock(CLOCK.now()), residents=0)
    project = budget.projects[0]
    draft = await coalitions.draft_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], data=STATEMENT
    )

    async def endorsing_with_a_draft() -> None:
        await coalitions.endorse(
            db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0],
            statement_id=draft.id, budget_project_id=project.id,
        )  # fmt: skip

    await refused(db, errors.StatementNotPublished, endorsing_with_a_draft)
    for admin, slug in zip(admins[:2], slugs[:2], strict=True):
        await coalitions.sign_statement(
            db, clock=CLOCK, actor=admin, slug=coalition.slug, statement_id=draft.id, organization_slug=slug,
            prover=prover(db),
        )  # fmt: skip

    async def endorsing_a_missing_project() -> None:
        await coalitions.endorse(
            db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0],
            statement_id=draft.id, budget_project_id=project.id + 1000,
        )  # fmt: skip

    await refused(db, errors.NotFound, endorsing_a_missing_project)
    endorsement = await coalitions.endorse(
        db, clock=CLOCK, actor=admins[2], slug=coalition.slug, organization_slug=slugs[2],
        statement_id=draft.id, budget_project_id=project.id,
    )  # fmt: skip
    assert endorsement.target_title == project.title and endorsement.coalition_name == CHARTER["name"]
    (shown,) = await coalitions.endorsements_of_project(db, project.id)
    assert set(shown.signers) == {"Comedor Santa Rosa", "Vaso de Leche Las Flores"}

    async def endorsing_twice() -> None:
        await coalitions.endorse(
            db, clock=CLOCK, actor=admins[1], slug=coalition.slug, organization_slug=slugs[1],
            statement_id=draft.id, budget_project_id=project.id,
        )  # fmt: skip

    await refused(db, errors.AlreadyEndorsed, endorsing_twice)

    async def endorsing_something_that_is_not_a_web_address() -> None:
        await coalitions.endorse(
            db, clock=CLOCK, actor=admins[1], slug=coalition.slug, organization_slug=slugs[1],
            statement_id=draft.id, target_url="ftp://otro.example/budgets/x/projects/1",
        )  # fmt: skip

    await refused(db, errors.InvalidInput, endorsing_something_that_is_not_a_web_address)


async def test_a_published_statement_is_the_coalitions_position_on_a_consultation(db: asyncpg.Connection) -> None:
    from deliberate.accounts import service as accounts
    from deliberate.consultations import service as consultations
    from tests.consultations.test_service import draft

    coalition, admins, slugs = await coalition_of_three(db, "majority")
    operator = await member(db, "operadora", "operator")
    await member(db, "funcionaria")
    await consultations.appoint_official(
        db, clock=CLOCK, actor=operator, username="funcionaria",
        data={"name": "Ana Quispe", "office": "Gerencia de Desarrollo Económico"},
    )  # fmt: skip
    official = await accounts.access_account_by_username(db, "funcionaria")
    published = await consultations.publish_consultation(db, clock=CLOCK, actor=official, data=draft())
    statement = await coalitions.draft_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], data=STATEMENT
    )
    for admin, slug in zip(admins[:2], slugs[:2], strict=True):
        await coalitions.sign_statement(
            db, clock=CLOCK, actor=admin, slug=coalition.slug, statement_id=statement.id, organization_slug=slug,
            prover=prover(db),
        )  # fmt: skip

    async def on_a_missing_consultation() -> None:
        await coalitions.endorse(
            db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0],
            statement_id=statement.id, consultation_slug="no-existe",
        )  # fmt: skip

    await refused(db, errors.NotFound, on_a_missing_consultation)
    endorsement = await coalitions.endorse(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0],
        statement_id=statement.id, consultation_slug=published.slug,
    )  # fmt: skip
    assert endorsement.consultation_id is not None and endorsement.target_title == published.title
    (shown,) = await coalitions.endorsements_of_consultation(db, endorsement.consultation_id)
    assert shown.statement_title == STATEMENT["title"] and len(shown.signers) == 2
