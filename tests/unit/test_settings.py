"""Settings come from flags and DELIBERATE_* variables, and bad values are refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from deliberate.settings import Settings, resolve_secret_key


def test_environment_variables_fill_settings_and_flags_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELIBERATE_NODE_NAME", "Villa El Salvador")
    monkeypatch.setenv("DELIBERATE_PORT", "8001")
    monkeypatch.setenv("DELIBERATE_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.2")
    settings = Settings(port=9000)
    assert settings.node_name == "Villa El Salvador"
    assert settings.port == 9000
    assert settings.trusted_proxies == ["127.0.0.1", "10.0.0.2"]
    assert settings.dev_allow_private_network is False


def test_the_base_url_comes_from_the_public_url_or_the_listening_address() -> None:
    assert Settings(host="127.0.0.1", port=8002).base_url == "http://127.0.0.1:8002"
    public = Settings(public_url="https://ves.example.pe/")
    assert public.base_url == "https://ves.example.pe" and public.secure_cookies


@pytest.mark.parametrize(
    "kwargs",
    [
        {"port": 70000},
        {"default_language": "fr"},
        {"secret_key": "short"},
        {"database_url": "postgresql://db/x"},  # production without a secret key
        {"public_url": "not a url"},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**kwargs)  # type: ignore[arg-type]


def test_a_generated_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "node")
    first = resolve_secret_key(settings)
    assert len(first) >= 32 and resolve_secret_key(settings) == first
    assert (tmp_path / "node" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert resolve_secret_key(Settings(secret_key="s" * 40)) == "s" * 40
