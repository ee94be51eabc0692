"""Council consultations: the document, its questions, what participants answered and what the council owes.

A consultation has a slug and one or more versions; only the newest is current. Each version has numbered sections
(Markdown source and the cleaned HTML), optional stances on every section and optional questions (single choice,
multiple choice, free text). Dates are aware datetimes (UTC in the database); forms type them in Lima time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deliberate.errors import N_
from deliberate.validation import LIMA, LimaDateTime, OptionalLimaDateTime

# Dates typed without a zone are Lima time: the council and the residents live there.
ANSWER_DAYS = 30  # the council's default time to answer, counted from closing

Audience = Literal["everyone", "verified_residents", "organizations"]
AUDIENCES: tuple[Audience, ...] = ("everyone", "verified_residents", "organizations")
Stance = Literal["favor", "neutral", "contra"]
STANCES: tuple[Stance, ...] = ("favor", "neutral", "contra")
QuestionKind = Literal["single", "multiple", "text"]
QUESTION_KINDS: tuple[QuestionKind, ...] = ("single", "multiple", "text")
Counting = Literal["everyone", "residents"]
COUNTINGS: tuple[Counting, ...] = ("everyone", "residents")

SECTION_MAX = 20000
TEXT_ANSWER_MAX = 5000
REASON_MAX = 2000


def lima_input(value: datetime) -> str:
    """The value a datetime-local input shows for `value`: Lima wall-clock time."""
    return value.astimezone(LIMA).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Official:
    account_id: int
    username: str
    name: str
    office: str


@dataclass(frozen=True)
class Section:
    id: int
    number: int
    heading: str
    source: str
    html: str
    thread_id: int | None  # None in a copy until the home node's thread has arrived here
    comment_count: int = 0


@dataclass(frozen=True)
class Option:
    id: int
    number: int
    label: str


@dataclass(frozen=True)
class Question:
    id: int
    number: int
    kind: str
    prompt: str
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Consultation:
    id: int
    slug: str
    version: int
    previous_id: int | None
    superseded_at: datetime | None
    title: str
    summary: str
    opens_at: datetime
    closes_at: datetime
    answer_due_at: datetime
    audience: str
    ask_stances: bool
    forum_id: int
    published_by: int
    publisher_username: str
    publisher_name: str | None
    publisher_office: str | None
    published_at: datetime
    answered_at: datetime | None = None
    counting: str = "everyone"  # whose stances count in the summary: everyone, or this district's verified residents
    ap_id: str | None = None  # a copy of another node's consultation: its id there
    origin: str | None = None  # and that node's host
    published_summary: dict[str, Any] | None = None  # a copy's summary, as its home node published it

    @property
    def remote(self) -> bool:
        return self.ap_id is not None

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def is_closed(self, now: datetime) -> bool:
        return now >= self.closes_at

    def state(self, now: datetime) -> str:
        if now < self.opens_at:
            return "upcoming"
        if now < self.closes_at:
            return "open"
        return "answered" if self.answered_at is not None else "awaiting_answer"

    def days_overdue(self, now: datetime) -> int:
        """Calendar days in Lima past the answer deadline while the council has not answered (at least 1 once it
        has passed); 0 otherwise. Due on the 14th at 18:00, on the 17th it is 3 days late, whatever the hour."""
        if self.answered_at is not None or now <= self.answer_due_at:
            return 0
        return max((now.astimezone(LIMA).date() - self.answer_due_at.astimezone(LIMA).date()).days, 1)


@dataclass(frozen=True)
class Document:
    """A version with everything a reader sees of it."""

    consultation: Consultation
    sections: tuple[Section, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class MyResponse:
    """What one participant has answered so far (to fill the form again)."""

    show_name: bool = False
    stances: dict[int, tuple[str, str]] = field(default_factory=dict)  # section id → (stance, reason)
    choices: dict[int, tuple[int, ...]] = field(default_factory=dict)  # question id → option ids
    texts: dict[int, str] = field(default_factory=dict)  # question id → text
    refused: str | None = None  # another node's consultation: why that node refused these answers, if it did


@dataclass(frozen=True)
class Position:
    id: int
    organization_id: int | None  # None: an organization of another district (organization_uri)
    organization_slug: str
    organization_name: str
    source: str
    html: str
    submitted_by_username: str
    submitted_at: datetime
    approved_at: datetime | None
    organization_uri: str | None = None


@dataclass(frozen=True)
class CouncilAnswer:
    general_html: str
    changes_html: str
    general_source: str
    changes_source: str
    answered_by_username: str
    answered_by_name: str | None
    answered_by_office: str | None
    answered_at: datetime
    section_replies: dict[int, str]  # section id → html


@dataclass(frozen=True)
class Update:
    id: int
    html: str
    published_by_username: str
    published_by_name: str | None
    published_by_office: str | None
    published_at: datetime


@dataclass(frozen=True)
class SectionTally:
    section: Section
    counts: dict[str, int]  # stance → count, of those who count (see Consultation.counting)
    everyone: dict[str, int] | None = None  # stance → count of every participant, when that differs

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class QuestionTally:
    question: Question
    counts: dict[int, int]  # option id → count (choice questions)
    text_count: int  # free-text answers given

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Summary:
    document: Document
    participants: int
    organizations: int  # organizations with an approved position
    sections: tuple[SectionTally, ...]
    questions: tuple[QuestionTally, ...]
    residents: int | None = None  # participants who are verified residents, when only their stances count


@dataclass(frozen=True)
class ExportRow:
    """One participant's whole response; `name`/`username` only when they allowed it."""

    participant: int  # a number stable within one export, never the account id
    username: str | None
    name: str | None
    first_answered_at: datetime
    last_answered_at: datetime
    stances: dict[int, tuple[str, str]]  # section number → (stance, reason)
    answers: dict[int, str]  # question number → the chosen labels joined by " | ", or the text


