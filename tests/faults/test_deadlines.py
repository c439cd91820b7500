"""`timeout` bounds each wait for progress, `total_timeout` the whole call (issue 23).

`timeout` is how long any one wait may last: connecting, the first byte of the answer, the
gap between two stream events, the gap between two non-whitespace reads of a JSON body.
Keep-alive bytes (SSE comments, blank lines, whitespace before a JSON body) are not
progress, so they cannot hold a call; a steady answer slower in total than `timeout` is not
cut. A silent attempt is a timeout, retried like the openai SDK retries one. The default is
the SDK's, 600 s. `total_timeout` (None by default) bounds the whole call: every attempt,
the waits between retries and the fallback models; a retry wait that would pass it fails at
once. A stream whose events stop is a `StreamStalledError` naming the limit that ran out.

Before: `timeout` bounded one model attempt from connect to last byte, so a steady 4 s
stream failed under timeout=2 and a silent first attempt used up the budget of its retries.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import llama_index.core.llms  # noqa: F401  (imported now: import time is not call time)
import openai
import pytest
from pydantic import SecretStr

import langchain_skillboss  # noqa: F401
import llama_index_skillboss  # noqa: F401
from skillboss_core.errors import GatewayTimeoutError, StreamStalledError
from tests.faults import callers
from tests.faults.callers import ANSWER, CALLERS, KEY, MODEL, PROMPT, Caller, Target
from tests.support import pacing
from tests.support.scripted_gateway import ScriptedGateway

# Generous bounds: CI machines are slow, but far below "for ever" (the scripts run 20 s).
SLACK = 3.0
STREAMING = [caller for caller in CALLERS if caller.streaming]
NOT_STREAMING = [caller for caller in CALLERS if not caller.streaming]
BY_NAME = {caller.name: caller for caller in CALLERS}


def named(*names: str) -> list[Caller]:
    return [BY_NAME[name] for name in names]


def ids(caller: Caller) -> str:
    return caller.name


def sampled(callers: list[Caller]) -> list[Any]:
    """`callers`, all but the first of each client (core, LangChain, LlamaIndex) marked
    slow: these tests wait out real seconds, so the other CI legs run one style per client
    and the locked leg runs them all (see the `slow` marker in pyproject.toml)."""
    seen: set[str] = set()
    params = []
    for caller in callers:
        client = caller.name.split("-")[0]
        params.append(pytest.param(caller, marks=() if client not in seen else pytest.mark.slow))
        seen.add(client)
    return params


def chat_requests(server: ScriptedGateway) -> int:
    return sum(r.path.split("?")[0].endswith("/chat/completions") for r in server.requests)


# --------------------------------------------------------------------------- more stream styles


def llamaindex_stream_complete(target: Target) -> str:
    return "".join(r.delta or "" for r in callers._llamaindex(target).stream_complete(PROMPT))


def llamaindex_astream_complete(target: Target) -> str:
    async def run() -> str:
        responses = await callers._llamaindex(target).astream_complete(PROMPT)
        return "".join([r.delta or "" async for r in responses])

    return asyncio.run(run())


def langchain_astream_events(target: Target) -> str:
    async def run() -> str:
        pieces = []
        async for event in callers._langchain(target).astream_events(PROMPT, version="v2"):
            if event["event"] == "on_chat_model_stream":
                pieces.append(str(event["data"]["chunk"].content))
        return "".join(pieces)

    return asyncio.run(run())


EVERY_STREAM = [
    *STREAMING,
    Caller("llamaindex-stream_complete", True, llamaindex_stream_complete),
    Caller("llamaindex-astream_complete", True, llamaindex_astream_complete),
    Caller("langchain-astream_events", True, langchain_astream_events),
]


# --------------------------------------------------------------------------- timeout: per wait

STEADY_TIMEOUT = 2.0  # half the steady answer's length, eight times its longest gap


@pytest.mark.parametrize("caller", sampled(EVERY_STREAM), ids=ids)
def test_a_steady_stream_longer_than_timeout_is_not_cut(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(pacing.steady)
    target = Target(gateway_server.base_url, max_retries=0, timeout=STEADY_TIMEOUT)
    started = time.monotonic()
    text = caller.call(target)
    assert text == pacing.STEADY_TEXT
    # The premise: the answer as a whole took longer than `timeout`.
    assert time.monotonic() - started > STEADY_TIMEOUT + 1.0
    assert chat_requests(gateway_server) == 1


@pytest.mark.parametrize("caller", sampled(NOT_STREAMING), ids=ids)
def test_a_json_body_arriving_steadily_is_not_cut(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(pacing.steady)
    target = Target(gateway_server.base_url, max_retries=0, timeout=STEADY_TIMEOUT)
    assert caller.call(target) == pacing.STEADY_TEXT
    assert chat_requests(gateway_server) == 1


BUDGET = 1.5


@pytest.mark.parametrize("caller", sampled(CALLERS), ids=ids)
def test_keepalive_bytes_are_not_progress(caller: Caller, gateway_server: ScriptedGateway) -> None:
    """Pings only on a stream, whitespace only before a JSON body: each byte would reset a
    per-read socket timeout, but none is progress, so `timeout` still ends the wait."""
    gateway_server.script(pacing.keepalive_only)
    target = Target(gateway_server.base_url, max_retries=0, timeout=BUDGET)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError) as caught:
        caller.call(target)
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET + SLACK, f"{caller.name} took {elapsed:.1f}s with timeout={BUDGET}"
    assert isinstance(caught.value, GatewayTimeoutError), type(caught.value).__mro__
    assert f"timeout={BUDGET}" in str(caught.value)


@pytest.mark.parametrize("caller", sampled(STREAMING), ids=ids)
def test_a_stream_that_stops_after_its_first_event_is_stalled(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    """No stream_chunk_timeout: `timeout` is the longest gap between two events."""
    gateway_server.script(pacing.stalled)
    target = Target(gateway_server.base_url, max_retries=0, timeout=BUDGET)
    started = time.monotonic()
    with pytest.raises(StreamStalledError) as caught:
        caller.call(target)
    assert time.monotonic() - started < BUDGET + SLACK
    assert f"timeout={BUDGET}" in str(caught.value)
    assert chat_requests(gateway_server) == 1


def _core_stream(base_url: str) -> None:
    from skillboss_core import Gateway, GatewaySettings
    from skillboss_core.wire.request import ChatRequest

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
    gateway_server.script(pacing.stalled)
    started = time.monotonic()
    with pytest.raises(StreamStalledError) as caught:
        run(gateway_server.base_url)
    assert time.monotonic() - started < 4.0
    assert "stream_chunk_timeout=0.5" in str(caught.value)


# --------------------------------------------------------------------------- silent attempts

SILENT_TIMEOUT = 1.0
# A subset of the call styles: sync and async, streaming or not, core and both adapters.
RETRYING = named(
    "core-sync",
    "core-astream",
    "langchain-invoke",
    "langchain-stream",
    "llamaindex-achat",
    "llamaindex-stream_chat",
)


@pytest.mark.parametrize("caller", sampled(CALLERS), ids=ids)
def test_a_silent_server_is_a_gateway_timeout(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    """Before: the SDK's plain APITimeoutError, on LlamaIndex (and the core) too."""
    gateway_server.script(pacing.Silent(None, ANSWER))
    target = Target(gateway_server.base_url, max_retries=0, timeout=SILENT_TIMEOUT)
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError) as caught:
        caller.call(target)
    assert time.monotonic() - started < SILENT_TIMEOUT + SLACK
    assert f"timeout={SILENT_TIMEOUT:g}" in str(caught.value)
    assert chat_requests(gateway_server) == 1


