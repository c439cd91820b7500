"""Typed gateway errors: the one family every layer raises, at the bottom of the core.

Every HTTP error subclasses the openai SDK's own class for its status, so existing
`except openai.RateLimitError:` code keeps working; the messages say what to do next.
Which HTTP answer becomes which of them is decided in `transport.failures`.
"""

from __future__ import annotations

from typing import Any

import openai

from skillboss_core import _moved


class SkillBossError(Exception):
    """Marker base for every error this package raises itself.

    `is_retryable` says whether sending the same request again may succeed; retry layers
    (the SDK's, and frameworks' that read the attribute) must not retry when it is False.
    """

    is_retryable: bool = False

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by class and fields (Ray, multiprocessing, Celery), without the live HTTP
        objects: the request carries the Authorization header, and the SDK's errors that
        hold them do not unpickle otherwise. `request` and `response` come back as None."""
        state = {
            name: None if name in _LIVE_FIELDS else value for name, value in vars(self).items()
        }
        return _rebuild, (type(self), self.args, state)


_LIVE_FIELDS = frozenset({"request", "response"})


def _rebuild(cls: type[SkillBossError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """An error back from a pickle, without calling its __init__ (their shapes differ)."""
    error = cls.__new__(cls)
    error.args = args
    vars(error).update(state)
    return error


class InvalidParameterError(SkillBossError, ValueError):
    """A parameter is outside what the gateway accepts; nothing was sent."""


class EmbeddingInputTooLongError(InvalidParameterError):
    """A text cannot fit the embedding model's input window; nothing was sent. Split the
    text into smaller chunks (a text splitter, or a smaller chunk size) first."""

    def __init__(self, message: str, *, position: int, limit: int) -> None:
        super().__init__(message)
        self.position = position
        self.limit = limit


class MissingAPIKeyError(SkillBossError, ValueError):
    """No wholesale key was configured; raised at call time, never at import or construction."""


class BudgetExceededError(SkillBossError):
    """The call could cost more than what is left of its `Budget`; nothing was sent.

    `needed_usd` is the call's worst case (None when its model has no price, so the budget
    cannot bound it), `left_usd` what the budget had left for it (its limit less what was
    spent and what calls in flight may still spend), `model` the model it would have asked.
    Not retryable: the same call would be refused again. Raise the budget, lower the call's
    `max_tokens`, or pick a cheaper model."""

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        needed_usd: float | None = None,
        left_usd: float | None = None,
        limit_usd: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.model = model
        self.needed_usd = needed_usd
        self.left_usd = left_usd
        self.limit_usd = limit_usd


class GatewayAuthenticationError(SkillBossError, openai.AuthenticationError):
    """401: the key is missing, invalid, or a console key rather than a wholesale key."""


class InsufficientCreditsError(SkillBossError, openai.APIStatusError):
    """402: the wholesale balance is too low. Never retried: retrying cannot succeed."""


class GatewayRateLimitError(SkillBossError, openai.RateLimitError):
    """429: too many requests; `retry_after` holds the server's hint in seconds, if any."""

    is_retryable = True
    retry_after: float | None = None


class GatewayCapacityError(SkillBossError, openai.InternalServerError):
    """503: the lite-tier discount pool is out of capacity; retry or fall back to another model."""

    is_retryable = True


class GatewayServerError(SkillBossError, openai.InternalServerError):
    """Another 5xx: a transient upstream issue, safe to retry."""

    is_retryable = True


class GatewayBadRequestError(SkillBossError, openai.BadRequestError):
    """400 (or 422): the gateway rejected the request (bad field, malformed JSON)."""


class GatewayContextOverflowError(GatewayBadRequestError):
    """The prompt does not fit the model's context window (400, 413 or 422, in any of the
    wordings providers use): shorten or summarise the conversation, then send it again."""


class GatewayUnprocessableEntityError(SkillBossError, openai.UnprocessableEntityError):
    """422: the request is well-formed JSON but its values are not acceptable."""


class GatewayPermissionDeniedError(SkillBossError, openai.PermissionDeniedError):
    """403: the key is valid but may not use this model or feature."""


class GatewayNotFoundError(SkillBossError, openai.NotFoundError):
    """404: usually an unknown model id or a wrong base URL."""


class GatewayStatusError(SkillBossError, openai.APIStatusError):
    """A status the gateway does not document (408, 409, 418, ...); `is_retryable` says
    whether the retry policy retries it (408 and 409 are, like the openai SDK's)."""


