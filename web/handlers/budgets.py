"""Participatory-budget pages: the list of processes, opening one, a process with its calendar, zones, rules and
projects, proposing a project, a project with its public review and follow-up, and the officials' page to verify
residents.

Each POST calls one service function in one transaction and redirects (post/redirect/get); a refusal of what was
written (a field at fault, or the phase is over: `explained_on_form`) re-renders the form it came from with the text
kept and the translated message, next to the field when it names one; any other refusal (not an official) is the
error page for its status. Voting, results and open data are other handlers; the process page leaves them a marked
spot (`budgets/_voting_links.html`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from deliberate.budgets import service as budgets
from deliberate.budgets.model import (
    BALLOT_RULES,
    CALENDAR,
    COMPLETIONS,
    COUNTING_RULES,
    IMPLEMENTATION_STATUSES,
    SATISFACTIONS,
    TIE_BREAKS,
    BudgetProcess,
    BudgetProject,
    Phase,
    Zone,
)
from deliberate.coalitions import service as coalitions
from deliberate.errors import N_, DomainError, NotOfficial, ProposalsClosed
from deliberate.forums import service as forums
from deliberate.organizations import service as orgs
from deliberate.validation import LIMA
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user
from web.i18n import format_money, gettext_for
from web.problems import explained_on_form
from web.render import translate
from web.state import USER, state

PROCESS_FIELDS = (
    "title", "description", "total_amount", "zones", "ballot_rule", "max_choices", "min_share", "points",
    "counting_rule", "min_votes", "completion", "satisfaction", "tie_break", "tie_seed", "proposals_open_at",
    "review_starts_at", "voting_opens_at", "voting_closes_at", "implementation_starts_at",
)  # fmt: skip
PROJECT_FIELDS = ("title", "description", "location", "zone_id", "estimated_cost", "as_organization")
REVIEW_FIELDS = ("feasible", "reason", "final_cost")
FOLLOW_UP_FIELDS = ("status", "note")
RESIDENT_FIELDS = ("username", "place")

PHASE_LABELS = {
    Phase.UPCOMING: N_("Not open yet"),
    Phase.PROPOSALS: N_("Proposals"),
    Phase.REVIEW: N_("Feasibility review"),
    Phase.VOTING: N_("Voting"),
    Phase.COUNTING: N_("Counting"),
    Phase.RESULTS: N_("Results"),
    Phase.IMPLEMENTATION: N_("Implementation follow-up"),
}
BALLOT_LABELS = {
    "approval": N_("Approval: support up to k projects"),
    "knapsack": N_("Within the budget: choose projects whose costs fit in the amount"),
    "cumulative": N_("Points: spread a number of points among projects"),
    "ordinal": N_("Ranking: order up to k projects from the best"),
}
COUNTING_LABELS = {
    "greedy": N_("Most votes first"),
    "greedy-threshold": N_("Most votes first, with a minimum number of votes"),
    "mes": N_("Method of Equal Shares"),
}
COMPLETION_LABELS = {
    "none": N_("None"),
    "greedy": N_("Then most votes first with the money left"),
    "add1": N_("Raise everyone's share step by step (Add1)"),
    "add1-greedy": N_("Add1, then most votes first"),
    "add1-until-infeasible": N_("Add1 until the budget would be overspent"),
}
# The same rules named for a ballot that gives points (cumulative, ranking): greedy orders those projects by the
# points they received, all voters' points added up, not by how many voters chose them (`BudgetProcess.counts_points`).
POINTS_COUNTING_LABELS = {
    "greedy": N_("Most points first"),
    "greedy-threshold": N_("Most points first, with a minimum number of points"),
    "mes": N_("Method of Equal Shares"),
}
POINTS_COMPLETION_LABELS = {
    **COMPLETION_LABELS,
    "greedy": N_("Then most points first with the money left"),
    "add1-greedy": N_("Add1, then most points first"),
}
SATISFACTION_LABELS = {
    "cost": N_("By cost (a project is worth what it costs)"),
    "cardinality": N_("By number (every project counts the same)"),
}
TIE_BREAK_LABELS = {
    "equalshares": N_("Cheaper first, then more votes, then a public lot"),
    "id": N_("Lower project number first"),
}
STATUS_LABELS = {
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}
DECISION_LABELS = {"yes": N_("Feasible"), "no": N_("Not feasible")}
LABELS = {
    "decision": DECISION_LABELS,
    "phase": PHASE_LABELS,
    "ballot": BALLOT_LABELS,
    "counting": COUNTING_LABELS,
    "completion": COMPLETION_LABELS,
    "satisfaction": SATISFACTION_LABELS,
    "tie_break": TIE_BREAK_LABELS,
    "status": STATUS_LABELS,
}
CHOICES = {
    "ballot_rule": BALLOT_RULES,
    "counting_rule": COUNTING_RULES,
    "completion": COMPLETIONS,
    "satisfaction": SATISFACTIONS,
    "tie_break": TIE_BREAKS,
    "status": IMPLEMENTATION_STATUSES,
}


# A counting setting of a process: its labels for a ballot counted in votes, and for one counted in points.
RULE_LABELS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "counting_rule": (COUNTING_LABELS, POINTS_COUNTING_LABELS),
    "completion": (COMPLETION_LABELS, POINTS_COMPLETION_LABELS),
}


def rule_label(process: BudgetProcess, setting: str) -> str:
    """The message id naming the process's value of `setting` (a key of RULE_LABELS), in votes or in points as its
    ballot gives them."""
    in_votes, in_points = RULE_LABELS[setting]
    return (in_points if process.counts_points else in_votes)[getattr(process, setting)]


# What imports before the import stopped writing a reason stored as one (a data migration may set those to NULL).
IMPORTED_REVIEW_REASON_ES = "Importado de un archivo pabulib."


def review_reason(request: web.Request, process: BudgetProcess, project: BudgetProject) -> str:
    """A project's written review reason; for a project imported from a file, which has none, the reader's words."""
    imported = process.origin == "imported" and project.review_reason in (None, IMPORTED_REVIEW_REASON_ES)
    if imported and project.reviewed:
        return translate(request, N_("Imported from a pabulib file."))
    return project.review_reason or ""


def node_text(request: web.Request) -> budgets.NodeText:
    """Gettext in the node's language, for the texts a service stores and federates (`budgets.NodeText`)."""
    app = state(request)
    return gettext_for(app.translations[app.settings.default_language])


