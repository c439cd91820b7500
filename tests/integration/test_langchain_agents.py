"""ChatSkillBoss inside real LangChain agent machinery (issue 12).

These tests drive the real `create_agent` middleware (retry, summarization, fallback,
refusal) with ChatSkillBoss against a loopback gateway whose every answer is scripted in the
test that uses it. They specify:

1. `ModelRetryMiddleware` retries only what can succeed on retry;
2. `SummarizationMiddleware` recovers from a context-window overflow;
3. `ModelFallbackMiddleware` moves on from a failing primary model;
4. `ModelRefusalMiddleware` raises on a refusal.

Elsewhere: the error classes the middleware decides on (`ModelError` subclasses with
`is_retryable`, `ContextOverflowError`), raised by direct model calls, in
tests/faults/test_langchain_error_classes.py; refusals as content blocks in
test_langchain_refusals.py,
per-call HTTP options in test_langchain_call_parameters.py, one id per streamed message
(plain, LangGraph and `astream_events`) in test_langchain_streaming.py, copied and
reconfigured models in test_langchain_reconfigured_model.py.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

# The `agents` dependency group (langchain needs langchain-core >= 1.7.7): absent on the
# lowest-versions leg, where this module is skipped.
pytest.importorskip("langchain.agents", reason="needs the agents dependency group")

from langchain.agents import create_agent
from langchain.agents.middleware import (
    ModelFallbackMiddleware,
    ModelRefusalMiddleware,
    ModelRetryMiddleware,
    SummarizationMiddleware,
)
from langchain_core.exceptions import ModelError, ModelRefusalError
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_skillboss import ChatSkillBoss
from tests.support.scripted_gateway import (
    Fault,
    RecordedRequest,
    Reply,
    ScriptedGateway,
    ScriptResult,
    error_body,
    message_text,
)

MODEL = "openai/gpt-5.4-mini"
FALLBACK_MODEL = "openai/gpt-5.4"
REFUSAL = "I can't help with that."

# --------------------------------------------------------------------------- scripted errors


def error(status: int, message: str, **fields: str | None) -> Fault:
    """The gateway answering `status` with an OpenAI-shaped error body; `fields` (code, type)
    replace error_body's defaults, to match what a given provider sends."""
    body = error_body(status, message)
    body["error"].update(fields)
    return Fault.status(status, body_json=body)


# Error answers as the gateway relays them from providers.
OPENAI_OVERFLOW = error(
    400,
    "This model's maximum context length is 128000 tokens. However, your messages resulted "
    "in 130412 tokens. Please reduce the length of the messages.",
    code="context_length_exceeded",
)
ORDINARY_400 = error(400, "Unsupported parameter: 'foo'", code="unsupported_parameter")

# --------------------------------------------------------------------------- helpers