@pytest.mark.parametrize("caller", sampled(RETRYING), ids=ids)
def test_silent_attempts_are_retried_each_with_its_own_timeout(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    """Two silent attempts use up `timeout` twice; the third answers within it."""
    gateway_server.script(pacing.Silent(2, ANSWER))
    target = Target(gateway_server.base_url, max_retries=2, timeout=SILENT_TIMEOUT)
    assert caller.call(target) == ANSWER.content
    assert chat_requests(gateway_server) == 3


@pytest.mark.parametrize("caller", sampled(RETRYING), ids=ids)
def test_when_every_attempt_is_silent_the_last_timeout_is_raised(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script(pacing.Silent(None, ANSWER))
    target = Target(gateway_server.base_url, max_retries=2, timeout=SILENT_TIMEOUT)
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError):
        caller.call(target)
    # Three waits of `timeout`, two backoffs between them; far from "for ever".
    assert time.monotonic() - started < 3 * SILENT_TIMEOUT + 4.0 + SLACK
    assert chat_requests(gateway_server) == 3


# --------------------------------------------------------------------------- total_timeout


def rate_limited_for_30s(_body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    error = {"error": {"message": "slow down", "type": "rate_limit_error"}}
    return (
        429,
        {"Content-Type": "application/json", "retry-after": "30"},
        json.dumps(error).encode(),
    )


def unavailable_for_1s(_body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    error = {"error": {"message": "over capacity", "type": "server_error"}}
    return (
        503,
        {"Content-Type": "application/json", "retry-after": "1"},
        json.dumps(error).encode(),
    )


@pytest.mark.parametrize("caller", sampled(CALLERS), ids=ids)
def test_a_retry_wait_past_total_timeout_fails_at_once(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    """Retry-After: 30 is honoured (as the SDK does) unless it would pass total_timeout;
    then the call fails before sleeping, naming the wait and the bound."""
    gateway_server.script(rate_limited_for_30s)
    target = Target(gateway_server.base_url, max_retries=2, total_timeout=BUDGET)
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError, match=r"wait 30\.0s") as caught:
        caller.call(target)
    assert time.monotonic() - started < BUDGET
    assert f"total_timeout={BUDGET}" in str(caught.value)
    assert chat_requests(gateway_server) == 1


TOTAL = 2.0


@pytest.mark.parametrize("caller", sampled(STREAMING), ids=ids)
def test_total_timeout_ends_a_steady_stream(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    """Each gap is far below `timeout`, but the whole stream is longer than total_timeout."""
    gateway_server.script(pacing.steady)
    target = Target(
        gateway_server.base_url, max_retries=0, timeout=STEADY_TIMEOUT, total_timeout=TOTAL
    )
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError) as caught:
        caller.call(target)
    assert time.monotonic() - started < TOTAL + 2.0
    assert f"total_timeout={TOTAL:g}" in str(caught.value)


RETRY_TOTAL = 2.5


@pytest.mark.parametrize("caller", sampled(CALLERS), ids=ids)
def test_total_timeout_bounds_the_retries_and_their_waits(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    """503s asking for 1 s each: retries until the next wait would pass total_timeout."""
    gateway_server.script(unavailable_for_1s)
    target = Target(gateway_server.base_url, max_retries=5, total_timeout=RETRY_TOTAL)
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError) as caught:
        caller.call(target)
    assert time.monotonic() - started < RETRY_TOTAL + 1.0
    assert f"total_timeout={RETRY_TOTAL}" in str(caught.value)
    assert 2 <= chat_requests(gateway_server) <= 3


FALLBACK_TOTAL = 2.5
FALLBACKS = ["openai/gpt-5.4", "reel-31-api", "deepseek/deepseek-reasoner"]


@pytest.mark.parametrize(
    "caller", named("core-sync", "langchain-astream", "llamaindex-stream_chat"), ids=ids
)
def test_total_timeout_bounds_the_fallback_models_too(
    caller: Caller, gateway_server: ScriptedGateway
) -> None:
    """Each silent model uses up `timeout`; the fallbacks share the one total bound."""
    gateway_server.script(pacing.Silent(None, ANSWER))
    target = Target(
        gateway_server.base_url,
        max_retries=0,
        timeout=SILENT_TIMEOUT,
        fallback_models=FALLBACKS,
        total_timeout=FALLBACK_TOTAL,
    )
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError) as caught:
        caller.call(target)
    assert time.monotonic() - started < FALLBACK_TOTAL + SLACK
    assert f"total_timeout={FALLBACK_TOTAL}" in str(caught.value)
    assert chat_requests(gateway_server) <= 3  # of the four models


# --------------------------------------------------------------------------- per call


def _core_per_call(base_url: str, stream: bool) -> str:
    from skillboss_core import Gateway, GatewaySettings
    from skillboss_core.wire.request import ChatRequest

    settings = GatewaySettings(api_key=SecretStr(KEY), base_url=base_url, max_retries=2)
    request = ChatRequest.build(
        {"model": MODEL, "total_timeout": BUDGET}, [{"role": "user", "content": PROMPT}]
    )
    gateway = Gateway(settings)
    if stream:
        return "".join(chunk.text for chunk in gateway.stream(request))
    return gateway.complete(request).content or ""


def _langchain_per_call(base_url: str, stream: bool) -> str:
    from langchain_skillboss import ChatSkillBoss

    llm = ChatSkillBoss(model=MODEL, api_key=SecretStr(KEY), base_url=base_url, max_retries=2)
    if not stream:
        return str(llm.invoke(PROMPT, total_timeout=BUDGET).content)

    async def run() -> str:
        return "".join(
            [str(chunk.content) async for chunk in llm.astream(PROMPT, total_timeout=BUDGET)]
        )

    return asyncio.run(run())


def _llamaindex_per_call(base_url: str, stream: bool) -> str:
    from llama_index.core.llms import ChatMessage

    from llama_index_skillboss import SkillBoss

    llm = SkillBoss(model=MODEL, api_key=KEY, api_base=base_url, max_retries=2)
    messages = [ChatMessage(role="user", content=PROMPT)]
    if stream:
        return "".join(r.delta or "" for r in llm.stream_chat(messages, total_timeout=BUDGET))
    return str(llm.chat(messages, total_timeout=BUDGET).message.content)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize(
    "run",
    [_core_per_call, _langchain_per_call, _llamaindex_per_call],
    ids=lambda run: run.__name__.strip("_"),
)
def test_total_timeout_per_call(
    run: Callable[[str, bool], str], stream: bool, gateway_server: ScriptedGateway
) -> None:
    """The per-call option (the core's ChatRequest values, the adapters' call keywords)."""
    gateway_server.script(rate_limited_for_30s)
    started = time.monotonic()
    with pytest.raises(GatewayTimeoutError, match=r"wait 30\.0s") as caught:
        run(gateway_server.base_url, stream)
    assert time.monotonic() - started < BUDGET
    assert f"total_timeout={BUDGET}" in str(caught.value)
    assert chat_requests(gateway_server) == 1


def test_the_stall_and_deadline_errors_are_typed() -> None:
    assert issubclass(StreamStalledError, GatewayTimeoutError)
    assert issubclass(GatewayTimeoutError, openai.APITimeoutError)
