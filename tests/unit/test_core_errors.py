"""Status -> typed error mapping; the SDK's own except clauses keep matching."""

from __future__ import annotations

import httpx
import openai
import pytest

from skillboss_core import errors
from skillboss_core.errors import map_status_error

SECRET = "sk-live-this-must-never-appear-0000"


def response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request(
        "POST",
        "https://api.skillboss.co/v1/chat/completions",
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    return httpx.Response(status, headers=headers or {}, request=request)


@pytest.mark.parametrize(
    ("status", "ours", "sdk", "hint"),
    [
        (401, errors.GatewayAuthenticationError, openai.AuthenticationError, "wholesale key"),
        (402, errors.InsufficientCreditsError, openai.APIStatusError, "Top up"),
        (429, errors.GatewayRateLimitError, openai.RateLimitError, "Back off"),
        (503, errors.GatewayCapacityError, openai.InternalServerError, "fall back"),
        (500, errors.GatewayServerError, openai.InternalServerError, "safe to retry"),
        (502, errors.GatewayServerError, openai.InternalServerError, "safe to retry"),
        (400, errors.GatewayBadRequestError, openai.BadRequestError, "rejected the request"),
        (404, errors.GatewayNotFoundError, openai.NotFoundError, "model id"),
    ],
)
def test_each_status_maps_to_a_typed_actionable_error(
    status: int, ours: type[Exception], sdk: type[Exception], hint: str
) -> None:
    body = {"error": {"message": "provider said no", "type": "x"}}
    error = map_status_error("raw", body=body, response=response(status))
    assert type(error) is ours
    assert isinstance(error, sdk) and isinstance(error, errors.SkillBossError)
    assert hint in str(error) and "provider said no" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert error.status_code == status


def test_401_names_the_variable_and_console_keys() -> None:
    error = map_status_error("raw", body=None, response=response(401))
    assert "SKILLBOSS_WHOLESALE_KEY" in str(error) and "console keys are rejected" in str(error)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({}, None),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
    ],
)
def test_rate_limit_carries_retry_after(headers: dict[str, str], expected: float | None) -> None:
    error = map_status_error("raw", body={}, response=response(429, headers))
    assert isinstance(error, errors.GatewayRateLimitError)
    assert error.retry_after == expected


def test_unknown_status_keeps_the_sdk_base_class() -> None:
    error = map_status_error("raw", body="teapot", response=response(418))
    assert type(error) is openai.APIStatusError and "418" in str(error)