@dataclass(frozen=True)
class VersionDiff:
    """What changed between two versions, section by section: (number, heading, html of the diff)."""

    older: Consultation
    newer: Consultation
    sections: tuple[tuple[int, str, str], ...]


class QuestionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    kind: QuestionKind
    prompt: str = Field(min_length=3, max_length=500)
    options: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _options_fit(self) -> QuestionForm:
        if self.kind == "text" and self.options:
            raise ValueError(N_("A free-text question has no options."))
        if self.kind != "text" and len(self.options) < 2:
            raise ValueError(N_("A choice question needs at least two options, one per line."))
        if len(self.options) > 50 or any(not 1 <= len(o) <= 200 for o in self.options):
            raise ValueError(N_("Each option must have between 1 and 200 characters."))
        return self


class SectionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    heading: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=SECTION_MAX)


class ConsultationForm(BaseModel):
    """A consultation as an official types it. Sections and questions come parsed from the form's text areas."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=3, max_length=200)
    summary: str = Field(min_length=1, max_length=5000)
    opens_at: LimaDateTime
    closes_at: LimaDateTime
    answer_due_at: OptionalLimaDateTime = None
    audience: Audience = "everyone"
    counting: Counting = "everyone"
    ask_stances: bool = True
    sections: tuple[SectionForm, ...] = Field(min_length=1, max_length=200)
    questions: tuple[QuestionForm, ...] = Field(default=(), max_length=100)

    @field_validator("closes_at")
    @classmethod
    def _after_opening(cls, value: datetime, info: object) -> datetime:
        opens = getattr(info, "data", {}).get("opens_at")
        if opens is not None and value <= opens:
            raise ValueError(N_("The closing date must come after the opening date."))
        return value

    @field_validator("answer_due_at")
    @classmethod
    def _after_closing(cls, value: datetime | None, info: object) -> datetime | None:
        closes = getattr(info, "data", {}).get("closes_at")
        if value is not None and closes is not None and value < closes:
            raise ValueError(N_("The answer deadline cannot come before the closing date."))
        return value

    def due(self) -> datetime:
        return self.answer_due_at or self.closes_at + timedelta(days=ANSWER_DAYS)


class CouncilAnswerForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    general: str = Field(min_length=1, max_length=20000)
    changes: str = Field("", max_length=20000)


class UpdateForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    body: str = Field(min_length=1, max_length=5000)


class PositionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    body: str = Field(min_length=1, max_length=20000)


class OfficialForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=3, max_length=120)
    office: str = Field(min_length=3, max_length=160)


def split_document(text: str) -> list[dict[str, str]]:
    """The document as an official types it: each line starting with "## " opens a numbered section, its heading
    after the marks; text before the first heading is refused by the caller (it belongs to the summary)."""
    sections: list[dict[str, str]] = []
    preamble: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("## "):
            sections.append({"heading": line[3:].strip(), "body": ""})
        elif sections:
            sections[-1]["body"] += line + "\n"
        elif line.strip():
            preamble.append(line)
    if preamble and not sections:
        sections.append({"heading": "1", "body": "\n".join(preamble)})
    elif preamble:
        raise ValueError(N_('Start the document with a section heading: a line that begins with "## ".'))
    return sections


QUESTION_LINE = re.compile(r"^(single|multiple|text|única|unica|múltiple|multiple|libre)\s*:\s*(.+)$", re.IGNORECASE)
_KIND_WORDS = {"única": "single", "unica": "single", "múltiple": "multiple", "libre": "text"}


def split_questions(text: str) -> list[dict[str, object]]:
    """Questions as typed: blocks separated by blank lines; a block's first line is "single: prompt",
    "multiple: prompt" or "text: prompt" (also "única:", "múltiple:", "libre:"), its other lines the options."""
    questions: list[dict[str, object]] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line.strip().lstrip("-*").strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        match = QUESTION_LINE.match(lines[0])
        if match is None:
            raise ValueError(N_('Begin each question with "single:", "multiple:" or "text:" and the question.'))
        kind = match[1].lower()
        questions.append({"kind": _KIND_WORDS.get(kind, kind), "prompt": match[2], "options": tuple(lines[1:])})
    return questions
