"""`Settings.base_url` and `secure_cookies` are read on every request, so the frozen settings compute each once; a
copy made with other values computes its own, never the original's."""

from __future__ import annotations

from deliberate.settings import Settings


def _settings(**values: object) -> Settings:
    return Settings(database_url="postgresql://db/x", redis_url="redis://r", secret_key="s" * 40, **values)  # type: ignore[arg-type]


def test_base_url_and_secure_cookies_are_what_the_configured_url_says() -> None:
    plain = _settings(host="127.0.0.1", port=8001)
    assert plain.base_url == "http://127.0.0.1:8001" and plain.secure_cookies is False
    public = _settings(public_url="https://ves.example.pe/")
    assert public.base_url == "https://ves.example.pe" and public.secure_cookies is True
    assert public.base_url is public.base_url  # computed once


def test_a_copy_with_other_values_computes_its_own_base_url() -> None:
    original = _settings(host="127.0.0.1", port=8001)
    assert original.base_url == "http://127.0.0.1:8001" and not original.secure_cookies  # computed, then copied
    moved = original.model_copy(update={"port": 9000})
    assert moved.base_url == "http://127.0.0.1:9000" and not moved.secure_cookies
    public = original.model_copy(update={"public_url": _settings(public_url="https://vmt.example.pe").public_url})
    assert public.base_url == "https://vmt.example.pe" and public.secure_cookies
    assert original.base_url == "http://127.0.0.1:8001"
    same = original.model_copy(update={"database_url": "postgresql://db/y"})
    assert same.base_url == original.base_url and same == same.model_copy()
    assert "base_url" not in original.model_dump() and original == _settings(host="127.0.0.1", port=8001)
