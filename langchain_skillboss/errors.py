"""The core's errors in langchain-core's error language.

ChatSkillBoss raises each core error as its *twin*: a named class here that derives from the
core class first and then from the matching `langchain_core.exceptions` class, as
langchain-openai's errors do. So every `except` keeps matching after the trip through
LangChain (`except StreamStalledError`, `except openai.APITimeoutError`, `except
SkillBossError` and `except ModelTimeoutError` all catch a stalled stream), and the core's
message, fields and `is_retryable` win: LangChain's retry, fallback and summarization
middleware decide on the same verdict as the core's own retries (a 401, 402, 400, 404 or
context overflow is never retried).

`_TWINS` is the one table from core class to twin; an error gets the twin of the nearest
class in its MRO that has one, so a new core subclass still gets its parent's. Twins pickle
by reference, without the openai SDK's live request and response (which carry the key).

langchain-core added the ModelError family in 1.6 and ModelRefusalError in 1.7.5; on an
older core, stand-ins derived from LangChainException take their place, so the classes and
`is_retryable` exist whatever version is installed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING

import openai
from langchain_core import exceptions as lc_exceptions
from langchain_core.exceptions import OutputParserException

from skillboss_core import errors as core
from skillboss_core.errors import EmbeddingInputTooLongError, InvalidParameterError
from skillboss_core.transport.retries import retryable_status

if TYPE_CHECKING:
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
else:

    def _core_class(name: str, base: type[Exception]) -> type[Exception]:
        """langchain-core's class, or a stand-in when the installed core predates it."""
        found = getattr(lc_exceptions, name, None)
        return found if found is not None else type(name, (base,), {"__module__": __name__})

    ModelError = _core_class("ModelError", lc_exceptions.LangChainException)
    if not hasattr(ModelError, "is_retryable"):
        ModelError.is_retryable = False
    ModelAuthenticationError = _core_class("ModelAuthenticationError", ModelError)
    ModelPermissionDeniedError = _core_class("ModelPermissionDeniedError", ModelError)
    ModelInvalidRequestError = _core_class("ModelInvalidRequestError", ModelError)
    ModelNotFoundError = _core_class("ModelNotFoundError", ModelError)
    ModelRateLimitError = _core_class("ModelRateLimitError", ModelError)
    ModelAPIError = _core_class("ModelAPIError", ModelError)
    ModelConnectionError = _core_class("ModelConnectionError", ModelError)
    ModelTimeoutError = _core_class("ModelTimeoutError", ModelError)
    ContextOverflowError = _core_class("ContextOverflowError", ModelError)
    ModelRefusalError = _core_class("ModelRefusalError", ModelError)


class _Twin(Exception):
    """What every twin adds to its core error: the fields its LangChain class's __init__
    would set (that __init__ never runs: the core error's state is copied). Twins pickle as
    the core's errors do (SkillBossError.__reduce__: by reference, without the live HTTP
    objects)."""

    def _fill_langchain_fields(self) -> None:
        """Set the LangChain class's own fields; most have none."""

    # The twins of raw SDK errors have no SkillBossError base: the same pickling for them.
    __reduce__ = core.SkillBossError.__reduce__


# Each twin: the core class first (its message, fields and is_retryable win), then the twin
# of the core class's parent where one fits, then langchain-core's class, then _Twin.


class SkillBossModelError(core.SkillBossError, ModelError, _Twin):
    """Any other SkillBoss error (a core class newer than this table)."""


class SkillBossMissingAPIKeyError(core.MissingAPIKeyError, ModelAuthenticationError, _Twin):
    """No key was configured; raised before any request."""


class SkillBossAuthenticationError(
    core.GatewayAuthenticationError, ModelAuthenticationError, _Twin
):
    """401: never retried."""


class SkillBossPermissionDeniedError(
    core.GatewayPermissionDeniedError, ModelPermissionDeniedError, _Twin
):
    """403: the key may not use this model or feature."""


class SkillBossInsufficientCreditsError(core.InsufficientCreditsError, ModelError, _Twin):
    """402: the wholesale balance is too low; no retry layer may retry it."""


class SkillBossBadRequestError(core.GatewayBadRequestError, ModelInvalidRequestError, _Twin):
    """400: the gateway rejected the request."""


class SkillBossUnprocessableEntityError(
    core.GatewayUnprocessableEntityError, ModelInvalidRequestError, _Twin
):
    """422: well-formed, but the values are not acceptable."""


class SkillBossInvalidParameterError(InvalidParameterError, ModelInvalidRequestError, _Twin):
    """A parameter failed validation; nothing was sent."""


