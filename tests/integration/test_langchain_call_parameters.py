"""Per-call keyword arguments over HTTP: they win over the instance's fields and over
bind(), the instance's other fields still go, and LangSmith's run metadata names the model
and parameters actually sent; per-call request options (timeout, extra_headers,
extra_query, max_retries) act on the HTTP request and never reach the body.
"""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk

from langchain_skillboss import ChatSkillBoss
from tests.support.scripted_gateway import Fault, RecordedRequest, ScriptedGateway

MODEL = "openai/gpt-5.4-mini"


class _TraceMetadata(BaseCallbackHandler):
    """Keeps the LangSmith metadata each chat model run starts with."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, metadata: Any = None, **kwargs: Any
    ) -> None:
        self.metadata.append(dict(metadata or {}))


def test_per_call_model_override_and_stop(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue("1, 2, 3,")
    model = ChatSkillBoss(
        model=MODEL,
        base_url=gateway_server.base_url,
        max_retries=0,
        temperature=0.2,
        stop=["X"],
        max_tokens=50,
        seed=1,
    ).bind(temperature=0.4)
    trace = _TraceMetadata()
    message = model.invoke(
        "Count to five.",
        model="openai/gpt-5.4",
        stop=["4"],
        temperature=0.9,
        top_p=0.5,
        config={"callbacks": [trace]},
    )
    assert message.text == "1, 2, 3,"
    body = gateway_server.requests[0].json
    assert body["model"] == "openai/gpt-5.4" and body["stop"] == ["4"]
    assert (body["temperature"], body["top_p"]) == (0.9, 0.5)
    assert (body["max_tokens"], body["seed"]) == (50, 1)  # the instance's, not overridden
    assert message.response_metadata["model_name"] == "openai/gpt-5.4"
    (metadata,) = trace.metadata
    assert metadata["ls_model_name"] == "openai/gpt-5.4"
    assert metadata["ls_provider"] == "skillboss"
    assert (metadata["ls_temperature"], metadata["ls_stop"]) == (0.9, ["4"])


# -- per-call request options -------------------------------------------------------------

REQUEST_OPTIONS = ("timeout", "extra_headers", "extra_query", "max_retries")
FAST_RETRY = {"retry-after-ms": "5"}  # the SDK's own retries wait 5 ms, not seconds


def chat(server: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    """The model under test; no SDK retries unless the call asks for them."""
    options: dict[str, Any] = {"model": MODEL, "api_key": "sk-test", "max_retries": 0}
    options.update(kwargs)
    return ChatSkillBoss(base_url=server.base_url, **options)


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def assert_options_applied(request: RecordedRequest) -> None:
    assert request.headers.get("x-trace") == "abc"
    assert "tenant=t1" in request.path
    for name in REQUEST_OPTIONS:
        assert name not in request.json
    assert b"X-Trace" not in request.body and b"tenant" not in request.body


def test_per_call_request_options_are_sent_as_http_options(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.queue("Hello!")
    message = chat(gateway_server).invoke(
        "hi",
        timeout=5,
        extra_headers={"X-Trace": "abc"},
        extra_query={"tenant": "t1"},
        max_retries=1,
    )
    assert message.text == "Hello!"
    assert_options_applied(gateway_server.last_request)


async def test_per_call_request_options_are_sent_as_http_options_astream(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.queue("Hello!")
    llm = chat(gateway_server)
    chunks = [
        chunk
        async for chunk in llm.astream(
            "hi",
            timeout=5,
            extra_headers={"X-Trace": "abc"},
            extra_query={"tenant": "t1"},
            max_retries=1,
        )
    ]
    assert merged(chunks).text == "Hello!"
    assert_options_applied(gateway_server.last_request)


def script_one_failure(server: ScriptedGateway) -> None:
    """A 500 (retry after 5 ms), then the answer."""
    server.enqueue(Fault.status(500, headers=FAST_RETRY))
    server.queue("Second time lucky.")


def test_per_call_max_retries_retries(gateway_server: ScriptedGateway) -> None:
    script_one_failure(gateway_server)
    message = chat(gateway_server, max_retries=0).invoke("hi", max_retries=1)
    assert message.text == "Second time lucky."
    assert len(gateway_server.requests) == 2


async def test_per_call_max_retries_retries_astream(gateway_server: ScriptedGateway) -> None:
    script_one_failure(gateway_server)
    llm = chat(gateway_server, max_retries=0)
    chunks = [chunk async for chunk in llm.astream("hi", max_retries=1)]
    assert merged(chunks).text == "Second time lucky."
    assert len(gateway_server.requests) == 2


def script_slow_answer(server: ScriptedGateway) -> None:
    """The answer comes after 2 s, long past the per-call timeout."""
    server.enqueue(Fault.slow(2.0))
    server.queue("too late")


def test_per_call_timeout_overrides_the_instance_timeout(gateway_server: ScriptedGateway) -> None:
    script_slow_answer(gateway_server)
    llm = chat(gateway_server, timeout=60)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        llm.invoke("hi", timeout=0.3)
    assert time.monotonic() - started < 1.5


async def test_per_call_timeout_overrides_the_instance_timeout_astream(
    gateway_server: ScriptedGateway,
) -> None:
    script_slow_answer(gateway_server)
    llm = chat(gateway_server, timeout=60)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        [chunk async for chunk in llm.astream("hi", timeout=0.3)]
    assert time.monotonic() - started < 1.5
