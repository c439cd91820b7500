"""One gateway per distinct settings: changes take effect, equal settings share a pool."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from skillboss_core.transport import reuse
from skillboss_core.transport.reuse import shared_gateway


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    reuse.forget_shared_gateways()
    yield
    reuse.forget_shared_gateways()


def settings(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "api_key": SecretStr("sk-a"),
        "base_url": "http://127.0.0.1:9/v1",
        "timeout": 60.0,
        "max_retries": 2,
        "default_headers": {"X-A": "1"},
    }
    return {**base, **changes}


def test_equal_settings_share_one_gateway() -> None:
    first = shared_gateway(**settings())  # type: ignore[arg-type]
    assert shared_gateway(**settings(api_key=SecretStr("sk-a"))) is first  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"api_key": SecretStr("sk-b")},
        {"base_url": "http://127.0.0.1:10/v1"},
        {"timeout": 3.0},
        {"max_retries": 0},
        {"default_headers": {"X-A": "2"}},
    ],
)
def test_any_changed_setting_gets_its_own_gateway(change: dict[str, object]) -> None:
    first = shared_gateway(**settings())  # type: ignore[arg-type]
    other = shared_gateway(**settings(**change))  # type: ignore[arg-type]
    assert other is not first
    for name, value in change.items():
        seen = (
            other.settings.default_headers
            if name == "default_headers"
            else getattr(other.settings, name)
        )
        assert seen == value


def test_the_cache_is_bounded() -> None:
    for port in range(reuse.MAX_SHARED_GATEWAYS + 5):
        shared_gateway(**settings(base_url=f"http://127.0.0.1:{port}/v1"))  # type: ignore[arg-type]
    assert len(reuse._gateways) == reuse.MAX_SHARED_GATEWAYS


def test_the_most_recently_used_gateway_is_kept() -> None:
    busy = shared_gateway(**settings())  # type: ignore[arg-type]
    for port in range(reuse.MAX_SHARED_GATEWAYS + 5):
        shared_gateway(**settings(base_url=f"http://127.0.0.1:{port}/v1"))  # type: ignore[arg-type]
        assert shared_gateway(**settings()) is busy  # type: ignore[arg-type]


def test_a_plain_string_key_is_held_as_a_secret() -> None:
    gateway = shared_gateway(**settings(api_key="sk-plain-secret"))  # type: ignore[arg-type]
    assert "sk-plain-secret" not in repr(list(reuse._gateways))
    assert gateway.settings.require_api_key() == "sk-plain-secret"


def test_bad_settings_set_after_construction_are_a_parameter_error() -> None:
    from skillboss_core.wire.params import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="timeout"):
        shared_gateway(**settings(timeout=-1.0))  # type: ignore[arg-type]
