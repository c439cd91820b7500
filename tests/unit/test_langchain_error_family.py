"""The core's errors as langchain-core's error family (no I/O).

Every core error becomes its twin: still the core class (and so the openai SDK's and
SkillBossError), also langchain-core's class, with the core's message, fields and
`is_retryable` (that each survives pickle and cloudpickle without the key is
tests/unit/test_error_pickling.py). The core's classes are enumerated at run
time, so a class added there without a twin fails here.

Runs on every supported langchain-core: where the installed core predates a class
(ModelError family: 1.6, ModelRefusalError: 1.7.5), the stand-ins must behave the same.
"""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import openai
import pytest
from langchain_core.exceptions import OutputParserException

from langchain_skillboss import errors as lc
from skillboss_core import errors as core
from skillboss_core.transport.failures import map_status_error
from skillboss_core.wire.params import InvalidParameterError

SECRET = "sk-live-never-shown-0000"
REQUEST = httpx.Request(
    "POST",
    "https://api.skillboss.co/v1/chat/completions",
    headers={"Authorization": f"Bearer {SECRET}"},
)


def status_error(
    status: int, message: str = "provider said no", headers: dict[str, str] | None = None
) -> Exception:
    response = httpx.Response(status, headers=headers or {}, request=REQUEST)
    return map_status_error("raw", body={"error": {"message": message}}, response=response)


