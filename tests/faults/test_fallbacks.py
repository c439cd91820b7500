"""Model fallbacks: after the retry budget on capacity/server/rate errors, try the next model."""

from __future__ import annotations

import pytest

from skillboss_core import errors
from tests.faults.callers import CALLERS, Caller, Target
from tests.support.scripted_gateway import Fault, ScriptedGateway

FAST = {"retry-after-ms": "5"}
BACKUP = "reel-31-api"


def models_asked(server: ScriptedGateway) -> list[str]:
    return [r.json["model"] for r in server.requests if r.json]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
@pytest.mark.parametrize("status", [503, 500, 429])
def test_falls_back_after_the_retry_budget(
    caller: Caller, status: int, gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(*[Fault.status(status, headers=FAST) for _ in range(2)])
    target = Target(gateway_server.base_url, max_retries=1, fallback_models=[BACKUP])
    assert caller.call(target)
    assert models_asked(gateway_server) == ["openai/gpt-5.4-mini"] * 2 + [BACKUP]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, errors.GatewayBadRequestError),
        (401, errors.GatewayAuthenticationError),
        (402, errors.InsufficientCreditsError),
    ],
)
def test_caller_errors_never_fall_back(
    caller: Caller, status: int, error: type[Exception], gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(Fault.status(status))
    target = Target(gateway_server.base_url, max_retries=1, fallback_models=[BACKUP])
    with pytest.raises(error):
        caller.call(target)
    assert models_asked(gateway_server) == ["openai/gpt-5.4-mini"]


@pytest.mark.parametrize("caller", [c for c in CALLERS if c.streaming], ids=lambda c: c.name)
def test_stream_does_not_fall_back_once_a_chunk_reached_the_caller(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(Fault.stream_reset(after_chunks=3))
    target = Target(gateway_server.base_url, max_retries=1, fallback_models=[BACKUP])
    with pytest.raises(errors.StreamInterruptedError):
        caller.call(target)
    assert models_asked(gateway_server) == ["openai/gpt-5.4-mini"]


def test_last_model_error_is_raised_when_every_model_fails(gateway_server: ScriptedGateway) -> None:
    gateway_server.enqueue(*[Fault.status(503, headers=FAST) for _ in range(2)])
    target = Target(gateway_server.base_url, max_retries=0, fallback_models=[BACKUP])
    with pytest.raises(errors.GatewayCapacityError):
        CALLERS[0].call(target)
    assert models_asked(gateway_server) == ["openai/gpt-5.4-mini", BACKUP]
