"""Participatory-budget processes, their zones and the projects residents propose, with their public review.

A process has a total in soles split into zones (one zone for the whole district when the council does not split
it), a calendar of phases and the rules of its ballot and its count. The phase is never stored: it follows from the
calendar and from whether results were published, so a clock is all a check needs. Money is `Decimal` from the form
to the database (`numeric(14, 2)`): soles are never floats.

This module holds the data and the forms; the rules are in `service.py`, the SQL in `queries.py`, the count in
`counting*.py`. It must not import the web layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from deliberate.errors import N_
from deliberate.validation import LimaDateTime, OptionalLimaDateTime, blank_to_none

# Dates typed in a form without a zone are Lima time: the council, the residents and the calendar all live there.
# numeric(14, 2): twelve digits of soles and two of céntimos.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_ZONES = 50
# The name of the one zone of a process the council does not split. It is stored because a zone's name is part of the
# published chain's header (publishing.chain_header), which the node signs: a stored name can never change. Pages
# show their own translated words for a process with a single zone instead of this name (see `zoned`).
WHOLE_DISTRICT = "Todo el distrito"

BallotRule = Literal["approval", "knapsack", "cumulative", "ordinal"]
BALLOT_RULES: tuple[BallotRule, ...] = ("approval", "knapsack", "cumulative", "ordinal")
CountingRule = Literal["greedy", "greedy-threshold", "mes"]
COUNTING_RULES: tuple[CountingRule, ...] = ("greedy", "greedy-threshold", "mes")
Completion = Literal["none", "greedy", "add1", "add1-greedy", "add1-until-infeasible"]
COMPLETIONS: tuple[Completion, ...] = ("none", "greedy", "add1", "add1-greedy", "add1-until-infeasible")
Satisfaction = Literal["cost", "cardinality"]
SATISFACTIONS: tuple[Satisfaction, ...] = ("cost", "cardinality")
TieBreak = Literal["id", "equalshares"]
TIE_BREAKS: tuple[TieBreak, ...] = ("id", "equalshares")
# The ballots that give points: a cumulative ballot its points, a ranking of k projects k points to the first and 1
# to the last (`counting_model.Ballot.ranking`). Approval and knapsack ballots give each chosen project one point,
# that is one vote. Greedy orders projects by the points they received added up (per sol of cost with cardinality
# satisfaction), so on these ballots it orders by points, not by votes; every text that explains it says which.
POINTS_BALLOTS: frozenset[str] = frozenset({"cumulative", "ordinal"})
ImplementationStatus = Literal["planned", "in_progress", "done", "cancelled"]
IMPLEMENTATION_STATUSES: tuple[ImplementationStatus, ...] = ("planned", "in_progress", "done", "cancelled")


CALENDAR = ("proposals_open_at", "review_starts_at", "voting_opens_at", "voting_closes_at", "implementation_starts_at")


class Phase(StrEnum):
    UPCOMING = "upcoming"
    PROPOSALS = "proposals"
    REVIEW = "review"
    VOTING = "voting"
    COUNTING = "counting"  # voting closed, results not yet published
    RESULTS = "results"
    IMPLEMENTATION = "implementation"


@dataclass(frozen=True)
class Zone:
    id: int
    process_id: int
    name: str
    amount: Decimal
    position: int


@dataclass(frozen=True)
class BudgetProcess:
    id: int
    slug: str
    title: str
    description: str
    total_amount: Decimal
    ballot_rule: str
    max_choices: int | None
    min_share: Decimal | None
    points: int | None
    counting_rule: str
    min_votes: int | None
    completion: str
    satisfaction: str
    tie_break: str
    tie_seed: str
    proposals_open_at: datetime
    review_starts_at: datetime
    voting_opens_at: datetime
    voting_closes_at: datetime
    implementation_starts_at: datetime | None
    origin: str
    created_by: int
    created_at: datetime
    results_published_at: datetime | None
    results_published_by: int | None
    chain_head: str | None
    chain_signature: str | None
    # The node's public key that signed the chain head, kept so the chain verifies after a key rotation.
    chain_public_key: str | None = None
    # The public node-wide forum where each project gets its discussion thread.
    forum_id: int | None = None
    zones: tuple[Zone, ...] = ()

    def passed_dates(self, now: datetime) -> frozenset[str]:
        """The calendar's dates (names in CALENDAR) that have passed at `now`: people acted on them, so they stay."""
        return frozenset(name for name in CALENDAR if (moment := getattr(self, name)) is not None and moment <= now)

    def phase(self, now: datetime) -> Phase:
        """Where the calendar stands at `now`. Voting closed but nothing published yet is COUNTING, whatever the
        date, so the results and implementation pages never show before there are results."""
        if now < self.proposals_open_at:
            return Phase.UPCOMING
        if now < self.review_starts_at:
            return Phase.PROPOSALS
        if now < self.voting_opens_at:
            return Phase.REVIEW
        if now < self.voting_closes_at:
            return Phase.VOTING
        if self.results_published_at is None:
            return Phase.COUNTING
        if self.implementation_starts_at is not None and now >= self.implementation_starts_at:
            return Phase.IMPLEMENTATION
        return Phase.RESULTS

    def zone(self, zone_id: int) -> Zone | None:
        return next((zone for zone in self.zones if zone.id == zone_id), None)

    @property
    def zoned(self) -> bool:
        """True when the district is split into zones (a single zone is the whole district)."""
        return len(self.zones) > 1

    @property
    def results_published(self) -> bool:
        return self.results_published_at is not None

    @property
    def counts_points(self) -> bool:
        """True when the ballot gives points (cumulative, ranking): the count adds up points, not votes."""
        return self.ballot_rule in POINTS_BALLOTS


