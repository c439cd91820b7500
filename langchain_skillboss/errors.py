"""The core's errors in langchain-core's error language.

Each class here is both the core's (so the openai SDK's) error and the matching
`langchain_core.exceptions` class, as langchain-openai's are: `except openai.RateLimitError`
and `except ModelRateLimitError` both catch a 429, and LangChain's retry layers read
`is_retryable`, which comes from the core (a 401, 402, 400, 404 or context overflow is never
retried). ChatSkillBoss raises them on every path through `model_errors`.

langchain-core added the ModelError family in 1.6 and ModelRefusalError in 1.7.5; on an
older core, stand-ins derived from LangChainException take their place, so the classes and
`is_retryable` exist whatever version is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import openai
from langchain_core import exceptions as lc_exceptions

from skillboss_core import errors as core
from skillboss_core.params import InvalidParameterError

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


# Status errors: the core's class first, so its message, fields and is_retryable win.
class SkillBossAuthenticationError(core.GatewayAuthenticationError, ModelAuthenticationError):
    """401 (or no key configured at all): never retried."""


class SkillBossMissingAPIKeyError(core.MissingAPIKeyError, ModelAuthenticationError):
    """No key was configured; raised before any request."""


class SkillBossPermissionDeniedError(core.GatewayPermissionDeniedError, ModelPermissionDeniedError):
    """403: the key may not use this model or feature."""


class SkillBossInsufficientCreditsError(core.InsufficientCreditsError, ModelError):
    """402: the wholesale balance is too low; no retry layer may retry it."""


class SkillBossBadRequestError(core.GatewayBadRequestError, ModelInvalidRequestError):
    """400: the gateway rejected the request."""


class SkillBossUnprocessableEntityError(
    core.GatewayUnprocessableEntityError, ModelInvalidRequestError
):
    """422: well-formed, but the values are not acceptable."""


class SkillBossInvalidParameterError(InvalidParameterError, ModelInvalidRequestError):
    """A parameter failed validation; nothing was sent."""


class SkillBossContextOverflowError(
    core.GatewayContextOverflowError, ContextOverflowError, ModelError
):
    """The prompt does not fit the context window: what SummarizationMiddleware recovers from."""


class SkillBossNotFoundError(core.GatewayNotFoundError, ModelNotFoundError):
    """404: an unknown model id or a wrong base URL."""


class SkillBossRateLimitError(core.GatewayRateLimitError, ModelRateLimitError):
    """429: retryable; `retry_after` holds the server's hint."""


class SkillBossCapacityError(core.GatewayCapacityError, ModelAPIError):
    """503: the lite-tier pool is out of capacity; retryable, or fall back."""


class SkillBossServerError(core.GatewayServerError, ModelAPIError):
    """Another 5xx: retryable."""


class SkillBossStatusError(openai.APIStatusError, ModelAPIError):
    """A status the gateway does not document; retryable where the SDK retries it too
    (408, 409 and 5xx)."""

    @property
    def is_retryable(self) -> bool:  # type: ignore[override]
        return self.status_code >= 500 or self.status_code in (408, 409)


class SkillBossStreamError(core.StreamError, ModelAPIError):
    """An `event: error` inside a 200 stream."""


class SkillBossIncompleteStreamError(core.IncompleteStreamError, ModelAPIError):
    """The stream ended without a finish reason."""


class SkillBossResponseTooLargeError(core.ResponseTooLargeError, ModelAPIError):
    """An event or body past the size cap; not retryable."""


class SkillBossInvalidResponseError(core.InvalidResponseError, ModelAPIError):
    """A 2xx answer that is not a chat completion."""


class SkillBossStreamInterruptedError(core.StreamInterruptedError, ModelConnectionError):
    """The connection broke in the middle of a stream."""


class SkillBossTimeoutError(openai.APITimeoutError, ModelTimeoutError):
    """The request timed out; retryable."""

    is_retryable = True


class SkillBossConnectionError(core.GatewayConnectionError, ModelConnectionError):
    """The gateway could not be reached; retryable."""

    is_retryable = True


class StructuredOutputRefusalError(core.RefusalError, ModelRefusalError):
    """The model refused to answer in the requested structure; `refusal` holds its words.
    Also langchain-core's `ModelRefusalError`, which refusal middleware handles."""

    def __init__(self, refusal: str, *, what: str = "the structured output") -> None:
        core.RefusalError.__init__(self, refusal, what=what)
        self.raw_message = None


# Most specific first: the first class the error is an instance of decides its twin.
_TWINS: tuple[tuple[type[BaseException], type[BaseException]], ...] = (
    (core.GatewayContextOverflowError, SkillBossContextOverflowError),
    (core.GatewayAuthenticationError, SkillBossAuthenticationError),
    (core.MissingAPIKeyError, SkillBossMissingAPIKeyError),
    (core.GatewayPermissionDeniedError, SkillBossPermissionDeniedError),
    (core.InsufficientCreditsError, SkillBossInsufficientCreditsError),
    (core.GatewayUnprocessableEntityError, SkillBossUnprocessableEntityError),
    (core.GatewayBadRequestError, SkillBossBadRequestError),
    (InvalidParameterError, SkillBossInvalidParameterError),
    (core.GatewayNotFoundError, SkillBossNotFoundError),
    (core.GatewayRateLimitError, SkillBossRateLimitError),
    (core.GatewayCapacityError, SkillBossCapacityError),
    (core.GatewayServerError, SkillBossServerError),
    (core.StreamError, SkillBossStreamError),
    (core.IncompleteStreamError, SkillBossIncompleteStreamError),
    (core.ResponseTooLargeError, SkillBossResponseTooLargeError),
    (core.InvalidResponseError, SkillBossInvalidResponseError),
    (core.StreamInterruptedError, SkillBossStreamInterruptedError),
    (openai.APITimeoutError, SkillBossTimeoutError),
    (openai.APIConnectionError, SkillBossConnectionError),
    (openai.APIStatusError, SkillBossStatusError),
)


def as_langchain_error(error: BaseException) -> BaseException:
    """The same error as its langchain-core twin (same message, fields and traceback);
    errors that are already LangChain's, or have no twin, are returned unchanged."""
    if isinstance(error, ModelError):
        return error
    for source, twin in _TWINS:
        if isinstance(error, source):
            translated = twin.__new__(twin)
            translated.__dict__.update(error.__dict__)
            translated.args = error.args
            translated.__cause__ = error.__cause__
            translated.__suppress_context__ = error.__suppress_context__
            return translated.with_traceback(error.__traceback__)
    return error


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
