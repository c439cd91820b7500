"""`timeout` bounds the whole call; `stream_chunk_timeout` bounds a stall (issue 13).

Before: a server that kept the connection busy with SSE comments or whitespace held every
call style for ever, since each byte reset httpx's per-read timeout, and a Retry-After
longer than the budget was slept through.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import llama_index.core.llms  # noqa: F401  (imported now: import time is not call time)
import openai
import pytest

import langchain_skillboss  # noqa: F401
import llama_index_skillboss  # noqa: F401
from skillboss_core.errors import GatewayTimeoutError, StreamStalledError
from tests.faults.callers import CALLERS, Caller, Target
from tests.support.scripted_gateway import ScriptedGateway

BUDGET = 1.5
# Generous: CI machines are slow, but far below "for ever" (the scripts run 20 s).
LIMIT = BUDGET + 3.0
FIRST = {
    "id": "chatcmpl-dl",
    "object": "chat.completion.chunk",
    "model": "openai/gpt-5.4-mini",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}],
}
ANSWER = {
    "id": "chatcmpl-dl",
    "object": "chat.completion",
    "model": "openai/gpt-5.4-mini",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi."}, "finish_reason": "stop"}
    ],
}


def dribble(first: bytes, keepalive: bytes, seconds: float = 20.0) -> Iterator[bytes]:
    yield first
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.2)
        yield keepalive


def keepalive_forever(body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """A stream that sends one real event, then `: ping` comments; a JSON answer preceded
    by whitespace that never ends (both reset a per-read timeout with every byte)."""
    if body.get("stream"):
        first = b"data: " + json.dumps(FIRST).encode() + b"\n\n"
        return 200, {"Content-Type": "text/event-stream"}, dribble(first, b": ping\n\n")
    return 200, {"Content-Type": "application/json"}, dribble(b" ", b" ")


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
def test_keepalive_bytes_cannot_hold_a_call_past_timeout(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(keepalive_forever)
    target = Target(gateway_server.base_url, max_retries=0, timeout=BUDGET)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError) as caught:
        caller.call(target)
    elapsed = time.monotonic() - started
    assert elapsed < LIMIT, f"{caller.name} took {elapsed:.1f}s with timeout={BUDGET}"
    assert f"timeout={BUDGET}" in str(caught.value)


def too_long_to_wait(_body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    error = {"error": {"message": "slow down", "type": "rate_limit_error"}}
    return (
        429,
        {"Content-Type": "application/json", "retry-after": "30"},
        json.dumps(error).encode(),
    )


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
def test_a_retry_wait_past_the_deadline_fails_at_once(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(too_long_to_wait)
    target = Target(gateway_server.base_url, max_retries=2, timeout=BUDGET)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError, match=r"wait 30\.0s and only"):
        caller.call(target)
    assert time.monotonic() - started < BUDGET
    assert len(gateway_server.requests) == 1


def stall_after_first_event(body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    first = b"data: " + json.dumps(FIRST).encode() + b"\n\n"
    return 200, {"Content-Type": "text/event-stream"}, dribble(first, b":\n\n")


def _core_stream(base_url: str) -> None:
    from skillboss_core import Gateway, GatewaySettings
    from skillboss_core.request import ChatRequest

    gateway = Gateway(GatewaySettings(api_key="sk-x", base_url=base_url, max_retries=0))
    request = ChatRequest.build(
        {"model": "m", "stream_chunk_timeout": 0.5}, [{"role": "user", "content": "hi"}]
    )
    for _ in gateway.stream(request):
        pass


def _langchain_stream(base_url: str) -> None:
    from langchain_skillboss import ChatSkillBoss

    llm = ChatSkillBoss(api_key="sk-x", base_url=base_url, max_retries=0, stream_chunk_timeout=0.5)
    for _ in llm.stream("hi"):
        pass


def _langchain_astream_per_call(base_url: str) -> None:
    from langchain_skillboss import ChatSkillBoss

    llm = ChatSkillBoss(api_key="sk-x", base_url=base_url, max_retries=0)

    async def run() -> None:
        async for _ in llm.astream("hi", stream_chunk_timeout=0.5):
            pass

    asyncio.run(run())


def _llamaindex_stream(base_url: str) -> None:
    from llama_index.core.llms import ChatMessage

    from llama_index_skillboss import SkillBoss

    llm = SkillBoss(api_key="sk-x", api_base=base_url, max_retries=0, stream_chunk_timeout=0.5)
    for _ in llm.stream_chat([ChatMessage(role="user", content="hi")]):
        pass


@pytest.mark.parametrize(
    "run",
    [_core_stream, _langchain_stream, _langchain_astream_per_call, _llamaindex_stream],
    ids=lambda run: run.__name__.strip("_"),
)
def test_stream_chunk_timeout_ends_a_stalled_stream(
    run: Any, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(stall_after_first_event)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError) as caught:
        run(gateway_server.base_url)
    assert time.monotonic() - started < 4.0
    assert "stream_chunk_timeout=0.5" in str(caught.value)


def test_the_stall_and_deadline_errors_are_typed() -> None:
    assert issubclass(StreamStalledError, GatewayTimeoutError)
    assert issubclass(GatewayTimeoutError, openai.APITimeoutError)