@dataclass(frozen=True)
class BudgetProject:
    id: int
    process_id: int
    zone_id: int
    title: str
    description: str
    location: str
    estimated_cost: Decimal
    proposed_by: int
    as_organization_id: int | None
    created_at: datetime
    feasible: bool | None
    review_reason: str | None
    final_cost: Decimal | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    thread_id: int | None
    external_id: str | None
    implementation_status: str | None
    implementation_note: str
    implementation_updated_at: datetime | None = None
    # For pages: who proposed it and in whose name.
    proposed_by_username: str = ""
    as_organization_slug: str | None = None
    as_organization_name: str | None = None

    @property
    def cost(self) -> Decimal:
        """The cost that counts: the reviewed final cost of a feasible project, otherwise the estimate."""
        if self.feasible is True and self.final_cost is not None:
            return self.final_cost
        return self.estimated_cost

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None


@dataclass(frozen=True)
class ResidentVerification:
    account_id: int
    username: str
    verified_by: int
    verified_by_username: str
    verified_at: datetime
    place: str


@dataclass(frozen=True)
class ReviewRecord:
    """One entry of a project's public review history (from the domain events)."""

    feasible: bool
    reason: str
    final_cost: Decimal | None
    by_username: str
    at: datetime


def parse_soles(value: object) -> object:
    """A before-validator for money typed by a person: '150000', '150 000', 'S/ 1 234,50', '1,234.50', '2.500,75'.

    The last '.' or ',' followed by one or two digits is the decimal separator; any other '.', ',' or space groups
    thousands. Anything else is left for pydantic to refuse."""
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.upper().startswith("S/"):
        text = text[2:].strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9][0-9 .,\u00a0\u202f]*", text):
        return value
    decimals = ""
    match = re.search(r"[.,]([0-9]{1,2})$", text)
    if match:
        decimals = match.group(1)
        text = text[: match.start()]
    groups = re.split(r"[ .,\u00a0\u202f]+", text)
    if any(len(group) != 3 for group in groups[1:]):
        return value  # "100,1234" is neither a decimal nor groups of thousands
    digits = "".join(groups)
    try:
        return Decimal(f"{digits}.{decimals}" if decimals else digits)
    except InvalidOperation:
        return value


