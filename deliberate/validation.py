"""Turning untrusted input into domain models, with every problem reported per field at once.

Pydantic does the checking; this module translates its error types into our message ids (marked with `N_`) so the
web layer can show "Usa al menos 10 caracteres" next to the right field instead of pydantic's English text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ValidationError

from deliberate.errors import N_, DomainError, InvalidInput

M = TypeVar("M", bound=BaseModel)

_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("Please write at least %(min_length)s characters."),
    "string_too_long": N_("Please write at most %(max_length)s characters."),
    "string_pattern_mismatch": N_("This has characters that are not allowed here."),
    "string_type": N_("This field is required."),
    "int_parsing": N_("Please enter a whole number."),
    "literal_error": N_("Please choose one of the options."),
    "value_error": N_("Please check this value."),
}


class InvalidFields(InvalidInput):
    """Several fields were wrong at once; `errors` holds one error (with its `field`) per field."""

    code = "invalid_fields"
    message = N_("Please correct the fields marked below.")

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__()
        self.errors = errors


def blank_to_none(value: object) -> object:
    """A before-validator for optional text: an empty or blank field means "not given"."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def field_error(error: Mapping[str, Any]) -> InvalidInput:
    loc = error.get("loc") or ()
    field = str(loc[0]) if loc else None
    ctx = dict(error.get("ctx") or {})
    kind = str(error.get("type", "value_error"))
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError) and ctx["error"].args:
        # Our own validators raise ValueError(message_id); use that message.
        return InvalidInput(field=field, message=str(ctx["error"].args[0]))
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        kind = "missing"  # blank after trimming spaces: for a person, the field is simply empty
    message = _MESSAGES.get(kind, _MESSAGES["value_error"])
    params = {key: value for key, value in ctx.items() if isinstance(value, int | str)}
    return InvalidInput(field=field, message=message, **params)


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Build `model` from `data` or raise InvalidFields listing every field at fault."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        errors: list[DomainError] = []
        seen: set[str | None] = set()
        for raw in exc.errors():
            err = field_error(raw)
            if err.field not in seen:  # one message per field is enough for a person
                seen.add(err.field)
                errors.append(err)
        raise InvalidFields(errors) from None


# Dates people type in forms are Lima wall-clock time, the council's and the district's.
LIMA = ZoneInfo("America/Lima")


def lima_datetime(value: object) -> object:
    """Form dates: blank means not given; '2026-03-01T18:00' (what a datetime-local input sends) is Lima time;
    '2026-03-01' is midnight in Lima; a value with a zone keeps it."""
    value = blank_to_none(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            text += "T00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(N_("Please enter a date like 2026-03-01 and, if you wish, a time like 18:00.")) from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=LIMA)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=LIMA)
    return value


LimaDateTime = Annotated[datetime, BeforeValidator(lima_datetime)]
OptionalLimaDateTime = Annotated[datetime | None, BeforeValidator(lima_datetime)]