class _ResponseContentError(SkillBossError, openai.APIError):
    """An openai.APIError about what a 200 answer contained; no HTTP request object to show."""

    def __init__(
        self, message: str, *, body: object | None = None, code: str | None = None
    ) -> None:
        self.message = message
        self.body = body
        self.code = code
        self.request = None  # type: ignore[assignment]
        Exception.__init__(self, message)


class UpstreamError(_ResponseContentError):
    """The gateway answered 200 but with an error object instead of an answer (a JSON body
    `{"error": {...}}` without choices, or an `event: error` / error chunk inside a stream):
    the provider behind it failed. `message` quotes the provider's words, `code` its code.
    The same class on the body and the stream path."""

    is_retryable = True


StreamError = UpstreamError
"""The earlier name of UpstreamError (it was only raised on the stream path)."""


class IncompleteStreamError(_ResponseContentError):
    """The stream ended without a finish_reason: the answer would be silently truncated."""

    is_retryable = True

    def __init__(self, message: str, *, partial_text: str = "") -> None:
        super().__init__(message)
        self.partial_text = partial_text


class InvalidResponseError(_ResponseContentError):
    """A 2xx answer that is not a chat completion (not JSON, or missing `choices`). Not
    retried: it usually comes from something in the way (a captive portal, a proxy), which
    answers the same again, and the gateway may have charged for an answer it sent."""


class ResponseTooLargeError(InvalidResponseError):
    """One stream event or a whole body passed its size cap (`max_event_bytes`,
    `max_body_bytes`): reading stopped there, so a broken or hostile server cannot make the
    client hold unbounded memory. Not retried: the same request would likely do it again."""

    is_retryable = False


class AnswerError(SkillBossError, ValueError):
    """The gateway answered, but the answer cannot be used as asked: cut, filtered, refused
    or not the structured output requested (see skillboss_core.wire.answer)."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)
        self.message = message


class AnswerTruncatedError(AnswerError, openai.LengthFinishReasonError):
    """finish_reason `length`: the answer stopped at the token cap. `partial` holds the text
    (or tool arguments) received; also an `openai.LengthFinishReasonError`, as ChatOpenAI raises."""

    def __init__(self, message: str, *, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial
        self.completion = None  # type: ignore[assignment]  # the SDK's parsed completion


class ContentFilteredError(AnswerError, openai.ContentFilterFinishReasonError):
    """finish_reason `content_filter`: the provider's filter stopped the answer; `partial`
    holds what came before it. Also an `openai.ContentFilterFinishReasonError`."""

    def __init__(self, message: str, *, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


class RefusalError(AnswerError):
    """The model refused to produce what was asked; `refusal` holds its words."""

    def __init__(self, refusal: str, *, what: str = "the structured output") -> None:
        super().__init__(f"The model refused to produce {what}: {refusal}")
        self.refusal = refusal


class StructuredOutputError(AnswerError):
    """The answer ended normally but is not the structured output asked for (empty, not
    JSON, or not valid for the schema); `text` holds what came back."""

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.text = text


class ToolArgumentsError(SkillBossError, ValueError):
    """A tool call's arguments are not a JSON object (cut, malformed, or another type)."""


class GatewayConnectionError(SkillBossError, openai.APIConnectionError):
    """The gateway could not be reached (DNS, refused, TLS, proxy): the message names the URL
    tried and the underlying reason, which the SDK's bare "Connection error." does not."""

    is_retryable = True


class StreamInterruptedError(SkillBossError, openai.APIConnectionError):
    """The connection broke in the middle of a stream; what arrived is incomplete."""

    is_retryable = True


class GatewayTimeoutError(SkillBossError, openai.APITimeoutError):
    """A wait for progress passed `timeout` (connecting, the first byte, a body that only
    sends whitespace), or the whole call passed `total_timeout` (or a retry wait would have).
    Retryable; an `openai.APITimeoutError`."""

    is_retryable = True

    def __init__(self, message: str, *, request: Any) -> None:
        openai.APITimeoutError.__init__(self, request=request)
        self.message = message
        self.args = (message,)


class StreamStalledError(GatewayTimeoutError):
    """No stream event arrived for `timeout` (or the shorter `stream_chunk_timeout`) seconds
    (keep-alive comments and whitespace do not count): the stream is stuck, though bytes may
    still be flowing."""


# `from skillboss_core.errors import map_status_error` and the like, as before the layers.
__getattr__ = _moved.moved_names(__name__)
