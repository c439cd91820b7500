"""Settings and clients: where the key and base URL come from, and where they never go."""

from __future__ import annotations

import asyncio
import pickle

import pytest
from pydantic import SecretStr

from skillboss_core import DEFAULT_BASE_URL, Gateway, GatewaySettings, MissingAPIKeyError
from skillboss_core.config.settings import USER_AGENT

SECRET = "sk-test-secret-value-0123456789"


def test_key_and_base_url_come_from_skillboss_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", SECRET)
    monkeypatch.setenv("SKILLBOSS_BASE_URL", "http://127.0.0.1:9/v1/")
    settings = GatewaySettings()
    assert settings.require_api_key() == SECRET
    assert settings.base_url == "http://127.0.0.1:9/v1"


def test_missing_key_is_an_error_at_call_time_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    settings = GatewaySettings()  # construction works without a key
    with pytest.raises(MissingAPIKeyError, match="SKILLBOSS_WHOLESALE_KEY"):
        settings.require_api_key()
    with pytest.raises(MissingAPIKeyError):
        Gateway(settings).clients.sync_client()


def test_openai_env_never_leaks_into_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLBOSS_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://wrong.example/v1")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-should-not-be-sent")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-should-not-be-sent")
    client = Gateway(GatewaySettings(api_key=SecretStr(SECRET))).clients.sync_client()
    assert str(client.base_url).rstrip("/") == DEFAULT_BASE_URL
    headers = client.headers
    assert "OpenAI-Organization" not in headers and "OpenAI-Project" not in headers
    assert headers["User-Agent"] == USER_AGENT


def test_key_is_not_in_repr_or_dump() -> None:
    settings = GatewaySettings(api_key=SecretStr(SECRET))
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())
    assert SECRET not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("field", "value"), [("timeout", 0), ("max_retries", -1), ("base_url", "ftp://x")]
)
def test_bad_settings_fail_at_construction(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        GatewaySettings(**{field: value})  # type: ignore[arg-type]


def test_clients_are_lazy_and_reused() -> None:
    gateway = Gateway(GatewaySettings(api_key=SecretStr(SECRET)))
    assert gateway.clients._sync is None
    assert gateway.clients.sync_client() is gateway.clients.sync_client()


def test_async_client_is_per_event_loop_and_reused_within_one() -> None:
    gateway = Gateway(GatewaySettings(api_key=SecretStr(SECRET)))

    async def grab() -> tuple[object, object]:
        return gateway.clients.async_client(), gateway.clients.async_client()

    first_a, first_b = asyncio.run(grab())
    second_a, _ = asyncio.run(grab())
    assert first_a is first_b
    assert first_a is not second_a


def test_pickling_drops_clients_and_recreates_them() -> None:
    gateway = Gateway(GatewaySettings(api_key=SecretStr(SECRET), max_retries=5))
    gateway.clients.sync_client()
    clone = pickle.loads(pickle.dumps(gateway))
    assert clone.clients._sync is None
    assert clone.settings.max_retries == 5
    assert clone.clients.sync_client() is clone.clients._sync is not None


def test_clients_of_closed_loops_are_dropped() -> None:
    gateway = Gateway(GatewaySettings(api_key=SecretStr(SECRET)))

    async def grab() -> None:
        gateway.clients.async_client()

    for _ in range(5):
        asyncio.run(grab())
    assert len(gateway.clients._async) == 1  # only the most recent loop's client is kept


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"Authorization": "Bearer other"}, "may not set Authorization"),
        ({"Bad Name": "x"}, "not a valid header name"),
        ({"X-Trace": "a\nb"}, "cannot carry"),
    ],
)
def test_default_headers_are_checked_like_per_call_headers(
    headers: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        GatewaySettings(default_headers=headers)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0, -1])
def test_timeout_must_be_finite_and_positive(value: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        GatewaySettings(timeout=value)


def test_size_caps_are_settings() -> None:
    settings = GatewaySettings(max_event_bytes=1024, max_body_bytes=2048)
    assert (settings.max_event_bytes, settings.max_body_bytes) == (1024, 2048)
    with pytest.raises(ValueError):
        GatewaySettings(max_body_bytes=0)


def test_missing_key_says_where_keys_come_from_and_spots_a_console_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    monkeypatch.delenv("SKILLBOSS_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError) as plain:
        GatewaySettings().require_api_key()
    assert "admin@skillboss.co" in str(plain.value) and "SKILLBOSS_API_KEY is set" not in str(
        plain.value
    )
    monkeypatch.setenv("SKILLBOSS_API_KEY", "console-key-value-123456")
    with pytest.raises(MissingAPIKeyError) as console:
        GatewaySettings().require_api_key()
    assert "SKILLBOSS_API_KEY is set" in str(console.value)
    assert "console-key-value-123456" not in str(console.value)