def chat(server: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    """The model under test, pointed at a scripted gateway; no SDK retries unless asked."""
    options: dict[str, Any] = {"model": MODEL, "api_key": "sk-test", "max_retries": 0}
    options.update(kwargs)
    return ChatSkillBoss(base_url=server.base_url, **options)


def chat_requests(server: ScriptedGateway) -> list[RecordedRequest]:
    """The chat completion requests the gateway received."""
    return [r for r in server.requests if r.path.split("?")[0].endswith("/chat/completions")]


def prompt_chars(body: dict[str, Any]) -> int:
    """Characters of text in a request's messages."""
    return sum(len(message_text(m.get("content"))) for m in body.get("messages") or [])


def agent_answer(result: dict[str, Any]) -> AIMessage:
    last = result["messages"][-1]
    assert isinstance(last, AIMessage)
    return last


# ------------------------------------------------------------------ 1. ModelRetryMiddleware

NOT_RETRYABLE = [
    pytest.param(error(401, "Incorrect API key provided."), id="401"),
    pytest.param(error(402, "Insufficient credits."), id="402"),
    pytest.param(ORDINARY_400, id="400"),
    pytest.param(error(404, "The model `x` does not exist"), id="404"),
    pytest.param(OPENAI_OVERFLOW, id="context-overflow"),
]


def retrying_agent(server: ScriptedGateway) -> Any:
    retry = ModelRetryMiddleware(max_retries=2, initial_delay=0)
    return create_agent(model=chat(server), tools=[], middleware=[retry])


@pytest.mark.parametrize("answer", NOT_RETRYABLE)
def test_retry_middleware_raises_caller_errors_after_one_request(
    gateway_server: ScriptedGateway, answer: Fault
) -> None:
    gateway_server.enqueue(answer)
    agent = retrying_agent(gateway_server)
    with pytest.raises(openai.APIStatusError) as caught:
        # Before: the middleware retried twice, then returned a "Model call failed" AIMessage.
        agent.invoke({"messages": [HumanMessage("hi")]})
    assert isinstance(caught.value, ModelError)
    assert caught.value.is_retryable is False
    assert len(chat_requests(gateway_server)) == 1


@pytest.mark.parametrize("answer", NOT_RETRYABLE)
async def test_retry_middleware_raises_caller_errors_after_one_request_async(
    gateway_server: ScriptedGateway, answer: Fault
) -> None:
    gateway_server.enqueue(answer)
    agent = retrying_agent(gateway_server)
    with pytest.raises(openai.APIStatusError) as caught:
        await agent.ainvoke({"messages": [HumanMessage("hi")]})
    assert isinstance(caught.value, ModelError)
    assert len(chat_requests(gateway_server)) == 1


TRANSIENT = [
    pytest.param(error(429, "Rate limit reached."), id="429"),
    pytest.param(error(500, "Internal error."), id="500"),
]


@pytest.mark.parametrize("failure", TRANSIENT)
def test_retry_middleware_retries_transient_errors(
    gateway_server: ScriptedGateway, failure: Fault
) -> None:
    # The first request fails transiently, the second gets the answer.
    gateway_server.enqueue(failure)
    gateway_server.queue("Recovered.")
    result = retrying_agent(gateway_server).invoke({"messages": [HumanMessage("hi")]})
    assert agent_answer(result).text == "Recovered."
    assert len(chat_requests(gateway_server)) == 2


@pytest.mark.parametrize("failure", TRANSIENT)
async def test_retry_middleware_retries_transient_errors_async(
    gateway_server: ScriptedGateway, failure: Fault
) -> None:
    gateway_server.enqueue(failure)
    gateway_server.queue("Recovered.")
    result = await retrying_agent(gateway_server).ainvoke({"messages": [HumanMessage("hi")]})
    assert agent_answer(result).text == "Recovered."
    assert len(chat_requests(gateway_server)) == 2


# ------------------------------------------------------------------ 2. SummarizationMiddleware

# The gateway's (scripted) context window, in characters of message text.
WINDOW_CHARS = 30_000
SUMMARY = "The user is planning a trip to Lisbon in May; the hotel is booked."
FINAL = "You picked Lisbon."


def windowed_gateway(body: dict[str, Any]) -> ScriptResult | Reply:
    """Overflow beyond WINDOW_CHARS; else a summary for summary prompts, or the final answer.

    Which answer depends on the request, so this is a script; the overflow is OPENAI_OVERFLOW's
    error body written out as the raw (status, headers, body) a script returns."""
    if prompt_chars(body) > WINDOW_CHARS:
        overflow = json.dumps(OPENAI_OVERFLOW.body_json).encode()
        return 400, {"Content-Type": "application/json"}, overflow
    is_summary_prompt = any(
        "Messages to summarize" in message_text(m.get("content")) for m in body["messages"]
    )
    return Reply(SUMMARY if is_summary_prompt else FINAL)


def long_conversation() -> list[BaseMessage]:
    """Eight 5,000-character turns (about 40,000 characters), then a short question."""
    turns: list[BaseMessage] = []
    for day in range(1, 5):
        notes = f"Day {day} travel notes, Lisbon itinerary and bookings. " * 90
        turns.append(HumanMessage(notes[:5000]))
        turns.append(AIMessage(("Noted: " + notes)[:5000]))
    turns.append(HumanMessage("Which city did we pick?"))
    return turns


def summarizing_agent(server: ScriptedGateway) -> Any:
    llm = chat(server)
    summarize = SummarizationMiddleware(
        model=llm,
        trigger=("messages", 6),
        keep=("messages", 2),
        trim_tokens_to_summarize=None,  # the whole history goes into the summary prompt
    )
    return create_agent(model=llm, tools=[], middleware=[summarize])


def assert_summarized_after_overflow(server: ScriptedGateway, result: dict[str, Any]) -> None:
    assert agent_answer(result).text == FINAL
    bodies = [r.json for r in chat_requests(server)]
    summary_prompts = [b for b in bodies if "Messages to summarize" in json.dumps(b)]
    # The first summary prompt overflowed; SummarizationMiddleware caught the
    # ContextOverflowError and retried once with the middle of the history cut out.
    assert len(summary_prompts) == 2, [prompt_chars(b) for b in bodies]
    first, retry = summary_prompts
    assert prompt_chars(first) > WINDOW_CHARS >= prompt_chars(retry)
    assert prompt_chars(retry) < prompt_chars(first)
    final = bodies[-1]
    assert "Here is a summary of the conversation" in json.dumps(final)
    assert SUMMARY in json.dumps(final)
    assert prompt_chars(final) <= WINDOW_CHARS


def test_summarization_recovers_from_context_overflow(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(windowed_gateway)
    result = summarizing_agent(gateway_server).invoke({"messages": long_conversation()})
    assert_summarized_after_overflow(gateway_server, result)


async def test_summarization_recovers_from_context_overflow_async(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.script(windowed_gateway)
    result = await summarizing_agent(gateway_server).ainvoke({"messages": long_conversation()})
    assert_summarized_after_overflow(gateway_server, result)


# ------------------------------------------------------------------ 3. ModelFallbackMiddleware


def fallback_agent(server: ScriptedGateway) -> Any:
    fallback = ModelFallbackMiddleware(chat(server, model=FALLBACK_MODEL))
    return create_agent(model=chat(server), tools=[], middleware=[fallback])


def script_overloaded_primary(server: ScriptedGateway) -> None:
    """The first request (the primary model's) gets a 503; the next one the answer."""
    server.enqueue(error(503, "Overloaded."))
    server.queue("Answer from the fallback model.")


def test_fallback_middleware_uses_the_second_model(gateway_server: ScriptedGateway) -> None:
    script_overloaded_primary(gateway_server)
    result = fallback_agent(gateway_server).invoke({"messages": [HumanMessage("hi")]})
    assert agent_answer(result).text == "Answer from the fallback model."
    assert [r.json["model"] for r in chat_requests(gateway_server)] == [MODEL, FALLBACK_MODEL]


async def test_fallback_middleware_uses_the_second_model_async(
    gateway_server: ScriptedGateway,
) -> None:
    script_overloaded_primary(gateway_server)
    result = await fallback_agent(gateway_server).ainvoke({"messages": [HumanMessage("hi")]})
    assert agent_answer(result).text == "Answer from the fallback model."
    assert [r.json["model"] for r in chat_requests(gateway_server)] == [MODEL, FALLBACK_MODEL]


# ------------------------------------------------------------------ 4. ModelRefusalMiddleware


def refusing_agent(server: ScriptedGateway) -> Any:
    # {"role": "assistant", "content": null, "refusal": "I can't help with that."}
    server.queue(Reply(refusal=REFUSAL))
    return create_agent(model=chat(server), tools=[], middleware=[ModelRefusalMiddleware()])


def test_refusal_middleware_raises_model_refusal_error(gateway_server: ScriptedGateway) -> None:
    agent = refusing_agent(gateway_server)
    with pytest.raises(ModelRefusalError, match="can't help"):
        agent.invoke({"messages": [HumanMessage("Help me with something bad.")]})


async def test_refusal_middleware_raises_model_refusal_error_async(
    gateway_server: ScriptedGateway,
) -> None:
    agent = refusing_agent(gateway_server)
    with pytest.raises(ModelRefusalError, match="can't help"):
        await agent.ainvoke({"messages": [HumanMessage("Help me with something bad.")]})