def core_error_classes() -> list[type[Exception]]:
    """Every SkillBossError subclass the core defines (skillboss_core.errors, params,
    embeddings, ...), imported through the package so none is missed."""
    import skillboss_core  # noqa: F401  (every module that defines an error)

    found: list[type[Exception]] = [InvalidParameterError]
    pending = list(core.SkillBossError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("skillboss_core.") and cls not in found:
            found.append(cls)
    return sorted(found, key=lambda cls: cls.__name__)


CORE_ERRORS = core_error_classes()

# Values for the keyword fields a core error's constructor takes, so copying them is checked.
FIELDS = {
    "partial": "half an answer",
    "partial_text": "half",
    "text": "{",
    "code": "E42",
    "position": 3,
    "limit": 8191,
}


def sample(cls: type[Exception]) -> Any:
    """An instance of `cls` with its fields set, whatever its constructor's shape; the HTTP
    ones hold a request that carries the key."""
    if issubclass(cls, openai.APIStatusError):
        response = httpx.Response(418, request=REQUEST)
        return cls("SkillBoss error (418): no", response=response, body={"message": "no"})
    if issubclass(cls, openai.APITimeoutError):
        return cls("The call passed its timeout", request=REQUEST)  # type: ignore[call-arg]
    if issubclass(cls, openai.APIConnectionError):
        return cls(message="The connection broke", request=REQUEST)
    accepted = inspect.signature(cls.__init__).parameters
    return cls("It went wrong", **{k: v for k, v in FIELDS.items() if k in accepted})


def openai_bases(cls: type[Exception]) -> list[type]:
    return [base for base in cls.__mro__ if base.__module__.split(".")[0] == "openai"]


def assert_same_error(translated: Any, original: Any) -> None:
    """The twin of `original`: its class, its message, every field, its retry verdict."""
    assert type(translated) is lc.twin_class(type(original)) and translated is not original
    assert isinstance(translated, type(original)) and isinstance(translated, core.SkillBossError)
    assert all(isinstance(translated, base) for base in openai_bases(type(original)))
    assert isinstance(translated, lc.ModelError)
    assert str(translated) == str(original) and translated.args == original.args
    assert {name: vars(translated)[name] for name in vars(original)} == vars(original)
    assert translated.is_retryable is original.is_retryable


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
        # The core's verdict: a 2xx that is not a chat completion is not retried.
        (core.InvalidResponseError("not json"), lc.ModelAPIError, False),
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
    already = lc.as_langchain_error(core.AnswerTruncatedError("cut"))
    for error in (KeyError("x"), ValueError("bad"), already):
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


@pytest.mark.parametrize("cls", CORE_ERRORS, ids=lambda cls: cls.__name__)
def test_every_core_error_keeps_its_identity_through_langchain(cls: type[Exception]) -> None:
    original = sample(cls)
    assert_same_error(lc.as_langchain_error(original), original)
    original.is_retryable = not original.is_retryable  # the instance's verdict wins too
    assert_same_error(lc.as_langchain_error(original), original)


@pytest.mark.parametrize("cls", CORE_ERRORS, ids=lambda cls: cls.__name__)
def test_every_core_error_has_its_own_named_twin(cls: type[Exception]) -> None:
    twin = lc._TWINS.get(cls)
    assert twin is not None, f"add a twin of {cls.__name__} to langchain_skillboss.errors"
    assert twin.__mro__[1] is cls  # the core class first: its message and fields win
    assert twin.__module__ == lc.__name__ and twin.__qualname__ == twin.__name__
    assert getattr(lc, twin.__name__) is twin  # so it pickles by reference


def test_a_stalled_stream_is_every_kind_of_timeout() -> None:
    translated = lc.as_langchain_error(core.StreamStalledError("no event", request=REQUEST))
    assert type(translated) is lc.SkillBossStreamStalledError
    for cls in (
        core.StreamStalledError,
        core.GatewayTimeoutError,
        openai.APITimeoutError,
        core.SkillBossError,
        lc.SkillBossTimeoutError,
        lc.ModelTimeoutError,
    ):
        assert isinstance(translated, cls)
    assert translated.is_retryable is True  # type: ignore[attr-defined]


def test_an_undocumented_status_keeps_the_cores_retry_verdict() -> None:
    # The server's x-should-retry decides in the core; the twin does not recompute it.
    for headers, retryable in (({"x-should-retry": "true"}, True), ({}, False)):
        translated = lc.as_langchain_error(status_error(418, headers=headers))
        assert type(translated) is lc.SkillBossStatusError
        assert isinstance(translated, core.GatewayStatusError)
        assert translated.is_retryable is retryable


def test_the_old_names_still_work() -> None:
    assert lc.SkillBossStreamError is lc.SkillBossUpstreamError
    assert type(lc.as_langchain_error(core.StreamError("failed"))) is lc.SkillBossStreamError
    assert lc.twin_class(core.GatewayTimeoutError) is lc.SkillBossTimeoutError
    assert lc.twin_class(core.GatewayStatusError) is lc.SkillBossStatusError
    assert lc.twin_class(core.RefusalError) is lc.StructuredOutputRefusalError


class _NewBadRequestError(core.GatewayBadRequestError):
    """A core class newer than the twin table."""


class _NewError(core.SkillBossError):
    """A direct core subclass newer than the twin table."""


def test_a_core_class_without_a_twin_gets_its_nearest_ancestors() -> None:
    response = httpx.Response(400, request=REQUEST)
    bad_request = lc.as_langchain_error(_NewBadRequestError("no", response=response, body=None))
    assert type(bad_request) is lc.SkillBossBadRequestError
    assert isinstance(bad_request, lc.ModelInvalidRequestError)
    other = lc.as_langchain_error(_NewError("new"))
    assert type(other) is lc.SkillBossModelError and isinstance(other, lc.ModelError)


def test_raw_sdk_status_errors_keep_the_sdks_retry_rule() -> None:
    for status, retryable in ((409, True), (418, False), (502, True)):
        raw = openai.APIStatusError(
            "x", response=httpx.Response(status, request=REQUEST), body=None
        )
        translated = lc.as_langchain_error(raw)
        assert isinstance(translated, openai.APIStatusError)
        assert isinstance(translated, lc.ModelAPIError)
        assert not isinstance(translated, core.SkillBossError)
        assert translated.is_retryable is retryable  # type: ignore[attr-defined]


def test_answer_errors_get_langchains_own_fields() -> None:
    parse = lc.as_langchain_error(core.StructuredOutputError("not JSON", text="{"))
    assert isinstance(parse, lc.StructuredOutputParseError)
    assert isinstance(parse, OutputParserException)
    assert (parse.llm_output, parse.observation, parse.send_to_llm) == ("{", None, False)
    direct = lc.StructuredOutputParseError(core.StructuredOutputError("not JSON", text="{"))
    assert str(direct) == str(parse) and direct.llm_output == "{"
    refusal = lc.as_langchain_error(core.RefusalError("I can't help with that."))
    assert isinstance(refusal, lc.StructuredOutputRefusalError) and refusal.raw_message is None
    assert str(refusal) == str(lc.StructuredOutputRefusalError("I can't help with that."))
    filtered = lc.as_langchain_error(core.ContentFilteredError("filtered", partial="a"))
    assert isinstance(filtered, lc.ModelRefusalError) and filtered.raw_message is None  # type: ignore[attr-defined]