def _check_soles(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise ValueError(N_("Please enter an amount in soles, like 150000 or 1 234,50."))
    if value > MAX_AMOUNT:
        raise ValueError(N_("That amount is too large."))
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(N_("Please use at most two decimals (céntimos)."))
    return value.quantize(Decimal("0.01"))


def _money_text(value: object) -> object:
    parsed = parse_soles(value)
    if isinstance(parsed, str):
        raise ValueError(N_("Please enter an amount in soles, like 150000 or 1 234,50."))
    return parsed


Soles = Annotated[Decimal, BeforeValidator(_money_text)]
OptionalSoles = Annotated[Decimal | None, BeforeValidator(_money_text)]


def _blank_int(value: object) -> object:
    return blank_to_none(value)


def _share_text(value: object) -> object:
    """A share of the budget as a fraction ('0.75', '0,75') or a percentage ('75%')."""
    value = blank_to_none(value)
    if isinstance(value, str):
        text = value.replace(",", ".").replace(" ", "")
        try:
            return Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
        except InvalidOperation:
            raise ValueError(N_("Please enter a share like 0.75 or 75%.")) from None
    return value


OptionalInt = Annotated[int | None, BeforeValidator(_blank_int)]


@dataclass(frozen=True)
class ZoneLine:
    name: str
    amount: Decimal


def parse_zone_lines(text: str) -> list[ZoneLine]:
    """'Name; amount' per line (blank lines ignored). Raises ValueError with a message id naming the line."""
    zones: list[ZoneLine] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, separator, amount_text = line.rpartition(";")
        name = name.strip()
        if not separator or not name:
            raise ZoneLineError(N_('Line %(line)s: write the zone, a semicolon and its amount, like "Zona A; 150000".'),
                                line=number)  # fmt: skip
        if len(name) > 120:
            raise ZoneLineError(N_("Line %(line)s: the zone name is too long (at most 120 characters)."), line=number)
        amount = parse_soles(amount_text)
        if not isinstance(amount, Decimal):
            raise ZoneLineError(N_("Line %(line)s: the amount is not a number of soles."), line=number)
        try:
            checked = _check_soles(amount)
        except ValueError:
            raise ZoneLineError(N_("Line %(line)s: the amount is not a number of soles."), line=number) from None
        if checked is None or checked <= 0:
            raise ZoneLineError(N_("Line %(line)s: each zone needs an amount above zero."), line=number)
        if name.casefold() in seen:
            raise ZoneLineError(N_("Line %(line)s: this zone is already listed."), line=number)
        seen.add(name.casefold())
        zones.append(ZoneLine(name, checked))
    if len(zones) > MAX_ZONES:
        raise ZoneLineError(N_("Please list at most %(count)s zones."), count=MAX_ZONES)
    return zones


class ZoneLineError(ValueError):
    """A bad zone line; carries the message id and its parameters for the form."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class ProcessChangeForm(BaseModel):
    """What an official may change once a process is open: its words and the dates still to come. The money, the
    ballot, the count and the seed for drawing lots stay as published."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=3, max_length=200)
    description: str = Field("", max_length=20000)
    proposals_open_at: LimaDateTime
    review_starts_at: LimaDateTime
    voting_opens_at: LimaDateTime
    voting_closes_at: LimaDateTime
    implementation_starts_at: OptionalLimaDateTime = None


class ProcessForm(BaseModel):
    """What an official fills in to open a process. Cross-field rules (zones, calendar order, fields each rule
    needs or forbids) are checked by the service, which reports each on its own field."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=3, max_length=200)
    description: str = Field("", max_length=20000)
    total_amount: OptionalSoles = None
    zones: str = Field("", max_length=10000)
    ballot_rule: BallotRule
    max_choices: OptionalInt = Field(None, ge=1, le=1000)
    min_share: Annotated[Decimal | None, BeforeValidator(_share_text)] = Field(None, gt=0, le=1)
    points: OptionalInt = Field(None, ge=1, le=100000)
    counting_rule: CountingRule
    min_votes: OptionalInt = Field(None, ge=1, le=10_000_000)
    completion: Completion = "none"
    satisfaction: Satisfaction = "cost"
    tie_break: TieBreak = "equalshares"
    tie_seed: Annotated[str | None, BeforeValidator(blank_to_none)] = Field(
        None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"
    )
    proposals_open_at: LimaDateTime
    review_starts_at: LimaDateTime
    voting_opens_at: LimaDateTime
    voting_closes_at: LimaDateTime
    implementation_starts_at: OptionalLimaDateTime = None

    @field_validator("total_amount")
    @classmethod
    def _total(cls, value: Decimal | None) -> Decimal | None:
        checked = _check_soles(value)
        if checked is not None and checked <= 0:
            raise ValueError(N_("The total must be more than zero."))
        return checked

    @field_validator("min_share")
    @classmethod
    def _share(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value != value.quantize(Decimal("0.0001")):
            raise ValueError(N_("Please use at most four decimals, like 0.75."))
        return value


class ProjectForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=3, max_length=200)
    description: str = Field("", max_length=10000)
    location: str = Field("", max_length=300)
    zone_id: int
    estimated_cost: Soles

    @field_validator("estimated_cost")
    @classmethod
    def _cost(cls, value: Decimal) -> Decimal:
        checked = _check_soles(value)
        assert checked is not None
        return checked


class ReviewForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    feasible: Literal["yes", "no"]
    reason: str = Field(min_length=1, max_length=5000)
    final_cost: OptionalSoles = None

    @field_validator("final_cost")
    @classmethod
    def _cost(cls, value: Decimal | None) -> Decimal | None:
        return _check_soles(value)


class FollowUpForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    status: ImplementationStatus
    note: str = Field("", max_length=5000)


class VerificationForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    username: str = Field(min_length=1, max_length=30)
    place: str = Field("", max_length=120)