class SkillBossEmbeddingInputTooLongError(
    EmbeddingInputTooLongError, SkillBossInvalidParameterError
):
    """A text longer than the embedding model's input window (`.position`, `.limit`);
    nothing was sent."""


class SkillBossContextOverflowError(
    core.GatewayContextOverflowError, ContextOverflowError, ModelError, _Twin
):
    """The prompt does not fit the context window: what SummarizationMiddleware recovers from.
    Like langchain-openai's, not also a ModelInvalidRequestError."""


class SkillBossNotFoundError(core.GatewayNotFoundError, ModelNotFoundError, _Twin):
    """404: an unknown model id or a wrong base URL."""


class SkillBossRateLimitError(core.GatewayRateLimitError, ModelRateLimitError, _Twin):
    """429: retryable; `retry_after` holds the server's hint."""


class SkillBossCapacityError(core.GatewayCapacityError, ModelAPIError, _Twin):
    """503: the lite-tier pool is out of capacity; retryable, or fall back."""


class SkillBossServerError(core.GatewayServerError, ModelAPIError, _Twin):
    """Another 5xx: retryable."""


class SkillBossStatusError(core.GatewayStatusError, ModelAPIError, _Twin):
    """A status the gateway does not document; `is_retryable` is the core's verdict."""


class _SkillBossResponseContentError(core._ResponseContentError, ModelAPIError, _Twin):
    """What a 200 answer contained was an error (base of the next four)."""


class SkillBossUpstreamError(core.UpstreamError, _SkillBossResponseContentError):
    """A 200 answer (body or stream) that holds the provider's error instead of an answer."""


SkillBossStreamError = SkillBossUpstreamError
"""The earlier name of SkillBossUpstreamError, as core.StreamError is of UpstreamError."""


class SkillBossIncompleteStreamError(core.IncompleteStreamError, _SkillBossResponseContentError):
    """The stream ended without a finish reason."""


class SkillBossInvalidResponseError(core.InvalidResponseError, _SkillBossResponseContentError):
    """A 2xx answer that is not a chat completion."""


class SkillBossResponseTooLargeError(core.ResponseTooLargeError, SkillBossInvalidResponseError):
    """An event or body past the size cap; not retryable."""


class SkillBossAnswerError(core.AnswerError, ModelError, _Twin):
    """The answer cannot be used as asked (base of the next four)."""


class SkillBossAnswerTruncatedError(core.AnswerTruncatedError, SkillBossAnswerError):
    """finish_reason `length`: also `openai.LengthFinishReasonError`; `partial` holds the text."""


class SkillBossContentFilteredError(
    core.ContentFilteredError, SkillBossAnswerError, ModelRefusalError
):
    """finish_reason `content_filter`: the provider declined to produce the rest, so also
    langchain-core's `ModelRefusalError` (`raw_message` is None)."""

    def _fill_langchain_fields(self) -> None:
        self.raw_message = None


class StructuredOutputRefusalError(core.RefusalError, SkillBossAnswerError, ModelRefusalError):
    """The model refused to answer in the requested structure; `refusal` holds its words.
    Also langchain-core's `ModelRefusalError`, which refusal middleware handles."""

    def __init__(self, refusal: str, *, what: str = "the structured output") -> None:
        core.RefusalError.__init__(self, refusal, what=what)
        self._fill_langchain_fields()

    def _fill_langchain_fields(self) -> None:
        self.raw_message = None


class StructuredOutputParseError(
    core.StructuredOutputError, SkillBossAnswerError, OutputParserException
):
    """The answer is not the structured output asked for: the core's error, and the
    `OutputParserException` langchain-core's parsers raise (`llm_output` holds the text)."""

    def __init__(self, error: core.StructuredOutputError) -> None:
        core.StructuredOutputError.__init__(self, error.message, text=error.text)
        self._fill_langchain_fields()

    def _fill_langchain_fields(self) -> None:
        self.observation = None
        self.llm_output = self.text
        self.send_to_llm = False


class SkillBossToolArgumentsError(core.ToolArgumentsError, ModelError, _Twin):
    """A tool call's arguments are not a JSON object."""


class SkillBossBudgetExceededError(core.BudgetExceededError, ModelError, _Twin):
    """The call could cost more than its budget has left; nothing was sent."""


class SkillBossConnectionError(core.GatewayConnectionError, ModelConnectionError, _Twin):
    """The gateway could not be reached; retryable."""


class SkillBossStreamInterruptedError(core.StreamInterruptedError, ModelConnectionError, _Twin):
    """The connection broke in the middle of a stream."""


