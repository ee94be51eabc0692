"""The node's settings: one pydantic model, filled from `DELIBERATE_*` environment variables and CLI flags.

Flags win over the environment, the environment over the defaults. Nothing here opens a connection or touches the
disk except `resolve_secret_key`, which creates the development secret the first time a node starts without one.
Everything that needs a setting receives this object; no module reads the environment on its own.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import AnyHttpUrl, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Language = Literal["es", "qu", "en"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DELIBERATE_", extra="ignore", frozen=True)

    database_url: str = Field(
        "", description="PostgreSQL URL. Empty: start an embedded PostgreSQL in the data directory."
    )
    redis_url: str = Field("", description="Redis URL. Empty: start an embedded Redis in the data directory.")
    public_url: AnyHttpUrl | None = Field(
        None,
        description="The URL people and peers reach this node at. It becomes part of every ActivityPub id: "
        "changing it later breaks federation. Default: http://HOST:PORT.",
    )
    node_name: str = Field("Deliberate", min_length=1, max_length=80, description="The name shown on pages.")
    operator_contact: str = Field(
        "",
        max_length=300,
        description="How members reach the node's operators about their personal data (Ley 29733), shown on the "
        "privacy page: an e-mail address, a phone number or an office, e.g. datos@ves.example.pe.",
    )
    data_dir: Path = Field(Path("var/node"), description="Embedded servers' data, the lock file, the dev secret.")
    secret_key: str = Field(
        "", description="Signs sessions and CSRF tokens (32+ characters). Required with an external database."
    )
    default_language: Language = Field("es", description="Language for visitors who chose none: es, qu or en.")
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port the web server listens on (0: any free port).")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Proxy addresses whose X-Forwarded-* headers are believed."
    )
    dev_allow_private_network: bool = Field(
        False,
        description="Development only: let federation reach loopback and private addresses over plain http.",
    )
    federation_mode: Literal["open", "allowlist"] = Field(
        "open",
        description="open: talk to any server that is not blocked. allowlist: only to servers an operator allowed "
        "(`deliberate federation allow HOST`).",
    )
    federation_worker: bool = Field(
        True,
        description="Run the federation worker (outbox, deliveries, inbox processing) inside the web process. Set "
        "false when `deliberate worker` runs as its own process.",
    )
    federation_poll_seconds: float = Field(
        2.0, gt=0, description="How often the federation worker looks for new work when nothing woke it."
    )
    db_pool_size: int = Field(10, ge=1, le=200, description="Connections per process in the PostgreSQL pool.")
    log_format: Literal["json", "text"] = Field("json", description="Log lines as JSON or as plain text.")
    uvloop: bool = Field(
        True,
        description="Serve on uvloop (libuv) when it is installed, as it is on Linux and macOS; false: on asyncio's "
        "own event loop. Only `deliberate serve` reads it.",
    )
    smtp_url: str = Field(
        "",
        description="SMTP server for e-mail notifications, e.g. smtp://user:password@mail.example.pe:587 "
        "(STARTTLS) or smtps://…:465. Empty: no e-mail.",
    )
    smtp_from: str = Field("", description="Sender address of notification e-mails, e.g. avisos@ves.example.pe.")
    email_poll_seconds: float = Field(5.0, gt=0, description="How often the e-mail sender looks for new work.")
    anonymous_cache_seconds: float = Field(
        10.0,
        ge=0,
        description="How long a page for readers who are not signed in may be reused (0: never). They may see a new "
        "post that much later; members always see fresh pages.",
    )
    login_attempts_per_window: int = Field(5, ge=1, description="Failed log-ins allowed per username and window.")
    login_window_seconds: int = Field(900, ge=1, description="Length of the log-in rate-limit window.")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_long_enough(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("the secret key must have at least 32 characters")
        return value

    @model_validator(mode="after")
    def _external_database_needs_secret(self) -> Settings:
        if self.database_url and not self.secret_key:
            raise ValueError(
                "DELIBERATE_SECRET_KEY is required when DELIBERATE_DATABASE_URL is set (production); "
                "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self

    # Read on every request (links, ids, cookies): the settings are frozen, so each is computed once. A copy made
    # with `model_copy(update=…)` computes its own (see there).
    @functools.cached_property
    def base_url(self) -> str:
        """The public URL without a trailing slash: the prefix of every link and ActivityPub id."""
        if self.public_url is not None:
            return str(self.public_url).rstrip("/")
        return f"http://{self.host}:{self.port}"

    @functools.cached_property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy whose values computed from the settings (`base_url`, `secure_cookies`) are computed from its own,
        not carried over from this one's (pydantic copies every attribute, the cached ones too)."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _COMPUTED:
            copied.__dict__.pop(name, None)
        return copied


_COMPUTED = ("base_url", "secure_cookies")


def resolve_secret_key(settings: Settings) -> str:
    """The configured secret, or a random one kept in the data directory so sessions survive restarts."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key
