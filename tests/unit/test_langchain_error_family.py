"""The core's errors as langchain-core's error family (no I/O).

Runs on every supported langchain-core: where the installed core predates a class
(ModelError family: 1.6, ModelRefusalError: 1.7.5), the stand-ins must behave the same.
"""

from __future__ import annotations

import httpx
import openai
import pytest

from langchain_skillboss import errors as lc
from skillboss_core import errors as core
from skillboss_core.errors import map_status_error
from skillboss_core.params import InvalidParameterError

SECRET = "sk-live-never-shown-0000"


def status_error(status: int, message: str = "provider said no") -> openai.APIStatusError:
    request = httpx.Request(
        "POST",
        "https://api.skillboss.co/v1/chat/completions",
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    response = httpx.Response(status, request=request)
    return map_status_error("raw", body={"error": {"message": message}}, response=response)


@pytest.mark.parametrize(
    ("status", "sdk", "family", "retryable"),
    [
        (400, openai.BadRequestError, lc.ModelInvalidRequestError, False),
        (401, openai.AuthenticationError, lc.ModelAuthenticationError, False),
        (402, openai.APIStatusError, lc.ModelError, False),
        (403, openai.PermissionDeniedError, lc.ModelPermissionDeniedError, False),
        (404, openai.NotFoundError, lc.ModelNotFoundError, False),
        (422, openai.UnprocessableEntityError, lc.ModelInvalidRequestError, False),
        (429, openai.RateLimitError, lc.ModelRateLimitError, True),
        (500, openai.InternalServerError, lc.ModelAPIError, True),
        (503, openai.InternalServerError, lc.ModelAPIError, True),
        (418, openai.APIStatusError, lc.ModelAPIError, False),
        (408, openai.APIStatusError, lc.ModelAPIError, True),
        (409, openai.APIStatusError, lc.ModelAPIError, True),
        (599, openai.APIStatusError, lc.ModelAPIError, True),
    ],
)
def test_each_status_is_both_an_sdk_and_a_langchain_error(
    status: int, sdk: type[Exception], family: type[Exception], retryable: bool
) -> None:
    original = status_error(status)
    translated = lc.as_langchain_error(original)
    assert isinstance(translated, sdk) and isinstance(translated, family)
    assert isinstance(translated, lc.ModelError)
    assert translated.is_retryable is retryable  # type: ignore[attr-defined]
    assert str(translated) == str(original) and translated.status_code == status  # type: ignore[attr-defined]
    assert SECRET not in repr(translated) and SECRET not in str(translated)


def test_context_overflow_is_langchains_context_overflow_error() -> None:
    original = status_error(400, "This model's maximum context length is 8192 tokens.")
    translated = lc.as_langchain_error(original)
    assert isinstance(translated, lc.ContextOverflowError) and isinstance(translated, lc.ModelError)
    assert isinstance(translated, openai.BadRequestError)
    assert isinstance(translated, core.GatewayContextOverflowError)
    assert translated.is_retryable is False  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("original", "family", "retryable"),
    [
        (openai.APITimeoutError(request=httpx.Request("POST", "/x")), lc.ModelTimeoutError, True),
        (
            openai.APIConnectionError(request=httpx.Request("POST", "/x")),
            lc.ModelConnectionError,
            True,
        ),
        (
            core.StreamInterruptedError(message="broke", request=httpx.Request("POST", "/x")),
            lc.ModelConnectionError,
            True,
        ),
        (core.StreamError("upstream failed"), lc.ModelAPIError, True),
        (core.IncompleteStreamError("no finish"), lc.ModelAPIError, True),
        (core.InvalidResponseError("not json"), lc.ModelAPIError, True),
        (core.MissingAPIKeyError("no key"), lc.ModelAuthenticationError, False),
        (InvalidParameterError("temperature must be ..."), lc.ModelInvalidRequestError, False),
    ],
)
def test_errors_without_a_status_join_the_family_too(
    original: Exception, family: type[Exception], retryable: bool
) -> None:
    translated = lc.as_langchain_error(original)
    assert isinstance(translated, family) and isinstance(translated, type(original))
    assert translated.is_retryable is retryable  # type: ignore[attr-defined]


def test_errors_outside_the_family_pass_through_unchanged() -> None:
    for error in (core.AnswerTruncatedError("cut"), KeyError("x"), ValueError("bad")):
        assert lc.as_langchain_error(error) is error


def test_translation_keeps_the_traceback_and_the_cause() -> None:
    def fail() -> None:
        try:
            raise OSError("socket closed")
        except OSError as exc:
            raise core.StreamInterruptedError(
                message="broke", request=httpx.Request("POST", "/x")
            ) from exc

    with pytest.raises(lc.ModelConnectionError) as caught, lc.model_errors():
        fail()
    assert isinstance(caught.value.__cause__, OSError)
    frames = []
    tb = caught.value.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "fail" in frames


def test_a_structured_output_refusal_is_a_model_refusal_error() -> None:
    error = lc.StructuredOutputRefusalError("I can't help with that.")
    assert isinstance(error, lc.ModelRefusalError) and isinstance(error, core.RefusalError)
    assert error.refusal == "I can't help with that." and error.raw_message is None
    assert error.is_retryable is False
