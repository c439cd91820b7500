"""What ChatSkillBoss raises when the gateway answers with an error, in every call style.

A gateway error is both the openai SDK's class (what `except openai.RateLimitError` and
langchain-openai users catch) and langchain-core's `ModelError` class with the right
`is_retryable` (what LangChain's retry, fallback and summarization middleware decide on);
a context-window overflow, in any provider's wording, is `ContextOverflowError`. A timeout
keeps the core's identity through the translation (issue 23): a silent server is the core's
`GatewayTimeoutError`, a stalled stream its `StreamStalledError`, each also the SDK's
`APITimeoutError` and langchain-core's `ModelTimeoutError`; an error inside a 200 answer is
the core's `UpstreamError` and a retryable `ModelAPIError`. Each test scripts the error
answer it is about; the calls go straight to the model, no agent.

Elsewhere: the same classes without I/O (and their stand-ins on an older langchain-core) in
tests/unit/test_langchain_error_family.py; a refused connection (`ModelConnectionError`,
retryable) for every call style in test_fault_matrix.py; the middleware acting on these
classes in tests/integration/test_langchain_agents.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
import pytest

# langchain-core added the ModelError family in 1.6; the lowest-versions leg has 1.5, where
# ChatSkillBoss raises stand-ins (tested without I/O in tests/unit) and this module is skipped.
pytest.importorskip("langchain_core", minversion="1.6", reason="needs langchain-core >= 1.6")

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from langchain_skillboss import ChatSkillBoss
from skillboss_core import errors as core_errors
from skillboss_core.errors import (
    GatewayTimeoutError,
    InsufficientCreditsError,
    SkillBossError,
    StreamStalledError,
)
from tests.support import pacing
from tests.support.scripted_gateway import Fault, ScriptedGateway, error_body


class _NotDefinedYet(Exception):
    """Stands in for a class the core does not define yet: nothing raises it."""


UpstreamError: type[Exception] = getattr(core_errors, "UpstreamError", _NotDefinedYet)

MODEL = "openai/gpt-5.4-mini"
STYLES = ["invoke", "ainvoke", "stream", "astream"]


def error(status: int, message: str, **fields: str | None) -> Fault:
    """The gateway answering `status` with an OpenAI-shaped error body; `fields` (code, type)
    replace error_body's defaults, to match what a given provider sends."""
    body = error_body(status, message)
    body["error"].update(fields)
    return Fault.status(status, body_json=body)