def zone_name(request: web.Request, process: BudgetProcess, zone: Zone) -> str:
    """A zone's name for a page: the stored name of a zone the council named, the reader's words for the one zone of a
    process that is not split (stored as `WHOLE_DISTRICT`, which the signed chain keeps as it is)."""
    return zone.name if process.zoned else translate(request, N_("Whole district"))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/budgets", index, name="budgets")
    router.add_get("/budgets/new", new_form)
    router.add_post("/budgets", create)
    router.add_get("/b/{slug}", show, name="budget")
    router.add_get("/b/{slug}/edit", change_form)
    router.add_post("/b/{slug}/edit", change)
    router.add_get("/b/{slug}/projects/new", propose_form)
    router.add_post("/b/{slug}/projects", propose)
    router.add_get("/b/{slug}/p/{project_id}", show_project, name="budget_project")
    router.add_post("/b/{slug}/p/{project_id}/review", review)
    router.add_post("/b/{slug}/p/{project_id}/follow-up", follow_up)
    router.add_get("/admin/residents", residents, name="residents")
    router.add_post("/admin/residents", change_resident)


def _slug(request: web.Request) -> str:
    return request.match_info["slug"]


def _project_id(request: web.Request) -> int:
    try:
        return int(request.match_info["project_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


def _require_official(request: web.Request) -> Any:
    user = require_user(request)
    if not budgets.is_official(user):
        raise NotOfficial()
    return user


def _calendar(process: BudgetProcess, phase: Phase) -> list[dict[str, Any]]:
    """The steps shown on the process page, each with its dates and whether it is the current one."""
    steps: list[dict[str, Any]] = [
        {"phase": Phase.PROPOSALS, "starts": process.proposals_open_at, "ends": process.review_starts_at},
        {"phase": Phase.REVIEW, "starts": process.review_starts_at, "ends": process.voting_opens_at},
        {"phase": Phase.VOTING, "starts": process.voting_opens_at, "ends": process.voting_closes_at},
        {"phase": Phase.RESULTS, "starts": process.results_published_at, "ends": None},
        {"phase": Phase.IMPLEMENTATION, "starts": process.implementation_starts_at, "ends": None},
    ]
    current = Phase.RESULTS if phase is Phase.COUNTING else phase
    for step in steps:
        step["current"] = step["phase"] is current
    return steps


def _percent(share: Decimal | None) -> str:
    """0.75 → '75'; 0.7525 → '75.25'."""
    if share is None:
        return ""
    return f"{share * 100:f}".rstrip("0").rstrip(".")


# The list and opening a process


def parse_before(raw: str) -> tuple[datetime, int] | None:
    """The keyset cursor of an "older processes" link: the last shown process's creation time and id (ValueError
    when it is not one)."""
    created, _, process_id = raw.rpartition("_")
    return (datetime.fromisoformat(created), int(process_id)) if raw else None


def _before(request: web.Request) -> tuple[datetime, int] | None:
    try:
        return parse_before(request.query.get("before", ""))
    except ValueError:
        raise web.HTTPNotFound() from None


async def index(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        processes = await budgets.list_processes(conn, before=_before(request), limit=budgets.PROCESSES_PER_PAGE + 1)
    more = len(processes) > budgets.PROCESSES_PER_PAGE
    processes = processes[: budgets.PROCESSES_PER_PAGE]
    now = app.clock.now()
    last = processes[-1] if more else None
    return form_page(
        request,
        "budgets/index.html",
        context={
            "processes": [(p, p.phase(now)) for p in processes],
            "labels": LABELS,
            "can_open": budgets.is_official(request.get(USER)),
            "next_before": f"{last.created_at.isoformat()}_{last.id}" if last else None,
        },
    )


def _new_context() -> dict[str, Any]:
    return {"choices": CHOICES, "labels": LABELS}


async def new_form(request: web.Request) -> web.Response:
    _require_official(request)
    defaults = {"ballot_rule": "approval", "counting_rule": "mes", "completion": "add1", "satisfaction": "cost",
                "tie_break": "equalshares"}  # fmt: skip
    return form_page(request, "budgets/new.html", data=defaults, keep=PROCESS_FIELDS, context=_new_context())


async def create(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            process = await budgets.create_process(
                conn, clock=app.clock, actor=user, data=data, node_text=node_text(request)
            )
    except DomainError as error:
        if not explained_on_form(error):
            raise
        return form_page(
            request, "budgets/new.html", data=data, keep=PROCESS_FIELDS, error=error, context=_new_context()
        )
    return redirect(f"/b/{process.slug}")


# Changing an open process

CHANGE_FIELDS = ("title", "description", *CALENDAR)


def _as_form(process: BudgetProcess) -> dict[str, str]:
    """The stored values as the form shows them: dates in Lima wall-clock time, as typed."""
    values = {"title": process.title, "description": process.description}
    for name in CALENDAR:
        moment = getattr(process, name)
        values[name] = moment.astimezone(LIMA).strftime("%Y-%m-%dT%H:%M") if moment is not None else ""
    return values


def _change_context(process: BudgetProcess, now: datetime) -> dict[str, Any]:
    return {"process": process, "passed": process.passed_dates(now)}


async def change_form(request: web.Request) -> web.Response:
    _require_official(request)
    app = state(request)
    async with app.db.acquire() as conn:
        process = await budgets.get_process(conn, _slug(request))
    context = _change_context(process, app.clock.now())
    return form_page(request, "budgets/edit.html", data=_as_form(process), keep=CHANGE_FIELDS, context=context)


async def change(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            process = await budgets.change_process(conn, clock=app.clock, actor=user, slug=_slug(request), data=data)
    except DomainError as error:
        if not explained_on_form(error):
            raise
        async with app.db.acquire() as conn:
            process = await budgets.get_process(conn, _slug(request))
        context = _change_context(process, app.clock.now())
        return form_page(request, "budgets/edit.html", data=data, keep=CHANGE_FIELDS, error=error, context=context)
    return redirect(f"/b/{process.slug}")


# A process


async def show(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        process = await budgets.get_process(conn, _slug(request))
        projects = await budgets.list_projects(conn, process.id)
        forum = await forums.forum_by_id(conn, process.forum_id) if process.forum_id is not None else None
    phase = process.phase(app.clock.now())
    by_zone = [(zone, [p for p in projects if p.zone_id == zone.id]) for zone in process.zones]
    return form_page(
        request,
        "budgets/show.html",
        context={
            "process": process,
            "phase": phase,
            "Phase": Phase,
            "calendar": _calendar(process, phase),
            "by_zone": by_zone,
            "forum": forum,
            "min_share_percent": _percent(process.min_share),
            "labels": LABELS,
            "is_official": budgets.is_official(request.get(USER)),
            "can_change": budgets.is_official(request.get(USER)) and process.results_published_at is None,
        },
    )


async def _propose_context(request: web.Request, process: BudgetProcess) -> dict[str, Any]:
    async with state(request).db.acquire() as conn:
        speak_for = await orgs.organizations_administered_by(conn, request.get(USER))
    return {
        "process": process,
        "speak_for": speak_for,
        # Zone and organization names are data, not messages: the select's translation of them is a no-op.
        "zone_options": [str(zone.id) for zone in process.zones],
        "zone_labels": {
            str(zone.id): f"{zone_name(request, process, zone)} ({format_money(zone.amount)})" for zone in process.zones
        },
        "org_labels": {org.slug: org.name for org in speak_for},
    }


async def propose_form(request: web.Request) -> web.Response:
    require_user(request)
    app = state(request)
    async with app.db.acquire() as conn:
        process = await budgets.get_process(conn, _slug(request))
    if process.phase(app.clock.now()) is not Phase.PROPOSALS:
        raise ProposalsClosed()
    defaults = {"zone_id": str(process.zones[0].id)} if len(process.zones) == 1 else {}
    return form_page(
        request, "budgets/propose.html", data=defaults, keep=PROJECT_FIELDS,
        context=await _propose_context(request, process),
    )  # fmt: skip


async def propose(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    slug = _slug(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            project = await budgets.propose_project(
                conn, clock=app.clock, actor=user, slug=slug, data=data,
                as_organization=str(data.get("as_organization") or "") or None,
                link_base=app.settings.base_url, node_text=node_text(request),
            )  # fmt: skip
    except DomainError as error:
        if not explained_on_form(error):
            raise
        async with app.db.acquire() as conn:
            process = await budgets.get_process(conn, slug)
        return form_page(
            request, "budgets/propose.html", data=data, keep=PROJECT_FIELDS, error=error,
            context=await _propose_context(request, process),
        )  # fmt: skip
    return redirect(f"/b/{slug}/p/{project.id}")


# A project


async def _project_context(request: web.Request) -> dict[str, Any]:
    app = state(request)
    async with app.db.acquire() as conn:
        process = await budgets.get_process(conn, _slug(request))
        project = await budgets.get_project(conn, process.id, _project_id(request))
        history = await budgets.review_history(conn, project.id)
        endorsements = await coalitions.endorsements_of_project(conn, project.id)
    phase = process.phase(app.clock.now())
    official = budgets.is_official(request.get(USER))
    return {
        "process": process,
        "project": project,
        "zone": process.zone(project.zone_id),
        "history": history,
        "review_reason": review_reason(request, process, project),
        "endorsements": endorsements,
        "phase": phase,
        "labels": LABELS,
        "choices": CHOICES,
        "can_review": official and phase in (Phase.PROPOSALS, Phase.REVIEW),
        "can_follow_up": official and phase in (Phase.RESULTS, Phase.IMPLEMENTATION),
        "failed": None,  # which of the page's forms a refusal is about
    }


async def show_project(request: web.Request) -> web.Response:
    context = await _project_context(request)
    project = context["project"]
    data = {
        "feasible": {True: "yes", False: "no"}.get(project.feasible, ""),
        "reason": project.review_reason or "",
        "final_cost": str(project.final_cost) if project.final_cost is not None else "",
        "status": project.implementation_status or "",
        "note": project.implementation_note,
    }
    return form_page(request, "budgets/project.html", data=data, keep=REVIEW_FIELDS + FOLLOW_UP_FIELDS, context=context)


async def review(request: web.Request) -> web.Response:
    return await _project_action(request, "review")


async def follow_up(request: web.Request) -> web.Response:
    return await _project_action(request, "follow_up")


async def _project_action(request: web.Request, action: str) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    slug, project_id = _slug(request), _project_id(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            if action == "review":
                await budgets.review_project(
                    conn, clock=app.clock, actor=user, slug=slug, project_id=project_id, data=data
                )
            else:
                await budgets.follow_up_project(
                    conn, clock=app.clock, actor=user, slug=slug, project_id=project_id, data=data
                )
    except DomainError as error:
        if not explained_on_form(error):
            raise
        return form_page(
            request, "budgets/project.html", data=data, keep=REVIEW_FIELDS + FOLLOW_UP_FIELDS, error=error,
            # The form that was sent, even when the phase that offered it has just ended: its text stays on the page.
            context={**await _project_context(request), "failed": action, f"can_{action}": True},
        )  # fmt: skip
    return redirect(f"/b/{slug}/p/{project_id}")


# Resident verification


async def _residents_context(request: web.Request, user: Any) -> dict[str, Any]:
    app = state(request)
    async with app.db.acquire() as conn:
        recent = await budgets.recent_verifications(conn, clock=app.clock, actor=user)
    return {"recent": recent}


async def residents(request: web.Request) -> web.Response:
    user = _require_official(request)
    return form_page(request, "budgets/residents.html", keep=RESIDENT_FIELDS,
                     context=await _residents_context(request, user))  # fmt: skip


async def change_resident(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    username = str(data.get("username", ""))
    try:
        async with app.db.acquire() as conn, conn.transaction():
            if data.get("action") == "unverify":
                await budgets.unverify_resident(conn, clock=app.clock, actor=user, username=username)
            else:
                await budgets.verify_resident(
                    conn, clock=app.clock, actor=user, username=username, place=str(data.get("place", ""))
                )
    except DomainError as error:
        if not explained_on_form(error):
            raise
        return form_page(
            request, "budgets/residents.html", data=data, keep=RESIDENT_FIELDS, error=error,
            context=await _residents_context(request, user),
        )  # fmt: skip
    return redirect("/admin/residents")
