"""An error inside a 200 answer is an `UpstreamError`, on the body and the stream path alike.

Gateways relay a provider's failure with status 200: a JSON body holding `{"error": {...}}`
(with an empty `choices`), or a `data: {"error": {...}}` event in the stream. Either way the
call raises `skillboss_core.errors.UpstreamError` (`StreamError` is its old name) quoting
the provider's message, with its `code`, through the core and both adapters. It is
retryable: with retries left, the request is sent again.

Before: the body path said "answered without any choices" (InvalidResponseError, no code),
and neither path was retried, since the SDK's retry loop had already returned.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from skillboss_core import errors as core_errors
from tests.faults.callers import ANSWER, CALLERS, Caller, Target
from tests.support.scripted_gateway import Reply, ScriptedGateway, ScriptResult


class _NotDefinedYet(Exception):
    """Stands in for a class the core does not define yet: nothing raises it."""


UpstreamError: type[Exception] = getattr(core_errors, "UpstreamError", _NotDefinedYet)

MESSAGE = "upstream overloaded"
CODE = "overloaded"
ERROR = {"error": {"message": MESSAGE, "code": CODE}}
BY_NAME = {caller.name: caller for caller in CALLERS}


def chat_requests(server: ScriptedGateway) -> int:
    return sum(r.path.split("?")[0].endswith("/chat/completions") for r in server.requests)


def error_in_200(body: dict[str, Any]) -> ScriptResult:
    """The provider's failure, relayed with status 200 in the shape the request asked for."""
    if body.get("stream"):
        event = b"data: " + json.dumps(ERROR).encode() + b"\n\n"
        return 200, {"Content-Type": "text/event-stream"}, iter([event])
    payload = json.dumps({**ERROR, "choices": []}).encode()
    return 200, {"Content-Type": "application/json"}, payload


class FailsFirst:
    """The error in a 200 answer to the first request, the normal answer afterwards."""

    def __init__(self) -> None:
        self.asked = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> ScriptResult | Reply:
        with self._lock:
            self.asked += 1
            first = self.asked == 1
        return error_in_200(body) if first else ANSWER


def test_stream_error_is_the_old_name_of_upstream_error() -> None:
    assert getattr(core_errors, "UpstreamError", None) is not None, "no UpstreamError yet"
    assert core_errors.StreamError is UpstreamError
    assert issubclass(UpstreamError, core_errors.SkillBossError)
    assert UpstreamError.is_retryable is True  # type: ignore[attr-defined]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
def test_an_error_in_a_200_answer_is_an_upstream_error(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(error_in_200)
    with pytest.raises(UpstreamError) as caught:
        caller.call(Target(gateway_server.base_url, max_retries=0))
    assert MESSAGE in str(caught.value)
    assert getattr(caught.value, "code", None) == CODE
    assert chat_requests(gateway_server) == 1


@pytest.mark.parametrize(
    "caller",
    [
        BY_NAME[name]
        for name in (
            "core-sync",
            "core-stream",
            "langchain-invoke",
            "langchain-astream",
            "llamaindex-achat",
            "llamaindex-stream_chat",
        )
    ],
    ids=lambda caller: caller.name,
)
def test_an_upstream_error_is_retried(caller: Caller, gateway_server: ScriptedGateway) -> None:
    gateway_server.script(FailsFirst())
    assert caller.call(Target(gateway_server.base_url, max_retries=1)) == ANSWER.content
    assert chat_requests(gateway_server) == 2