class SkillBossTimeoutError(core.GatewayTimeoutError, ModelTimeoutError, _Twin):
    """The call (or a wait for progress) passed its timeout; retryable."""


class SkillBossStreamStalledError(core.StreamStalledError, SkillBossTimeoutError):
    """No stream event arrived in time: a stuck stream."""


# The openai SDK's own errors, should one reach ChatSkillBoss untranslated by the core.


class _SDKStatusError(openai.APIStatusError, ModelAPIError, _Twin):
    """A status error; retryable as the core's one retry policy says for its status."""

    @property
    def is_retryable(self) -> bool:  # type: ignore[override]
        headers = self.response.headers if self.response is not None else {}
        return retryable_status(self.status_code, headers)


class _SDKConnectionError(openai.APIConnectionError, ModelConnectionError, _Twin):
    is_retryable = True


class _SDKTimeoutError(openai.APITimeoutError, ModelTimeoutError, _Twin):
    is_retryable = True


_TWINS: Mapping[type[BaseException], type[_Twin]] = MappingProxyType(
    {
        core.SkillBossError: SkillBossModelError,
        core.MissingAPIKeyError: SkillBossMissingAPIKeyError,
        core.BudgetExceededError: SkillBossBudgetExceededError,
        core.GatewayAuthenticationError: SkillBossAuthenticationError,
        core.GatewayPermissionDeniedError: SkillBossPermissionDeniedError,
        core.InsufficientCreditsError: SkillBossInsufficientCreditsError,
        core.GatewayBadRequestError: SkillBossBadRequestError,
        core.GatewayUnprocessableEntityError: SkillBossUnprocessableEntityError,
        InvalidParameterError: SkillBossInvalidParameterError,
        EmbeddingInputTooLongError: SkillBossEmbeddingInputTooLongError,
        core.GatewayContextOverflowError: SkillBossContextOverflowError,
        core.GatewayNotFoundError: SkillBossNotFoundError,
        core.GatewayRateLimitError: SkillBossRateLimitError,
        core.GatewayCapacityError: SkillBossCapacityError,
        core.GatewayServerError: SkillBossServerError,
        core.GatewayStatusError: SkillBossStatusError,
        core._ResponseContentError: _SkillBossResponseContentError,
        core.UpstreamError: SkillBossUpstreamError,
        core.IncompleteStreamError: SkillBossIncompleteStreamError,
        core.InvalidResponseError: SkillBossInvalidResponseError,
        core.ResponseTooLargeError: SkillBossResponseTooLargeError,
        core.AnswerError: SkillBossAnswerError,
        core.AnswerTruncatedError: SkillBossAnswerTruncatedError,
        core.ContentFilteredError: SkillBossContentFilteredError,
        core.RefusalError: StructuredOutputRefusalError,
        core.StructuredOutputError: StructuredOutputParseError,
        core.ToolArgumentsError: SkillBossToolArgumentsError,
        core.GatewayConnectionError: SkillBossConnectionError,
        core.StreamInterruptedError: SkillBossStreamInterruptedError,
        core.GatewayTimeoutError: SkillBossTimeoutError,
        core.StreamStalledError: SkillBossStreamStalledError,
        openai.APIStatusError: _SDKStatusError,
        openai.APIConnectionError: _SDKConnectionError,
        openai.APITimeoutError: _SDKTimeoutError,
    }
)
"""The one table: core class -> its twin. The core classes come first in each error's MRO,
so a core error never falls through to the openai SDK's rows."""


def twin_class(error_type: type[BaseException]) -> type[_Twin] | None:
    """The twin of the nearest class in `error_type`'s MRO that has one; None if none does."""
    for ancestor in error_type.__mro__:
        twin = _TWINS.get(ancestor)
        if twin is not None:
            return twin
    return None


def as_langchain_error(error: BaseException) -> BaseException:
    """The same error as its twin (same message, fields, cause and traceback); errors that
    are already LangChain's, or have no twin, are returned unchanged."""
    if isinstance(error, ModelError):
        return error
    twin = twin_class(type(error))
    if twin is None:
        return error
    translated = twin.__new__(twin)
    vars(translated).update(vars(error))
    translated.args = error.args
    translated.__cause__ = error.__cause__
    translated.__suppress_context__ = error.__suppress_context__
    translated._fill_langchain_fields()
    return translated.with_traceback(error.__traceback__)


@contextmanager
def model_errors() -> Iterator[None]:
    """Raise the core's errors as their LangChain twins."""
    try:
        yield
    except Exception as error:
        translated = as_langchain_error(error)
        if translated is error:
            raise
        raise translated from error.__cause__