def chat(server: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    """The model under test, pointed at a scripted gateway; no SDK retries."""
    return ChatSkillBoss(
        model=MODEL, api_key="sk-test", base_url=server.base_url, max_retries=0, **kwargs
    )


def run(llm: ChatSkillBoss, style: str) -> Any:
    """One call in the given style: the message (invoke) or the list of chunks (stream)."""
    if style == "invoke":
        return llm.invoke("hi")
    if style == "ainvoke":
        return asyncio.run(llm.ainvoke("hi"))
    if style == "stream":
        return list(llm.stream("hi"))

    async def collect() -> list[Any]:
        return [chunk async for chunk in llm.astream("hi")]

    return asyncio.run(collect())


def chat_requests(server: ScriptedGateway) -> int:
    """How many chat completion requests the gateway received."""
    return sum(r.path.split("?")[0].endswith("/chat/completions") for r in server.requests)


# --------------------------------------------------------------------------- HTTP statuses

ORDINARY_400 = error(400, "Unsupported parameter: 'foo'", code="unsupported_parameter")

STATUS_ERRORS = [
    pytest.param(
        error(401, "Incorrect API key provided."),
        openai.AuthenticationError,
        ModelAuthenticationError,
        False,
        id="401",
    ),
    pytest.param(
        error(403, "Forbidden."),
        openai.PermissionDeniedError,
        ModelPermissionDeniedError,
        False,
        id="403",
    ),
    pytest.param(ORDINARY_400, openai.BadRequestError, ModelInvalidRequestError, False, id="400"),
    pytest.param(
        error(404, "The model `x` does not exist"),
        openai.NotFoundError,
        ModelNotFoundError,
        False,
        id="404",
    ),
    pytest.param(
        error(429, "Rate limit reached."),
        openai.RateLimitError,
        ModelRateLimitError,
        True,
        id="429",
    ),
    pytest.param(
        error(500, "Internal error."), openai.InternalServerError, ModelAPIError, True, id="500"
    ),
    pytest.param(
        error(503, "Overloaded."), openai.InternalServerError, ModelAPIError, True, id="503"
    ),
    pytest.param(
        error(402, "Insufficient credits."), InsufficientCreditsError, ModelError, False, id="402"
    ),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("answer", "sdk_class", "model_class", "retryable"), STATUS_ERRORS)
def test_http_errors_are_model_errors_and_sdk_errors(
    gateway_server: ScriptedGateway,
    style: str,
    answer: Fault,
    sdk_class: type[Exception],
    model_class: type[ModelError],
    retryable: bool,
) -> None:
    gateway_server.enqueue(answer)
    with pytest.raises(sdk_class) as caught:
        run(chat(gateway_server), style)
    assert isinstance(caught.value, openai.APIStatusError)
    assert isinstance(caught.value, model_class), type(caught.value).__mro__
    assert caught.value.is_retryable is retryable
    assert chat_requests(gateway_server) == 1


@pytest.mark.parametrize("style", STYLES)
def test_timeout_is_a_model_timeout_error(gateway_server: ScriptedGateway, style: str) -> None:
    gateway_server.enqueue(Fault.slow(2.0))  # the answer comes after the 0.5 s timeout
    gateway_server.queue("too late")
    with pytest.raises(openai.APITimeoutError) as caught:
        run(chat(gateway_server, timeout=0.5), style)
    assert isinstance(caught.value, ModelTimeoutError), type(caught.value).__mro__
    assert isinstance(caught.value, GatewayTimeoutError), type(caught.value).__mro__
    assert isinstance(caught.value, SkillBossError)
    assert caught.value.is_retryable is True


@pytest.mark.parametrize("style", ["stream", "astream"])
@pytest.mark.parametrize(
    "limit",
    [{"stream_chunk_timeout": 0.5}, {"timeout": 1.0}],
    ids=["stream_chunk_timeout", "timeout"],
)
def test_a_stalled_stream_is_a_stall_in_every_family(
    gateway_server: ScriptedGateway, style: str, limit: dict[str, float]
) -> None:
    """One event, then only comments: the core's stall, the SDK's and LangChain's timeout."""
    gateway_server.script(pacing.stalled)
    with pytest.raises(StreamStalledError) as caught:
        run(chat(gateway_server, **limit), style)
    error = caught.value
    for family in (GatewayTimeoutError, SkillBossError, openai.APITimeoutError, ModelTimeoutError):
        assert isinstance(error, family), (family, type(error).__mro__)
    assert error.is_retryable is True
    assert chat_requests(gateway_server) == 1


# --------------------------------------------------------------------------- 200 with an error


def error_in_200(body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    error = {"error": {"message": "upstream overloaded", "code": "overloaded"}}
    if body.get("stream"):
        event = b"data: " + json.dumps(error).encode() + b"\n\n"
        return 200, {"Content-Type": "text/event-stream"}, iter([event])
    return 200, {"Content-Type": "application/json"}, json.dumps({**error, "choices": []}).encode()


@pytest.mark.parametrize("style", STYLES)
def test_an_error_in_a_200_answer_is_a_retryable_model_api_error(
    gateway_server: ScriptedGateway, style: str
) -> None:
    gateway_server.script(error_in_200)
    with pytest.raises(UpstreamError) as caught:
        run(chat(gateway_server), style)
    assert isinstance(caught.value, ModelAPIError), type(caught.value).__mro__
    assert caught.value.is_retryable is True  # type: ignore[attr-defined]
    assert "upstream overloaded" in str(caught.value)
    assert chat_requests(gateway_server) == 1


# --------------------------------------------------------------------------- context overflow

# Overflow answers as the gateway relays them from providers.
OVERFLOWS = [
    pytest.param(
        error(
            400,
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 130412 tokens. Please reduce the length of the messages.",
            code="context_length_exceeded",
        ),
        id="openai",
    ),
    pytest.param(
        error(
            400,
            "This model's maximum context length is 1048565 tokens. However, you requested "
            "1250025 tokens (1250025 in the messages, 0 in the completion). Please reduce the "
            "length of the messages or completion.",
            code="invalid_request_error",
        ),
        id="deepseek",
    ),
    pytest.param(
        error(400, "prompt is too long: 210000 tokens > 200000 maximum", code=None),
        id="anthropic-style",
    ),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("answer", OVERFLOWS)
def test_context_overflow_is_a_context_overflow_error(
    gateway_server: ScriptedGateway, answer: Fault, style: str
) -> None:
    gateway_server.enqueue(answer)
    with pytest.raises(openai.BadRequestError) as caught:
        run(chat(gateway_server), style)
    assert isinstance(caught.value, ContextOverflowError), type(caught.value).__mro__
    assert caught.value.is_retryable is False


def test_ordinary_bad_request_is_not_a_context_overflow(gateway_server: ScriptedGateway) -> None:
    gateway_server.enqueue(ORDINARY_400)
    with pytest.raises(openai.BadRequestError) as caught:
        chat(gateway_server).invoke("hi")
    assert not isinstance(caught.value, ContextOverflowError)
    assert isinstance(caught.value, ModelInvalidRequestError)
