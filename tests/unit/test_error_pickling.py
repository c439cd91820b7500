"""Every error the project raises survives a trip between processes (no I/O).

Ray, Dask, ProcessPoolExecutor and multiprocessing send a worker's exception to the driver
as a pickle (Ray and Dask with cloudpickle). So each class must come back as itself, with its
message, status, code, retry verdict (`is_retryable`), `retry_after` and the gateway's words
(`body`), and the pickle must not hold the key: the openai SDK's errors keep the live request
(its Authorization header) and response, which `SkillBossError.__reduce__` leaves out.
Before it, the SDK's keyword-only constructors made them fail to unpickle: on Ray the driver
got `UnserializableException` instead of `InsufficientCreditsError`.

The classes are found by walking `skillboss_core.errors` and `langchain_skillboss.errors`, so a
class added to either fails here until it has a sample below. `llama_index_skillboss`
defines no error class: it raises the core's. Each sample is built as the code builds it: a
status error by `map_status_error` from an answer whose request carries the key and whose
body echoes it, the rest by the factories or constructors the core raises them with.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
import openai
import pytest

from langchain_skillboss import errors as lc
from skillboss_core import errors as core
from skillboss_core.config.settings import missing_key_message
from skillboss_core.transport.failures import map_status_error, unreachable
from skillboss_core.wire.decode import reported_error, too_large

SECRET = "sk-live-pickled-never-shown-0000"
URL = "https://api.skillboss.co/v1/chat/completions"
REQUEST = httpx.Request("POST", URL, headers={"Authorization": f"Bearer {SECRET}"})
# What must come back equal from a pickle, where the class has it.
FACTS = (
    "message",
    "needed_usd",
    "left_usd",
    "status_code",
    "code",
    "body",
    "retry_after",
    "request_id",
    "partial",
    "partial_text",
    "text",
    "refusal",
    "position",
    "limit",
)
MISSING = object()


def gateway_answer(status: int, words: str, headers: dict[str, str] | None = None) -> Any:
    """The typed error for a gateway answer whose body echoes the key it was sent."""
    body = {"error": {"message": f"{words} (you sent Bearer {SECRET})", "code": f"E{status}"}}
    response = httpx.Response(
        status, headers={"x-request-id": f"req_{status}", **(headers or {})}, json=body
    )
    response.request = REQUEST
    return map_status_error(
        f"Error code: {status} - {body}", body=body, response=response, secrets=[SECRET]
    )


CORE_SAMPLES: dict[type[BaseException], Callable[[], BaseException]] = {
    core.SkillBossError: lambda: core.SkillBossError("something of ours failed"),
    core.InvalidParameterError: lambda: core.InvalidParameterError(
        "temperature must be between 0 and 2, not 3"
    ),
    core.EmbeddingInputTooLongError: lambda: core.EmbeddingInputTooLongError(
        "texts[3] is about 9000 tokens, more than the 8191 ...", position=3, limit=8191
    ),
    core.MissingAPIKeyError: lambda: core.MissingAPIKeyError(missing_key_message()),
    core.BudgetExceededError: lambda: core.BudgetExceededError(
        "A call to 'openai/gpt-5.4-mini' could cost up to $0.580000 ...",
        model="openai/gpt-5.4-mini",
        needed_usd=0.58,
        left_usd=0.25,
        limit_usd=1.0,
    ),
    core.GatewayAuthenticationError: lambda: gateway_answer(401, "Incorrect API key"),
    core.InsufficientCreditsError: lambda: gateway_answer(402, "Insufficient balance"),
    core.GatewayPermissionDeniedError: lambda: gateway_answer(403, "Model not allowed"),
    core.GatewayNotFoundError: lambda: gateway_answer(404, "The model `x` does not exist"),
    core.GatewayBadRequestError: lambda: gateway_answer(400, "Unknown field `tempreature`"),
    core.GatewayContextOverflowError: lambda: gateway_answer(
        400, "This model's maximum context length is 8192 tokens"
    ),
    core.GatewayUnprocessableEntityError: lambda: gateway_answer(422, "n must be 1"),
    core.GatewayRateLimitError: lambda: gateway_answer(
        429, "Too many requests", {"retry-after": "7"}
    ),
    core.GatewayCapacityError: lambda: gateway_answer(503, "Lite-tier pool is full"),
    core.GatewayServerError: lambda: gateway_answer(500, "Upstream exploded"),
    core.GatewayStatusError: lambda: gateway_answer(409, "Conflict"),
    core._ResponseContentError: lambda: core._ResponseContentError(
        "what a 200 answer held", body={"odd": True}, code="odd"
    ),
    core.UpstreamError: lambda: reported_error(
        {"error": {"message": "The provider timed out", "code": "upstream_timeout"}}
    ),
    core.IncompleteStreamError: lambda: core.IncompleteStreamError(
        "The stream ended before the model finished", partial_text="Half an ans"
    ),
    core.InvalidResponseError: lambda: core.InvalidResponseError(
        "The gateway answered without any choices"
    ),
    core.ResponseTooLargeError: lambda: too_large(1024, "One stream event", "max_event_bytes"),
    core.AnswerError: lambda: core.AnswerError("The answer cannot be used as asked"),
    core.AnswerTruncatedError: lambda: core.AnswerTruncatedError(
        "The answer stopped at the token cap", partial='{"name": "Par'
    ),
    core.ContentFilteredError: lambda: core.ContentFilteredError(
        "The provider's filter stopped the answer", partial="Once upon"
    ),
    core.RefusalError: lambda: core.RefusalError("I can't help with that."),
    core.StructuredOutputError: lambda: core.StructuredOutputError(
        "The answer is not valid JSON", text="{"
    ),
    core.ToolArgumentsError: lambda: core.ToolArgumentsError("arguments are not valid JSON"),
    core.GatewayConnectionError: lambda: unreachable(
        httpx.ConnectError(f"proxy refused Bearer {SECRET}"), URL, [SECRET], request=REQUEST
    ),
    core.StreamInterruptedError: lambda: core.StreamInterruptedError(
        message="The connection to the gateway broke after 3 stream events", request=REQUEST
    ),
    core.GatewayTimeoutError: lambda: core.GatewayTimeoutError(
        "Waited 60.0s for an answer from the gateway", request=REQUEST
    ),
    core.StreamStalledError: lambda: core.StreamStalledError(
        "No stream event for 30.0s: the stream is stuck", request=REQUEST
    ),
}
# The openai SDK's own errors, which ChatSkillBoss turns into twins should one reach it.
SDK_SAMPLES: dict[type[BaseException], Callable[[], BaseException]] = {
    openai.APIStatusError: lambda: openai.APIStatusError(
        "Error code: 409",
        response=httpx.Response(409, headers={"x-should-retry": "true"}, request=REQUEST),
        body={"message": "conflict"},
    ),
    openai.APIConnectionError: lambda: openai.APIConnectionError(request=REQUEST),
    openai.APITimeoutError: lambda: openai.APITimeoutError(request=REQUEST),
}
# Defined in the modules but never raised on its own: the mixin every twin shares.
NOT_RAISED = frozenset({lc._Twin})


def error_classes(module: ModuleType) -> list[type[BaseException]]:
    """The exception classes `module` defines (aliases once)."""
    found = {
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseException)
        and obj.__module__ == module.__name__
        and obj not in NOT_RAISED
    }
    return sorted(found, key=lambda cls: cls.__name__)


CLASSES = error_classes(core) + error_classes(lc)


def sample(cls: type[BaseException]) -> Any:
    """An instance of `cls` built as the code builds it (twins as ChatSkillBoss makes them)."""
    if cls in CORE_SAMPLES:
        return CORE_SAMPLES[cls]()
    originals = [original for original, twin in lc._TWINS.items() if twin is cls]
    if originals:
        original = originals[0]
        made = CORE_SAMPLES.get(original) or SDK_SAMPLES[original]
        return lc.as_langchain_error(made())
    if issubclass(cls, lc.ModelError) and cls.__module__ == lc.__name__:
        return cls("a stand-in for an older langchain-core's class")  # never a twin itself
    raise AssertionError(f"add a sample of {cls.__name__} to {__name__}")


def facts(error: BaseException) -> dict[str, Any]:
    """What a caller reads off the error, with the fields its class has."""
    told = {name: getattr(error, name, MISSING) for name in FACTS}
    return {
        "class": type(error),
        "str": str(error),
        "args": error.args,
        "is_retryable": getattr(error, "is_retryable", MISSING),
        **{name: value for name, value in told.items() if value is not MISSING},
    }


def pickle_dumps(error: BaseException) -> list[bytes]:
    """The error pickled with every protocol the standard library has."""
    return [pickle.dumps(error, protocol) for protocol in range(pickle.HIGHEST_PROTOCOL + 1)]


def cloudpickle_dumps(error: BaseException) -> list[bytes]:
    """The error as Ray and Dask pickle it."""
    cloudpickle = pytest.importorskip("cloudpickle")
    return [cloudpickle.dumps(error)]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
@pytest.mark.parametrize("dumps", [pickle_dumps, cloudpickle_dumps], ids=["pickle", "cloudpickle"])
def test_every_error_comes_back_as_itself_without_the_key(
    cls: type[BaseException], dumps: Callable[[BaseException], list[bytes]]
) -> None:
    error = sample(cls)
    assert type(error) is cls
    for data in dumps(error):
        assert SECRET.encode() not in data
        back = pickle.loads(data)
        assert facts(back) == facts(error)
        # Every other field too; the live HTTP objects (they carry the key) come back as None.
        for name, value in vars(error).items():
            if name in ("request", "response"):
                assert getattr(back, name) is None
            else:
                assert getattr(back, name) == value, name
        assert SECRET not in repr(back) and SECRET not in str(back)
        again = pickle.loads(dumps(back)[-1])  # Ray and Dask may send it on once more
        assert facts(again) == facts(error)


@pytest.mark.parametrize("status", [401, 402, 403, 404, 400, 422, 429, 503, 500, 409])
def test_status_errors_carry_what_must_survive(status: int) -> None:
    """The samples hold the facts the round trip is checked on, and the key in their live
    request and echoed body: without them the round trip would prove little."""
    error = gateway_answer(status, "the gateway's words", {"retry-after": "7"})
    assert REQUEST.headers["authorization"] == f"Bearer {SECRET}"
    # The error holds the request that was sent, or (newer openai SDKs) a copy without its
    # credentials: never another value.
    assert error.request.headers.get("authorization") in (f"Bearer {SECRET}", None)
    assert SECRET.encode() in error.response.content
    assert error.status_code == status and error.code == f"E{status}"
    assert error.body["message"] == "the gateway's words (you sent Bearer [redacted])"
    assert error.request_id == f"req_{status}"
    assert error.is_retryable is (status in (409, 429, 503, 500))
    assert getattr(error, "retry_after", None) == (7.0 if status == 429 else None)


def test_the_walk_finds_the_families() -> None:
    """Every core class, every twin, and the raw SDK errors' twins are sampled above."""
    names = {cls.__name__ for cls in CLASSES}
    assert {"InsufficientCreditsError", "SkillBossInsufficientCreditsError"} <= names
    assert {"GatewayRateLimitError", "SkillBossRateLimitError", "_SDKStatusError"} <= names
    assert {"StreamStalledError", "UpstreamError", "StructuredOutputParseError"} <= names
    assert set(lc._TWINS.values()) <= set(CLASSES)
    assert {cls for cls in CLASSES if cls.__module__ == core.__name__} == set(CORE_SAMPLES)


def test_a_twin_of_a_402_still_reads_as_its_langchain_class() -> None:
    back = pickle.loads(pickle.dumps(sample(lc.SkillBossInsufficientCreditsError)))
    assert isinstance(back, core.InsufficientCreditsError) and isinstance(back, lc.ModelError)
    assert isinstance(back, openai.APIStatusError)
    assert back.status_code == 402 and back.is_retryable is False
