"""Budget voting pages: the ballot, changing it with the receipt code, paper ballots at a polling table, checking a
receipt, publishing and showing the results with their explanation and a bar chart, the open-data downloads, the
officials' import form and the JSON endpoint that casts a ballot with a personal token (routed from the API's
endpoint table, `schemas.openapi`).

A ballot POST answers with the receipt page itself (not a redirect): the code is shown once and exists nowhere else,
so the response is marked `no-store`. Everything else follows post/redirect/get. The rules live in
`deliberate.budgets.voting`, `publishing` and `exchange`; this module only reads forms and renders.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from pydantic import ValidationError

from deliberate.accounts.model import Account
from deliberate.budgets import exchange, publishing, voting
from deliberate.budgets import service as budgets
from deliberate.budgets.model import BudgetProcess, BudgetProject, Phase
from deliberate.errors import N_, DomainError, InvalidInput, Unauthenticated
from deliberate.validation import InvalidFields, field_error
from schemas import api as wire
from web.forms import form_page
from web.handlers.budgets import CHOICES, LABELS, rule_label
from web.handlers.common import form_data, redirect, require_user
from web.i18n import format_money
from web.problems import explained_on_form
from web.render import language, page, translate
from web.state import USER, state

NO_STORE = {"Cache-Control": "no-store"}
MAX_IMPORT = 30 * 1024 * 1024
CHART_WIDTH = 320  # px of the longest bar


def _slug(request: web.Request) -> str:
    return request.match_info["slug"]


def _soles(text: str | None) -> str:
    if text is None:
        return ""
    return format_money(Decimal(Fraction(text).numerator) / Decimal(Fraction(text).denominator))


async def _ballot_context(request: web.Request, process: BudgetProcess, zone_id: object) -> dict[str, Any]:
    user = request.get(USER)
    zone = None
    if len(process.zones) == 1:
        zone = process.zones[0]
    elif zone_id not in (None, ""):
        try:
            zone = process.zone(int(str(zone_id)))
        except ValueError:
            zone = None
    async with state(request).db.acquire() as conn:
        status = await voting.voter_status(conn, process, user)
        verified = user is not None and await budgets.is_verified_resident(conn, user.id)
        projects: list[BudgetProject] = await voting.ballot_projects(conn, process, zone.id) if zone is not None else []
    return {
        "process": process,
        "phase": process.phase(state(request).clock.now()),
        "Phase": Phase,
        "zone": zone,
        "projects": projects,
        "status": status,
        "verified": verified,
        "min_share_amount": zone.amount * process.min_share if zone and process.min_share else None,
        "changing": False,
        "paper": False,
    }


async def _process(request: web.Request) -> BudgetProcess:
    async with state(request).db.acquire() as conn:
        return await budgets.get_process(conn, _slug(request))


async def vote_form(request: web.Request) -> web.Response:
    require_user(request)
    process = await _process(request)
    context = await _ballot_context(request, process, request.query.get("zone"))
    return form_page(request, "budgets/vote.html", context=context)


def _receipt_page(request: web.Request, process: BudgetProcess, receipt: voting.Receipt, *, table: str | None = None
                  ) -> web.Response:  # fmt: skip
    response = page(request, "budgets/receipt.html", {
        "process": process, "receipt": receipt, "zone": process.zone(receipt.zone_id), "paper": table is not None,
        "next_paper": f"/b/{process.slug}/paper?" + urlencode({"polling_table": table or "", "zone": receipt.zone_id}),
    })  # fmt: skip
    response.headers.update(NO_STORE)
    return response


async def cast(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    process = await _process(request)
    try:
        choices = voting.choices_from_form(process, data)
        async with app.db.acquire() as conn, conn.transaction():
            receipt = await voting.cast_ballot(
                conn, clock=app.clock, actor=user, slug=process.slug, zone_id=data.get("zone"), choices=choices
            )
    except (InvalidInput, DomainError) as error:
        context = await _ballot_context(request, process, data.get("zone"))
        return form_page(request, "budgets/vote.html", data=data, keep=tuple(data), error=error, context=context)
    return _receipt_page(request, process, receipt)


async def change_form(request: web.Request) -> web.Response:
    user = require_user(request)
    process = await _process(request)
    async with state(request).db.acquire() as conn:
        status = await voting.voter_status(conn, process, user)
    context = await _ballot_context(request, process, status.zone_id)
    return form_page(request, "budgets/vote.html", context=context | {"changing": True})


async def change(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    process = await _process(request)
    try:
        choices = voting.choices_from_form(process, data)
        async with app.db.acquire() as conn, conn.transaction():
            receipt = await voting.change_ballot(
                conn, clock=app.clock, actor=user, slug=process.slug, code=str(data.get("code", "")), choices=choices
            )
    except DomainError as error:
        async with app.db.acquire() as conn:
            status = await voting.voter_status(conn, process, user)
        context = await _ballot_context(request, process, status.zone_id)
        keep = tuple(key for key in data if key != "code")
        return form_page(request, "budgets/vote.html", data=data, keep=keep, error=error,
                         context=context | {"changing": True})  # fmt: skip
    return _receipt_page(request, process, receipt)


async def _paper_context(request: web.Request, process: BudgetProcess, zone_id: object) -> dict[str, Any]:
    context = await _ballot_context(request, process, zone_id)
    return context | {"paper": True}


async def paper_form(request: web.Request) -> web.Response:
    user = require_user(request)
    budgets.check_official(user, state(request).clock)
    process = await _process(request)
    context = await _paper_context(request, process, request.query.get("zone"))
    return form_page(request, "budgets/paper.html", keep=("polling_table",), data=dict(request.query), context=context)


async def paper_register(request: web.Request) -> web.Response:
    """Officials: how many paper ballots each official entered at each polling table, to reconcile with the tables'
    signed registers. Counts only."""
    user = require_user(request)
    app = state(request)
    process = await _process(request)
    async with app.db.acquire() as conn:
        tables, paper_total, roll = await voting.paper_register(conn, clock=app.clock, actor=user, slug=process.slug)
    context = {"process": process, "tables": tables, "paper_total": paper_total, "roll": roll}
    response = page(request, "budgets/paper_register.html", context)
    response.headers.update(NO_STORE)
    return response


async def paper(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    process = await _process(request)
    try:
        choices = voting.choices_from_form(process, data)
        async with app.db.acquire() as conn, conn.transaction():
            receipt = await voting.enter_paper_ballot(
                conn, clock=app.clock, actor=user, slug=process.slug, username=str(data.get("username", "")),
                polling_table=str(data.get("polling_table", "")), zone_id=data.get("zone"), choices=choices,
            )  # fmt: skip
    except DomainError as error:
        # The voter's refusals (voted online, already voted, not a verified resident) name the username field; an
        # unknown username is a bare NotFound, shown on the form as well so the official can correct it.
        if not (explained_on_form(error) or error.code == "not_found"):
            raise
        context = await _paper_context(request, process, data.get("zone"))
        return form_page(request, "budgets/paper.html", data=data, keep=tuple(data), error=error, context=context)
    return _receipt_page(request, process, receipt, table=str(data.get("polling_table", "")).strip())


async def receipt_form(request: web.Request) -> web.Response:
    process = await _process(request)
    return form_page(request, "budgets/receipt_check.html", context={"process": process, "found": None})


async def receipt_check(request: web.Request) -> web.Response:
    data = await form_data(request)
    app = state(request)
    process = await _process(request)
    code = str(data.get("code", ""))
    found: dict[str, Any] | None = None
    try:
        async with app.db.acquire() as conn:
            if process.results_published:
                check = await publishing.check_receipt(conn, slug=process.slug, code=code)
                found = {
                    "published": True, "position": check.position, "total": check.total,
                    "unchanged": check.unchanged, "zone": process.zone(check.zone_id), "choices": check.choices,
                }  # fmt: skip
            else:
                box = await voting.find_ballot_in_box(conn, slug=process.slug, code=code)
                found = {"published": False, "zone": process.zone(box.zone_id), "choices": box.choices}
            projects = {p.id: p for p in await budgets.list_projects(conn, process.id)}
    except InvalidInput as error:
        return form_page(request, "budgets/receipt_check.html", error=error, context={"process": process,
                                                                                    "found": None})  # fmt: skip
    found["lines"] = _choice_lines(request, process, found["choices"], projects)
    response = form_page(request, "budgets/receipt_check.html", context={"process": process, "found": found})
    response.headers.update(NO_STORE)
    return response


def _choice_lines(request: web.Request, process: BudgetProcess, choices: Any, projects: dict[int, BudgetProject]
                  ) -> list[str]:  # fmt: skip
    def title(project_id: object) -> str:
        project = projects.get(int(str(project_id)))
        return project.title if project else f"#{project_id}"

    if isinstance(choices, dict):
        return [translate(request, N_("%(project)s: %(points)s points"), project=title(k), points=v)
                for k, v in choices.items()]  # fmt: skip
    if process.ballot_rule == "ordinal":
        return [f"{place}. {title(p)}" for place, p in enumerate(choices, start=1)]
    return [title(p) for p in choices]


async def publish(request: web.Request) -> web.Response:
    user = require_user(request)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        await publishing.publish_results(conn, clock=app.clock, actor=user, slug=_slug(request))
    return redirect(f"/b/{_slug(request)}/results")


# ---- results -------------------------------------------------------------------------------------------------------


def explain(
    request: web.Request, row: publishing.ResultRow, *, points: bool = False, per_sol: bool = False
) -> list[str]:
    """A project's outcome in plain words (the page's language), from the stored explanation. `points`: the ballots
    give points (cumulative and ranking ballots), so greedy orders by the points added up and the minimum a
    greedy-threshold count compares is of points; `per_sol`: cardinality satisfaction, so greedy orders by votes or
    points for each sol of cost. The stored explanation holds codes and numbers only: the words are the reader's."""
    e = row.explanation
    reason = e.get("reason")

    def t(message: str, **params: Any) -> str:
        return translate(request, message, **params)

    catalog = state(request).translations[language(request)]

    def ngettext(singular: str, plural: str, num: int, **params: Any) -> str:
        return str(catalog.ngettext(singular, plural, num)) % {"num": num, **params}

    if reason == "equal_shares":
        step = e["equal_shares"]
        lines = [t(N_("Funded by Equal Shares in round %(round)s: its supporters paid for it together."),
                   round=step["round"])]  # fmt: skip
        for share in step["shares"]:
            lines.append(ngettext("%(num)s supporter paid %(amount)s.", "%(num)s supporters paid %(amount)s each.",
                            share["voters"], amount=_soles(share["amount"])))  # fmt: skip
        return lines
    if reason == "greedy":
        step = e.get("greedy") or {}
        if not row.votes:
            return [t(N_("Nobody voted for it, but it fit in the %(money)s left at the end, so it was funded."),
                      money=_soles(step.get("money_left", "0")))]  # fmt: skip
        if points and per_sol:
            funded = N_("Funded by number of points for each sol it costs: when its turn came (place %(position)s), "
                        "%(money)s were left.")  # fmt: skip
        elif points:
            funded = N_("Funded by number of points: when its turn came (place %(position)s), %(money)s were left.")
        elif per_sol:
            funded = N_("Funded by number of votes for each sol it costs: when its turn came (place %(position)s), "
                        "%(money)s were left.")  # fmt: skip
        else:
            funded = N_("Funded by number of votes: when its turn came (place %(position)s), %(money)s were left.")
        return [t(funded, position=step.get("position", "?"), money=_soles(step.get("money_left", "0")))]
    if reason == "free":
        return [t(N_("It costs nothing and has support, so it was funded first."))]
    if reason == "below_threshold":
        if points:  # the count compares the project's points, not how many voters gave them
            return [t(N_("Not funded: it received %(points)s points in total, fewer than the minimum of %(minimum)s "
                         "points."), points=e.get("score", "?"), minimum=e.get("min_score") or "?")]  # fmt: skip
        return [t(N_("Not funded: it had %(votes)s votes, fewer than the minimum of %(minimum)s."), votes=row.votes,
                  minimum=e.get("min_score") or "?")]  # fmt: skip
    if reason == "unaffordable":
        step = e.get("equal_shares") or {}
        after = step.get("unaffordable_after") or 0
        money = _soles(step.get("supporters_money") or "0")
        if after:
            return [ngettext(
                "Not funded: after %(num)s funded project, its supporters had %(money)s left, less than its cost.",
                "Not funded: after %(num)s funded projects, its supporters had %(money)s left, less than its cost.",
                after, money=money,
            )]  # fmt: skip
        return [t(N_("Not funded: from the start its supporters had only %(money)s together, less than its cost."),
                  money=money)]  # fmt: skip
    if reason == "free_no_satisfaction":
        if points:
            return [t(N_("Not funded: it costs nothing, and in this count a point is worth what the project costs, so "
                         "its points add nothing and Equal Shares does not pick it. Only a completion by number of "
                         "points with the money left funds such a project."))]  # fmt: skip
        return [t(N_("Not funded: it costs nothing, and in this count a vote is worth what the project costs, so its "
                     "votes add nothing and Equal Shares does not pick it. Only a completion by number of votes with "
                     "the money left funds such a project."))]  # fmt: skip
    if reason == "did_not_fit":
        step = e.get("greedy") or {}
        return [t(N_("Not funded: when its turn came (place %(position)s), only %(money)s were left."),
                  position=step.get("position", "?"), money=_soles(step.get("money_left", "0")))]  # fmt: skip
    return [t(N_("Nobody voted for it."))]


