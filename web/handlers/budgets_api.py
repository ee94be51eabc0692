"""The budget processes in the JSON API (/api/v1/budgets…): the same reads as the pages, as wire models. Casting a
ballot through the API is `web.handlers.voting.api_ballot`; results and ballots are open data files already
(`/b/SLUG/results.csv`, `ballots.pb`, `chain.json`)."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from deliberate.budgets import model
from deliberate.budgets import service as budgets
from deliberate.errors import InvalidInput
from schemas import api
from web.handlers.budgets import parse_before
from web.state import state


def _json(body: api.Wire) -> web.Response:
    return web.Response(text=body.model_dump_json(), content_type="application/json")


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _url(request: web.Request, path: str) -> str:
    return state(request).settings.base_url.rstrip("/") + path


def _summary(request: web.Request, process: model.BudgetProcess) -> api.BudgetProcessSummary:
    return api.BudgetProcessSummary(
        slug=process.slug, title=process.title, url=_url(request, f"/b/{process.slug}"),
        phase=process.phase(state(request).clock.now()).value, total_amount=str(process.total_amount),
        voting_opens_at=process.voting_opens_at, voting_closes_at=process.voting_closes_at,
    )  # fmt: skip


async def list_processes(request: web.Request) -> web.Response:
    try:
        before = parse_before(request.query.get("cursor", ""))
    except ValueError:
        raise InvalidInput(field="cursor") from None
    async with state(request).db.acquire() as conn:
        found = await budgets.list_processes(conn, before=before, limit=budgets.PROCESSES_PER_PAGE + 1)
    page = found[: budgets.PROCESSES_PER_PAGE]
    last = page[-1] if len(found) > budgets.PROCESSES_PER_PAGE else None
    cursor = f"{last.created_at.isoformat()}_{last.id}" if last else None
    items = [_summary(request, p) for p in page]
    return _json(api.Page[api.BudgetProcessSummary](items=items, next=cursor))


async def get_process(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        p = await budgets.get_process(conn, request.match_info["slug"])
    summary = _summary(request, p)
    body = api.BudgetProcess(
        slug=p.slug, title=p.title, description=p.description, url=summary.url, phase=summary.phase,
        origin="imported" if p.origin == "imported" else "local", total_amount=str(p.total_amount),
        zones=[api.BudgetZone(id=z.id, name=z.name, amount=str(z.amount)) for z in p.zones],
        ballot_rule=p.ballot_rule, max_choices=p.max_choices, min_share=_amount(p.min_share), points=p.points,
        counting_rule=p.counting_rule, min_votes=p.min_votes, completion=p.completion, satisfaction=p.satisfaction,
        tie_break=p.tie_break, tie_seed=p.tie_seed, proposals_open_at=p.proposals_open_at,
        review_starts_at=p.review_starts_at, voting_opens_at=p.voting_opens_at, voting_closes_at=p.voting_closes_at,
        implementation_starts_at=p.implementation_starts_at, results_published_at=p.results_published_at,
    )  # fmt: skip
    return _json(body)


def _project(request: web.Request, process: model.BudgetProcess, p: model.BudgetProject) -> api.BudgetProject:
    return api.BudgetProject(
        id=p.id, zone=p.zone_id, title=p.title, description=p.description, location=p.location,
        url=_url(request, f"/b/{process.slug}/p/{p.id}"), estimated_cost=str(p.estimated_cost),
        final_cost=_amount(p.final_cost), feasible=p.feasible, review_reason=p.review_reason,
        proposed_by=p.proposed_by_username, as_organization=p.as_organization_slug,
        implementation_status=p.implementation_status, implementation_note=p.implementation_note,
    )  # fmt: skip


async def list_projects(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        process = await budgets.get_process(conn, request.match_info["slug"])
        projects = await budgets.list_projects(conn, process.id)
    return _json(api.Page[api.BudgetProject](items=[_project(request, process, p) for p in projects]))
