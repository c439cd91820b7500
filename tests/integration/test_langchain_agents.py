"""ChatSkillBoss inside real LangChain machinery (issue 12).

These tests drive the real `create_agent` middleware (retry, summarization, fallback,
refusal), LangGraph streaming and `astream_events` with ChatSkillBoss against a loopback
gateway whose every answer is scripted in the test that uses it. They specify:

1. gateway errors are langchain-core `ModelError`s (with the right `is_retryable`) while
   staying the openai SDK's error classes;
2. `ModelRetryMiddleware` retries only what can succeed on retry;
3. context-window overflows are `ContextOverflowError`, which `SummarizationMiddleware`
   reacts to;
4. `ModelFallbackMiddleware` moves on from a failing primary model;
5. refusals are standard `refusal` content blocks (`ModelRefusalMiddleware`,
   `with_structured_output`);
6. per-call request options (timeout, extra_headers, extra_query, max_retries);
7. every chunk of one streamed message carries the same id;
8. a copied or reconfigured model uses its new settings.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
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
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelRefusalError,
    ModelTimeoutError,
)
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from pydantic import BaseModel

from langchain_skillboss import ChatSkillBoss, StructuredOutputRefusalError
from skillboss_core.errors import InsufficientCreditsError
from tests.support.scripted_gateway import RecordedRequest, ScriptedGateway, message_text

MODEL = "openai/gpt-5.4-mini"
FALLBACK_MODEL = "openai/gpt-5.4"
REFUSAL = "I can't help with that."
STYLES = ["invoke", "ainvoke", "stream", "astream"]

Script = tuple[int, dict[str, str], bytes | Iterable[bytes]]
Answer = Callable[[dict[str, Any]], Script]

# --------------------------------------------------------------------------- scripted answers

USAGE = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}


def completion(
    content: str | None = "Hello!",
    *,
    model: str = MODEL,
    completion_id: str = "chatcmpl-scripted",
    refusal: str | None = None,
) -> dict[str, Any]:
    """A non-streamed chat.completion body."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": USAGE,
    }