def points_of(row: publishing.ResultRow) -> int | Fraction:
    """The points a project received, all ballots added up (the stored explanation's exact `score`)."""
    score = Fraction(str(row.explanation.get("score", row.votes)))
    return score.numerator if score.denominator == 1 else score


def bar_chart(rows: list[publishing.ResultRow], *, points: bool = False) -> dict[str, Any]:
    """Bars for the SVG: one per project, its length proportional to its votes, or to its points on a ballot that
    gives points (what greedy orders by), with the number at its end (no script, no style attribute)."""
    values = [points_of(r) if points else r.votes for r in rows]
    most = max(values, default=0) or 1
    bars = []
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        width = max(2, round(CHART_WIDTH * value / most))
        bars.append({"y": i * 28, "width": width, "row": row, "value": value, "label_x": 150 + width + 6})
    return {"bars": bars, "height": len(rows) * 28 + 4, "width": 150 + CHART_WIDTH + 60, "points": points}


async def results(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        process = await budgets.get_process(conn, _slug(request))
        published = process.results_published
        rows: list[publishing.ResultRow] = []
        if published:
            _, rows = await publishing.published_results(conn, slug=process.slug)
        sizes = await voting.roll_and_box_sizes(conn, process)
    zones = []
    points, per_sol = process.counts_points, process.satisfaction == "cardinality"

    def explained(row: publishing.ResultRow) -> tuple[publishing.ResultRow, list[str], int | Fraction]:
        return row, explain(request, row, points=points, per_sol=per_sol), points_of(row)

    for zone in process.zones:
        zone_rows = [r for r in rows if r.zone_id == zone.id]
        funded = sorted((r for r in zone_rows if r.selected), key=lambda r: r.pick_order or 0)
        others = [r for r in zone_rows if not r.selected]
        spent = sum((Decimal(r.cost) for r in funded), Decimal(0))
        voters = zone_rows[0].explanation.get("zone_voters", 0) if zone_rows else 0
        zones.append({
            "zone": zone, "funded": [explained(r) for r in funded], "others": [explained(r) for r in others],
            "chart": bar_chart(funded + others, points=points), "spent": spent, "left": zone.amount - spent,
            "voters": voters,
        })  # fmt: skip
    phase = process.phase(app.clock.now())
    user = request.get(USER)
    return page(request, "budgets/results.html", {
        "process": process, "zones": zones, "published": published, "phase": phase, "Phase": Phase,
        "can_publish": budgets.is_official(user) and phase is Phase.COUNTING, "ballots": sizes[1],
        "labels": LABELS, "counting_label": rule_label(process, "counting_rule"),
        "completion_label": rule_label(process, "completion"),
        "points": points,
    })  # fmt: skip


# ---- open data -----------------------------------------------------------------------------------------------------


def _download(text: str, *, content_type: str, filename: str) -> web.Response:
    return web.Response(text=text, content_type=content_type, charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


async def chain_json(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        document = await publishing.chain_document(conn, slug=_slug(request))
    document["key_id"] = f"{app.settings.base_url}/actor#ed25519-key"
    return web.Response(text=json.dumps(document, ensure_ascii=False), content_type="application/json")


async def ballots_pb(request: web.Request) -> web.Response:
    app = state(request)
    zone = request.query.get("zone")
    try:
        zone_id = int(zone) if zone else None
    except ValueError:
        raise web.HTTPNotFound() from None
    async with app.db.acquire() as conn:
        text = await exchange.export_pabulib(conn, slug=_slug(request), zone_id=zone_id)
    suffix = f"-{zone_id}" if zone_id else ""
    return _download(text, content_type="text/plain", filename=f"{_slug(request)}{suffix}.pb")


async def results_csv(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        text = await exchange.results_csv(conn, slug=_slug(request))
    return _download(text, content_type="text/csv", filename=f"{_slug(request)}-results.csv")


async def ballots_csv(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        text = await exchange.ballots_csv(conn, slug=_slug(request))
    return _download(text, content_type="text/csv", filename=f"{_slug(request)}-ballots.csv")


# ---- import --------------------------------------------------------------------------------------------------------


IMPORT_RULE_FIELDS = ("counting_rule", "completion", "satisfaction", "tie_break")


def _import_context() -> dict[str, Any]:
    return {"choices": CHOICES, "labels": LABELS}


def _import_rules(form: Any) -> exchange.ImportRules:
    """The rules the official chose instead of the file's; an empty choice keeps what the file's META says."""
    chosen = {name: str(form.get(name, "")).strip() or None for name in IMPORT_RULE_FIELDS}
    return exchange.ImportRules(**chosen)


async def import_form(request: web.Request) -> web.Response:
    budgets.check_official(require_user(request), state(request).clock)
    return form_page(request, "budgets/import.html", context=_import_context())


async def import_file(request: web.Request) -> web.Response:
    user = require_user(request)
    app = state(request)
    budgets.check_official(user, app.clock)
    form = await request.post()
    upload = form.get("file")
    error: DomainError | None = None
    if not isinstance(upload, web.FileField):
        error = InvalidInput(field="file", message=N_("Please choose a .pb file."))
    else:
        raw = upload.file.read(MAX_IMPORT + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            error = InvalidInput(field="file", message=N_("The file is not UTF-8 text."))
        else:
            try:
                async with app.db.acquire() as conn, conn.transaction():
                    process = await exchange.import_pabulib(
                        conn, clock=app.clock, actor=user, text=text, name=upload.filename.rsplit(".", 1)[0],
                        rules=_import_rules(form),
                    )  # fmt: skip
            except InvalidInput as refused:
                error = refused
    if error is not None:
        return form_page(request, "budgets/import.html", data=form, keep=IMPORT_RULE_FIELDS, error=error,
                         context=_import_context())  # fmt: skip
    return redirect(f"/b/{process.slug}/results")


# ---- JSON API ------------------------------------------------------------------------------------------------------


async def api_ballot(request: web.Request) -> web.Response:
    """POST /api/v1/budgets/{slug}/ballot (`castBudgetBallot`, bound in `api.HANDLERS`): cast a ballot, or change it
    with `receipt_code`. 201 with the receipt code on a new ballot, 200 on a change."""
    user = request.get(USER)
    if not isinstance(user, Account):
        raise Unauthenticated()
    if request.content_length is not None and request.content_length > 64 * 1024:
        raise web.HTTPRequestEntityTooLarge(max_size=64 * 1024, actual_size=request.content_length)
    try:
        raw = json.loads(await request.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput(message=N_("The request body is not valid JSON.")) from None
    if not isinstance(raw, dict):
        raise InvalidInput(message=N_("The request body must be a JSON object."))
    try:
        body = wire.BallotIn.model_validate(raw)
    except ValidationError as exc:
        raise InvalidFields([field_error(e) for e in exc.errors()]) from None
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        if body.receipt_code:
            receipt = await voting.change_ballot(conn, clock=app.clock, actor=user, slug=_slug(request),
                                                 code=body.receipt_code, choices=body.choices)  # fmt: skip
        else:
            receipt = await voting.cast_ballot(conn, clock=app.clock, actor=user, slug=_slug(request),
                                               zone_id=body.zone, choices=body.choices)  # fmt: skip
    out = wire.BallotReceipt(receipt_code=receipt.display, zone=receipt.zone_id, changed=receipt.changed)
    return web.Response(text=out.model_dump_json(), status=200 if receipt.changed else 201,
                        content_type="application/json", headers=NO_STORE)  # fmt: skip


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/b/{slug}/vote", vote_form, name="budget_vote")
    router.add_post("/b/{slug}/vote", cast)
    router.add_get("/b/{slug}/vote/change", change_form)
    router.add_post("/b/{slug}/vote/change", change)
    router.add_get("/b/{slug}/paper", paper_form)
    router.add_get("/b/{slug}/paper/register", paper_register)
    router.add_post("/b/{slug}/paper", paper)
    router.add_get("/b/{slug}/receipt", receipt_form, name="budget_receipt")
    router.add_post("/b/{slug}/receipt", receipt_check)
    router.add_post("/b/{slug}/publish", publish)
    router.add_get("/b/{slug}/results", results, name="budget_results")
    router.add_get("/b/{slug}/chain.json", chain_json)
    router.add_get("/b/{slug}/ballots.pb", ballots_pb)
    router.add_get("/b/{slug}/results.csv", results_csv)
    router.add_get("/b/{slug}/ballots.csv", ballots_csv)
    router.add_get("/budgets/import", import_form)
    router.add_post("/budgets/import", import_file)
