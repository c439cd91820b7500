"""Every fault, for every client and call style: the exact outcome, request count and cleanup.

The scripted gateway (127.0.0.1) serves the faults in order, one per request; with
max_retries=2 a retried fault is enqueued three times so the retry budget is exhausted.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import openai
import pytest

from langchain_skillboss.errors import ModelConnectionError
from skillboss_core import errors
from skillboss_core.errors import GatewayConnectionError
from tests.faults.callers import ANSWER, CALLERS, KEY, Caller, Target
from tests.support.scripted_gateway import Fault, ScriptedGateway

FAST = {"retry-after-ms": "5"}  # keeps the SDK's backoff short without changing its logic


@dataclass(frozen=True)
class Case:
    name: str
    faults: Callable[[], list[Fault]]
    error: type[Exception] | None  # None: the call succeeds
    requests: int
    message: str = ""  # regex the error message must match (the actionable part)
    streaming_error: type[Exception] | None = None  # when streams fail differently
    streaming_requests: int | None = None


def times(n: int, make: Callable[[], Fault]) -> Callable[[], list[Fault]]:
    return lambda: [make() for _ in range(n)]


CASES = [
    Case(
        "429-retry-after-then-ok",
        times(1, lambda: Fault.status(429, headers={"retry-after": "0.01"})),
        None,
        2,
    ),
    Case(
        "429-retry-after-ms-exhausted",
        times(3, lambda: Fault.status(429, headers={"retry-after-ms": "10"})),
        errors.GatewayRateLimitError,
        3,
        "rate limit.*Back off",
    ),
    Case(
        "500-exhausted",
        times(3, lambda: Fault.status(500, headers=FAST)),
        errors.GatewayServerError,
        3,
        r"server error \(500\).*safe to retry",
    ),
    Case(
        "502-html-exhausted",
        times(3, lambda: Fault.status(502, headers=FAST)),
        errors.GatewayServerError,
        3,
        r"\(502\)",
    ),
    Case(
        "503-capacity-exhausted",
        times(3, lambda: Fault.status(503, headers=FAST)),
        errors.GatewayCapacityError,
        3,
        "lite-tier.*fall back",
    ),
    Case("503-then-ok", times(1, lambda: Fault.status(503, headers=FAST)), None, 2),
    Case(
        "402-never-retried",
        times(3, lambda: Fault.status(402, headers={"x-should-retry": "true"})),
        errors.InsufficientCreditsError,
        1,
        "Top up.*not retried",
    ),
    Case(
        "401-wholesale-key",
        times(3, lambda: Fault.status(401)),
        errors.GatewayAuthenticationError,
        1,
        "wholesale key.*SKILLBOSS_WHOLESALE_KEY",
    ),
    Case(
        "400-bad-request",
        times(3, lambda: Fault.status(400)),
        errors.GatewayBadRequestError,
        1,
        r"rejected the request \(400\)",
    ),
    Case("200-not-json", times(1, Fault.not_json), errors.InvalidResponseError, 1, "not JSON"),
    Case(
        "stream-reset",
        times(3, lambda: Fault.stream_reset(after_chunks=2)),
        openai.APIConnectionError,
        3,
        "",
        streaming_error=errors.StreamInterruptedError,
        streaming_requests=1,
    ),
    Case(
        "stream-truncated",
        times(3, Fault.stream_truncated),
        openai.APIConnectionError,
        3,
        "",
        streaming_error=errors.IncompleteStreamError,
        streaming_requests=1,
    ),
    # An error object in a 200 answer is retried like any transient failure while nothing of
    # the answer reached the caller (a body); a stream that already gave chunks is not.
    Case(
        "error-in-200-then-ok",
        times(1, lambda: Fault.stream_error_event(message="provider exploded")),
        None,
        2,
        streaming_error=errors.UpstreamError,
        streaming_requests=1,
    ),
    Case(
        "error-in-200-exhausted",
        times(3, lambda: Fault.stream_error_event(message="provider exploded")),
        errors.UpstreamError,
        3,
        "provider exploded",
        streaming_requests=1,
    ),
    Case("keepalive-comments", times(1, Fault.keepalive_comments), None, 1),
    Case("gzip-padded-body", times(1, Fault.gzip), None, 1),
]


def run(caller: Caller, target: Target) -> tuple[str | None, BaseException | None, float]:
    started = time.monotonic()
    try:
        text = caller.call(target)
    except Exception as exc:
        return None, exc, time.monotonic() - started
    return text, None, time.monotonic() - started


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fault(
    case: Case,
    caller: Caller,
    gateway_server: ScriptedGateway,
    opened_responses: list[httpx.Response],
) -> None:
    gateway_server.enqueue(*case.faults())
    target = Target(base_url=gateway_server.base_url, max_retries=2, timeout=5.0)
    text, error, elapsed = run(caller, target)

    expected_error = (case.streaming_error if caller.streaming else None) or case.error
    expected_requests = (case.streaming_requests if caller.streaming else None) or case.requests
    if expected_error is None:
        assert error is None, f"expected success, got {error!r}"
        assert text == ANSWER.content, "a successful call returns the whole answer"
    else:
        assert isinstance(error, expected_error), (
            f"expected {expected_error.__name__}, got {error!r}"
        )
        if case.message:
            assert re.search(case.message, str(error), re.S), str(error)
        assert KEY not in str(error) and KEY not in repr(error)
    chat_requests = [r for r in gateway_server.requests if r.path.endswith("/chat/completions")]
    assert len(chat_requests) == expected_requests
    # (a connection that broke before the headers yields no response object at all)
    assert all(r.is_closed for r in opened_responses), "a response was left open"
    assert elapsed < target.timeout * (target.max_retries + 1) + 5


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_a_silent_attempt_times_out_and_is_retried(
    caller: Caller, gateway_server: ScriptedGateway, opened_responses: list[httpx.Response]
) -> None:
    gateway_server.enqueue(Fault.slow(3.0), Fault.slow(3.0))
    target = Target(base_url=gateway_server.base_url, max_retries=1, timeout=0.3)
    _, error, elapsed = run(caller, target)
    assert isinstance(error, errors.GatewayTimeoutError), repr(error)
    assert "timeout=0.3" in str(error)
    # `timeout` bounds each wait: each attempt ends after 0.3 s of silence, then is retried
    assert len(gateway_server.requests) == 2
    assert elapsed < 3.0


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_an_unreachable_gateway_is_named_with_the_reason(caller: Caller) -> None:
    """The SDK says only "Connection error."; ours says where and why, on every style."""
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    _, error, _ = run(caller, Target(url, max_retries=0))
    assert isinstance(error, GatewayConnectionError) and error.is_retryable, repr(error)
    assert url in str(error) and "refused" in str(error).lower(), str(error)
    if caller.name.startswith("langchain"):
        assert isinstance(error, ModelConnectionError)