def json_answer(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Script:
    """(status, headers, bytes) for a JSON body."""
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


def error_answer(
    status: int,
    message: str,
    *,
    error_type: str = "invalid_request_error",
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Script:
    """An OpenAI-shaped error answer."""
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return json_answer(body, status, headers)


def sse_chunks(
    pieces: Iterable[str] = ("Hel", "lo", "!"),
    *,
    model: str = MODEL,
    completion_id: str = "chatcmpl-scripted",
    refusal_pieces: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """The chat.completion.chunk objects of one streamed answer, usage chunk last."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in pieces]
    chunks += [chunk({"refusal": piece}) for piece in refusal_pieces]
    chunks.append(chunk({}, "stop"))
    chunks.append({**chunk({}), "choices": [], "usage": USAGE})
    return chunks


def sse_answer(chunks: list[dict[str, Any]]) -> Script:
    """(status, headers, pieces) streaming `chunks` as SSE, then [DONE]."""
    events = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks]
    return 200, {"Content-Type": "text/event-stream"}, [*events, b"data: [DONE]\n\n"]


def reply(text: str = "Hello!", *, model: str = MODEL, refusal: str | None = None) -> Answer:
    """An answer of `text` (or a refusal), streamed when the request asks for a stream."""

    def answer(body: dict[str, Any]) -> Script:
        if body.get("stream"):
            pieces = [text[i : i + 4] for i in range(0, len(text), 4)] if text else []
            refusal_pieces = (
                [refusal[i : i + 5] for i in range(0, len(refusal), 5)] if refusal else []
            )
            return sse_answer(sse_chunks(pieces, model=model, refusal_pieces=refusal_pieces))
        return json_answer(completion(text or None, model=model, refusal=refusal))

    return answer


def in_turn(*answers: Script | Answer) -> Answer:
    """Answer the n-th request with the n-th answer (the last one repeats)."""
    lock = threading.Lock()
    served = [0]

    def answer(body: dict[str, Any]) -> Script:
        with lock:
            index = min(served[0], len(answers) - 1)
            served[0] += 1
        chosen = answers[index]
        return chosen(body) if callable(chosen) else chosen

    return answer


def slow(seconds: float, then: Answer) -> Answer:
    """Wait before answering (the client is meant to time out first)."""

    def answer(body: dict[str, Any]) -> Script:
        time.sleep(seconds)
        return then(body)

    return answer


# Error answers as the gateway relays them from providers.
OPENAI_OVERFLOW = error_answer(
    400,
    "This model's maximum context length is 128000 tokens. However, your messages resulted "
    "in 130412 tokens. Please reduce the length of the messages.",
    code="context_length_exceeded",
)
DEEPSEEK_OVERFLOW = error_answer(
    400,
    "This model's maximum context length is 1048565 tokens. However, you requested 1250025 "
    "tokens (1250025 in the messages, 0 in the completion). Please reduce the length of the "
    "messages or completion.",
    code="invalid_request_error",
)
ANTHROPIC_OVERFLOW = error_answer(400, "prompt is too long: 210000 tokens > 200000 maximum")
ORDINARY_400 = error_answer(400, "Unsupported parameter: 'foo'", code="unsupported_parameter")
FAST_RETRY = {"retry-after-ms": "5"}  # the SDK's own retries wait 5 ms, not seconds

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


def run(llm: Any, style: str, prompt: Any = "hi") -> Any:
    """One call in the given style: the message (invoke) or the list of chunks (stream)."""
    if style == "invoke":
        return llm.invoke(prompt)
    if style == "ainvoke":
        return asyncio.run(llm.ainvoke(prompt))
    if style == "stream":
        return list(llm.stream(prompt))

    async def collect() -> list[Any]:
        return [chunk async for chunk in llm.astream(prompt)]

    return asyncio.run(collect())


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def closed_port_url() -> str:
    """A loopback base_url nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def agent_answer(result: dict[str, Any]) -> AIMessage:
    last = result["messages"][-1]
    assert isinstance(last, AIMessage)
    return last


def is_refusal_block(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "refusal"


# ------------------------------------------------------------------ 1. error classes

STATUS_ERRORS = [
    pytest.param(
        error_answer(401, "Incorrect API key provided.", error_type="authentication_error"),
        openai.AuthenticationError,
        ModelAuthenticationError,
        False,
        id="401",
    ),
    pytest.param(
        error_answer(403, "Forbidden.", error_type="permission_error"),
        openai.PermissionDeniedError,
        ModelPermissionDeniedError,
        False,
        id="403",
    ),
    pytest.param(ORDINARY_400, openai.BadRequestError, ModelInvalidRequestError, False, id="400"),
    pytest.param(
        error_answer(404, "The model `x` does not exist", error_type="not_found_error"),
        openai.NotFoundError,
        ModelNotFoundError,
        False,
        id="404",
    ),
    pytest.param(
        error_answer(429, "Rate limit reached.", error_type="rate_limit_error"),
        openai.RateLimitError,
        ModelRateLimitError,
        True,
        id="429",
    ),
    pytest.param(
        error_answer(500, "Internal error.", error_type="server_error"),
        openai.InternalServerError,
        ModelAPIError,
        True,
        id="500",
    ),
    pytest.param(
        error_answer(503, "Overloaded.", error_type="server_error"),
        openai.InternalServerError,
        ModelAPIError,
        True,
        id="503",
    ),
    pytest.param(
        error_answer(402, "Insufficient credits.", error_type="payment_required"),
        InsufficientCreditsError,
        ModelError,
        False,
        id="402",
    ),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("answer", "sdk_class", "model_class", "retryable"), STATUS_ERRORS)
def test_http_errors_are_model_errors_and_sdk_errors(
    gateway_server: ScriptedGateway,
    style: str,
    answer: Script,
    sdk_class: type[Exception],
    model_class: type[ModelError],
    retryable: bool,
) -> None:
    gateway_server.script(lambda body: answer)
    with pytest.raises(sdk_class) as caught:
        run(chat(gateway_server), style)
    assert isinstance(caught.value, openai.APIStatusError)
    assert isinstance(caught.value, model_class), type(caught.value).__mro__
    assert caught.value.is_retryable is retryable
    assert len(chat_requests(gateway_server)) == 1


@pytest.mark.parametrize("style", STYLES)
def test_refused_connection_is_a_model_connection_error(style: str) -> None:
    llm = ChatSkillBoss(model=MODEL, api_key="sk-test", base_url=closed_port_url(), max_retries=0)
    with pytest.raises(openai.APIConnectionError) as caught:
        run(llm, style)
    assert isinstance(caught.value, ModelConnectionError), type(caught.value).__mro__
    assert caught.value.is_retryable is True


@pytest.mark.parametrize("style", STYLES)
def test_timeout_is_a_model_timeout_error(gateway_server: ScriptedGateway, style: str) -> None:
    gateway_server.script(slow(2.0, reply("too late")))
    with pytest.raises(openai.APITimeoutError) as caught:
        run(chat(gateway_server, timeout=0.5), style)
    assert isinstance(caught.value, ModelTimeoutError), type(caught.value).__mro__
    assert caught.value.is_retryable is True


# ------------------------------------------------------------------ 2. ModelRetryMiddleware

NOT_RETRYABLE = [
    pytest.param(error_answer(401, "Incorrect API key provided."), id="401"),
    pytest.param(
        error_answer(402, "Insufficient credits.", error_type="payment_required"), id="402"
    ),
    pytest.param(ORDINARY_400, id="400"),
    pytest.param(error_answer(404, "The model `x` does not exist"), id="404"),
    pytest.param(OPENAI_OVERFLOW, id="context-overflow"),
]


def retrying_agent(server: ScriptedGateway) -> Any:
    retry = ModelRetryMiddleware(max_retries=2, initial_delay=0)
    return create_agent(model=chat(server), tools=[], middleware=[retry])


@pytest.mark.parametrize("answer", NOT_RETRYABLE)
def test_retry_middleware_raises_caller_errors_after_one_request(
    gateway_server: ScriptedGateway, answer: Script
) -> None:
    gateway_server.script(lambda body: answer)
    agent = retrying_agent(gateway_server)
    with pytest.raises(openai.APIStatusError) as caught:
        # Today the middleware retries twice, then returns a "Model call failed" AIMessage.
        agent.invoke({"messages": [HumanMessage("hi")]})
    assert isinstance(caught.value, ModelError)
    assert caught.value.is_retryable is False
    assert len(chat_requests(gateway_server)) == 1


@pytest.mark.parametrize("answer", NOT_RETRYABLE)
async def test_retry_middleware_raises_caller_errors_after_one_request_async(
    gateway_server: ScriptedGateway, answer: Script
) -> None:
    gateway_server.script(lambda body: answer)
    agent = retrying_agent(gateway_server)
    with pytest.raises(openai.APIStatusError) as caught:
        await agent.ainvoke({"messages": [HumanMessage("hi")]})
    assert isinstance(caught.value, ModelError)
    assert len(chat_requests(gateway_server)) == 1


TRANSIENT = [
    pytest.param(error_answer(429, "Rate limit reached.", error_type="rate_limit_error"), id="429"),
    pytest.param(error_answer(500, "Internal error.", error_type="server_error"), id="500"),
]


@pytest.mark.parametrize("failure", TRANSIENT)
def test_retry_middleware_retries_transient_errors(
    gateway_server: ScriptedGateway, failure: Script
) -> None:
    # First request fails transiently, the second gets the answer.
    gateway_server.script(in_turn(failure, reply("Recovered.")))
    result = retrying_agent(gateway_server).invoke({"messages": [HumanMessage("hi")]})
    assert agent_answer(result).text == "Recovered."
    assert len(chat_requests(gateway_server)) == 2


@pytest.mark.parametrize("failure", TRANSIENT)
async def test_retry_middleware_retries_transient_errors_async(
    gateway_server: ScriptedGateway, failure: Script
) -> None:
    gateway_server.script(in_turn(failure, reply("Recovered.")))
    result = await retrying_agent(gateway_server).ainvoke({"messages": [HumanMessage("hi")]})
    assert agent_answer(result).text == "Recovered."
    assert len(chat_requests(gateway_server)) == 2


# ------------------------------------------------------------------ 3. context overflow

OVERFLOWS = [
    pytest.param(OPENAI_OVERFLOW, id="openai"),
    pytest.param(DEEPSEEK_OVERFLOW, id="deepseek"),
    pytest.param(ANTHROPIC_OVERFLOW, id="anthropic-style"),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("answer", OVERFLOWS)
def test_context_overflow_is_a_context_overflow_error(
    gateway_server: ScriptedGateway, answer: Script, style: str
) -> None:
    gateway_server.script(lambda body: answer)
    with pytest.raises(openai.BadRequestError) as caught:
        run(chat(gateway_server), style)
    assert isinstance(caught.value, ContextOverflowError), type(caught.value).__mro__
    assert caught.value.is_retryable is False


def test_ordinary_bad_request_is_not_a_context_overflow(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(lambda body: ORDINARY_400)
    with pytest.raises(openai.BadRequestError) as caught:
        chat(gateway_server).invoke("hi")
    assert not isinstance(caught.value, ContextOverflowError)
    assert isinstance(caught.value, ModelInvalidRequestError)


# The gateway's (scripted) context window, in characters of message text.
WINDOW_CHARS = 30_000
SUMMARY = "The user is planning a trip to Lisbon in May; the hotel is booked."
FINAL = "You picked Lisbon."


def windowed_gateway(body: dict[str, Any]) -> Script:
    """Overflow beyond WINDOW_CHARS; else a summary for summary prompts, or the final answer."""
    if prompt_chars(body) > WINDOW_CHARS:
        return OPENAI_OVERFLOW
    is_summary_prompt = any(
        "Messages to summarize" in message_text(m.get("content")) for m in body["messages"]
    )
    return reply(SUMMARY if is_summary_prompt else FINAL)(body)


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


# ------------------------------------------------------------------ 4. ModelFallbackMiddleware


def by_model(body: dict[str, Any]) -> Script:
    """The primary model is overloaded (503); the fallback model answers."""
    if body["model"] == MODEL:
        return error_answer(503, "Overloaded.", error_type="server_error")
    return reply("Answer from the fallback model.", model=FALLBACK_MODEL)(body)


def fallback_agent(server: ScriptedGateway) -> Any:
    fallback = ModelFallbackMiddleware(chat(server, model=FALLBACK_MODEL))
    return create_agent(model=chat(server), tools=[], middleware=[fallback])


def test_fallback_middleware_uses_the_second_model(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(by_model)
    result = fallback_agent(gateway_server).invoke({"messages": [HumanMessage("hi")]})
    assert agent_answer(result).text == "Answer from the fallback model."
    assert [r.json["model"] for r in chat_requests(gateway_server)] == [MODEL, FALLBACK_MODEL]


async def test_fallback_middleware_uses_the_second_model_async(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.script(by_model)
    result = await fallback_agent(gateway_server).ainvoke({"messages": [HumanMessage("hi")]})
    assert agent_answer(result).text == "Answer from the fallback model."
    assert [r.json["model"] for r in chat_requests(gateway_server)] == [MODEL, FALLBACK_MODEL]


# ------------------------------------------------------------------ 5. refusals


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def test_refusal_is_a_standard_content_block(gateway_server: ScriptedGateway) -> None:
    # {"role": "assistant", "content": null, "refusal": "I can't help with that."}
    gateway_server.script(lambda body: json_answer(completion(None, refusal=REFUSAL)))
    message = chat(gateway_server).invoke("Help me with something bad.")
    assert {"type": "refusal", "refusal": REFUSAL} in [
        {"type": b.get("type"), "refusal": b.get("refusal")} for b in message.content_blocks
    ], message.content_blocks


def test_refusal_block_in_v1_content(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(lambda body: json_answer(completion(None, refusal=REFUSAL)))
    message = chat(gateway_server, output_version="v1").invoke("Help me with something bad.")
    assert isinstance(message.content, list)
    refusals = [b for b in message.content if is_refusal_block(b)]
    assert [b["refusal"] for b in refusals] == [REFUSAL], message.content


@pytest.mark.parametrize("style", ["stream", "astream"])
def test_streamed_refusal_is_a_standard_content_block(
    gateway_server: ScriptedGateway, style: str
) -> None:
    # SSE: a role delta, then {"refusal": "I can'"}, {"refusal": "t hel"}, ..., finish "stop".
    pieces = [REFUSAL[i : i + 5] for i in range(0, len(REFUSAL), 5)]
    gateway_server.script(lambda body: sse_answer(sse_chunks([], refusal_pieces=pieces)))
    message = merged(run(chat(gateway_server), style))
    refusals = [b for b in message.content_blocks if is_refusal_block(b)]
    assert [b["refusal"] for b in refusals] == [REFUSAL], message.content_blocks


@pytest.mark.parametrize("style", ["stream", "astream"])
def test_streamed_refusal_in_v1_content(gateway_server: ScriptedGateway, style: str) -> None:
    """Every chunk names the provider, so each one's refusal piece becomes a v1 block and the
    merged message holds the whole refusal (before: the v1 merge had no refusal at all)."""
    pieces = [REFUSAL[i : i + 5] for i in range(0, len(REFUSAL), 5)]
    gateway_server.script(lambda body: sse_answer(sse_chunks([], refusal_pieces=pieces)))
    message = merged(run(chat(gateway_server, output_version="v1"), style))
    assert isinstance(message.content, list)
    refusals = [b for b in message.content if is_refusal_block(b)]
    assert "".join(b["refusal"] for b in refusals) == REFUSAL, message.content


def test_a_refused_v1_turn_can_be_sent_back(gateway_server: ScriptedGateway) -> None:
    """The conversation goes on after a refusal stored as a v1 block (before: the next call
    raised "Cannot send a 'refusal' block in an assistant message")."""
    answers = iter([completion(None, refusal=REFUSAL), completion("Sure, here is a poem.")])
    gateway_server.script(lambda body: json_answer(next(answers)))
    llm = chat(gateway_server, output_version="v1")
    refused = llm.invoke("Help me with something bad.")
    reply_ = llm.invoke(
        [HumanMessage("Help me with something bad."), refused, HumanMessage("A poem?")]
    )
    assert reply_.text == "Sure, here is a poem."
    sent = gateway_server.last_request.json["messages"][1]
    assert sent == {"role": "assistant", "content": REFUSAL}


def test_refusal_middleware_raises_model_refusal_error(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(reply("", refusal=REFUSAL))
    agent = create_agent(
        model=chat(gateway_server), tools=[], middleware=[ModelRefusalMiddleware()]
    )
    with pytest.raises(ModelRefusalError, match="can't help"):
        agent.invoke({"messages": [HumanMessage("Help me with something bad.")]})


async def test_refusal_middleware_raises_model_refusal_error_async(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.script(reply("", refusal=REFUSAL))
    agent = create_agent(
        model=chat(gateway_server), tools=[], middleware=[ModelRefusalMiddleware()]
    )
    with pytest.raises(ModelRefusalError, match="can't help"):
        await agent.ainvoke({"messages": [HumanMessage("Help me with something bad.")]})


@pytest.mark.parametrize("style", STYLES)
def test_structured_output_refusal_is_a_model_refusal_error(
    gateway_server: ScriptedGateway, style: str
) -> None:
    gateway_server.script(reply("", refusal=REFUSAL))
    structured = chat(gateway_server).with_structured_output(Person)
    with pytest.raises(StructuredOutputRefusalError) as caught:
        run(structured, style, "Who is the target?")
    assert isinstance(caught.value, ModelRefusalError), type(caught.value).__mro__
    assert REFUSAL in str(caught.value)


# ------------------------------------------------------------------ 6. per-call options

REQUEST_OPTIONS = ("timeout", "extra_headers", "extra_query", "max_retries")


def assert_options_applied(request: RecordedRequest) -> None:
    assert request.headers.get("x-trace") == "abc"
    assert "tenant=t1" in request.path
    for name in REQUEST_OPTIONS:
        assert name not in request.json
    assert b"X-Trace" not in request.body and b"tenant" not in request.body


def test_per_call_request_options_are_sent_as_http_options(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.script(reply("Hello!"))
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
    gateway_server.script(reply("Hello!"))
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


def test_per_call_max_retries_retries(gateway_server: ScriptedGateway) -> None:
    # A 500 (retry after 5 ms), then the answer.
    failure = error_answer(500, "Internal error.", error_type="server_error", headers=FAST_RETRY)
    gateway_server.script(in_turn(failure, reply("Second time lucky.")))
    message = chat(gateway_server, max_retries=0).invoke("hi", max_retries=1)
    assert message.text == "Second time lucky."
    assert len(chat_requests(gateway_server)) == 2


async def test_per_call_max_retries_retries_astream(gateway_server: ScriptedGateway) -> None:
    failure = error_answer(500, "Internal error.", error_type="server_error", headers=FAST_RETRY)
    gateway_server.script(in_turn(failure, reply("Second time lucky.")))
    llm = chat(gateway_server, max_retries=0)
    chunks = [chunk async for chunk in llm.astream("hi", max_retries=1)]
    assert merged(chunks).text == "Second time lucky."
    assert len(chat_requests(gateway_server)) == 2


def test_per_call_timeout_overrides_the_instance_timeout(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(slow(2.0, reply("too late")))
    llm = chat(gateway_server, timeout=60)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        llm.invoke("hi", timeout=0.3)
    assert time.monotonic() - started < 1.5


async def test_per_call_timeout_overrides_the_instance_timeout_astream(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.script(slow(2.0, reply("too late")))
    llm = chat(gateway_server, timeout=60)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        [chunk async for chunk in llm.astream("hi", timeout=0.3)]
    assert time.monotonic() - started < 1.5


# ------------------------------------------------------------------ 7. stream ids


def assert_one_id(chunks: list[Any]) -> None:
    ids = {chunk.id for chunk in chunks}
    assert len(chunks) > 1
    assert len(ids) == 1 and None not in ids, [chunk.id for chunk in chunks]


def test_stream_chunks_share_one_id(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(reply("A streamed answer in several pieces."))
    chunks = list(chat(gateway_server).stream("hi"))
    assert merged(chunks).text == "A streamed answer in several pieces."
    assert_one_id(chunks)


def test_langgraph_messages_stream_chunks_share_one_id(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(reply("A streamed answer in several pieces."))
    agent = create_agent(chat(gateway_server), tools=[])
    chunks = [
        message
        for message, _metadata in agent.stream(
            {"messages": [HumanMessage("hi")]}, stream_mode="messages"
        )
        if isinstance(message, AIMessageChunk)
    ]
    assert "".join(chunk.text for chunk in chunks) == "A streamed answer in several pieces."
    assert_one_id(chunks)


async def test_astream_events_chunks_share_one_id(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(reply("A streamed answer in several pieces."))
    chunks = [
        event["data"]["chunk"]
        async for event in chat(gateway_server).astream_events("hi", version="v2")
        if event["event"] == "on_chat_model_stream"
    ]
    assert "".join(chunk.text for chunk in chunks) == "A streamed answer in several pieces."
    assert_one_id(chunks)


# ------------------------------------------------------------------ 8. client lifecycle


def test_model_copy_sends_to_the_new_base_url(
    gateway_server: ScriptedGateway, other_server: ScriptedGateway
) -> None:
    gateway_server.script(reply("From the first gateway."))
    other_server.script(reply("From the other gateway."))
    llm = chat(gateway_server)
    assert llm.invoke("hi").text == "From the first gateway."
    copy = llm.model_copy(update={"base_url": other_server.base_url})
    assert copy.invoke("hi").text == "From the other gateway."
    assert len(chat_requests(gateway_server)) == 1
    assert len(chat_requests(other_server)) == 1
    assert llm.invoke("hi").text == "From the first gateway."  # the original is unchanged


def test_assigned_timeout_applies_to_the_next_call(gateway_server: ScriptedGateway) -> None:
    gateway_server.script(reply("Quick."))
    llm = chat(gateway_server, timeout=60)
    assert llm.invoke("hi").text == "Quick."  # the client now exists, with a 60 s timeout
    gateway_server.script(slow(2.0, reply("too late")))
    llm.timeout = 0.3
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        llm.invoke("hi")
    assert time.monotonic() - started < 1.5
