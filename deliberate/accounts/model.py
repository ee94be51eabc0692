"""Accounts: people with a username, a password and roles on this node.

A member's e-mail and phone are optional (many members share a phone or have none). Roles are additive: every
account is a member; moderators, officials of the council and operators of the node get more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from deliberate.errors import N_
from deliberate.validation import blank_to_none

Role = Literal["member", "moderator", "official", "operator"]
ROLES: tuple[Role, ...] = ("member", "moderator", "official", "operator")

USERNAME_PATTERN = r"^[A-Za-z0-9._-]+$"
PASSWORD_MIN = 10
PASSWORD_MAX = 200  # argon2 accepts more; a bound keeps a 10 MB "password" from costing CPU.


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str | None
    email: str | None
    phone: str | None
    roles: frozenset[str]
    created_at: datetime
    suspended_until: datetime | None

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def name(self) -> str:
        return self.display_name or self.username


class Registration(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    username: str = Field(min_length=3, max_length=30, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    password_confirm: str = Field(max_length=PASSWORD_MAX)
    display_name: str | None = Field(None, max_length=80)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=20)

    _blanks = field_validator("display_name", "email", "phone", mode="before")(blank_to_none)

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
            raise ValueError(N_("Please enter an e-mail address like name@example.com, or leave it empty."))
        return value

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str | None) -> str | None:
        if value is not None and not all(ch.isdigit() or ch in " +-" for ch in value):
            raise ValueError(N_("Please enter only digits, spaces and + in the phone number."))
        return value

    @field_validator("password_confirm")
    @classmethod
    def _passwords_match(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise ValueError(N_("The two passwords are not the same."))
        return value


class PasswordChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new_password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    new_password_confirm: str = Field(max_length=PASSWORD_MAX)

    @field_validator("new_password_confirm")
    @classmethod
    def _passwords_match(cls, value: str, info: ValidationInfo) -> str:
        if "new_password" in info.data and value != info.data["new_password"]:
            raise ValueError(N_("The two passwords are not the same."))
        return value


@dataclass(frozen=True)
class ApiToken:
    id: int
    account_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=1, max_length=80)
