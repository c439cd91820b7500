"""Typed gateway errors.

Every HTTP error subclasses the openai SDK's own class for its status, so existing
`except openai.RateLimitError:` code keeps working; the messages say what to do next.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Any

import openai

from skillboss_core.help_texts import DASHBOARD_HINT, WHERE_TO_GET_A_KEY, WHOLESALE_ONLY
from skillboss_core.redact import redact
from skillboss_core.retries import retry_after_seconds, retryable_status


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
    or not the structured output requested (see skillboss_core.answer)."""

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


def _provider_message(body: object, fallback: str) -> str:
    """The human message inside an OpenAI-style error body, else the SDK's text."""
    if isinstance(body, dict):
        # mutation: equivalent, a missing default (None) for a body without "error": the
        # check below then reads the same top-level message.
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return fallback


# How providers say "the prompt is longer than the context window": error codes, and
# wordings (OpenAI, DeepSeek, Anthropic, Gemini, Bedrock, Mistral, vLLM, proxies).
_OVERFLOW_CODES = frozenset(
    {"context_length_exceeded", "context_window_exceeded", "model_max_prompt_tokens_exceeded"}
)
_OVERFLOW_WORDS = re.compile(
    r"context[ _]length[ _]exceeded|maximum context length|"
    r"(?:exceeds?|exceeding|longer than|beyond|over) (?:the |its |this )?"
    r"(?:model'?s? )?(?:maximum )?(?:context (?:window|limit|length)|maximum model length)|"
    r"exceeds? context limit|"
    r"prompt is too long|input is too long for|prompt too long|maximum prompt length|"
    r"exceeds the maximum number of tokens|too many tokens in (?:the )?(?:prompt|input)|"
    r"reduce the length of the messages",
    re.IGNORECASE,
)
_OVERFLOW_STATUSES = frozenset({400, 413, 422})


def _error_texts(body: object, detail: str) -> list[str]:
    """Where providers put the words: the message, and OpenRouter's upstream `metadata.raw`."""
    texts = [body if isinstance(body, str) else detail]
    inner = body.get("error", body) if isinstance(body, dict) else None
    metadata = inner.get("metadata") if isinstance(inner, dict) else None
    if isinstance(metadata, dict) and isinstance(metadata.get("raw"), str):
        texts.append(metadata["raw"])
    return texts


def says_context_overflow(body: object, detail: str) -> bool:
    """Whether an error body (of any status, or inside a stream) says the prompt does not
    fit the model's context window: by code, else by the wordings providers use."""
    inner = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(inner, dict) and inner.get("code") in _OVERFLOW_CODES:
        return True
    return any(_OVERFLOW_WORDS.search(text) for text in _error_texts(body, detail))


def is_context_overflow(status: int, body: object, detail: str) -> bool:
    """Whether an error answer says the prompt does not fit the model's context window."""
    return status in _OVERFLOW_STATUSES and says_context_overflow(body, detail)


def status_error(response: Any, content: bytes, secrets: Iterable[str] = ()) -> SkillBossError:
    """The typed error for a non-2xx answer whose body is `content` (JSON or text)."""
    text = content.decode("utf-8", "replace").strip()
    body: object = text or None
    try:
        body = json.loads(text)
        message = f"Error code: {response.status_code} - {body}"
    except ValueError:
        message = text or f"Error code: {response.status_code}"
    return map_status_error(message, body=body, response=response, secrets=secrets)


def map_status_error(
    err_msg: str, *, body: object, response: Any, secrets: Iterable[str] = ()
) -> SkillBossError:
    """Turn a non-2xx gateway answer into the typed error for its status, retryable as the
    retry policy says (skillboss_core.retries). `secrets` (the key the request carried) and
    bearer tokens are redacted from the message and body: a server or proxy may echo the
    Authorization header."""
    error = _error_for_status(err_msg, body=body, response=response, secrets=secrets)
    error.is_retryable = retryable_status(response.status_code, response.headers)
    return error


def _error_for_status(
    err_msg: str, *, body: object, response: Any, secrets: Iterable[str]
) -> SkillBossError:
    secrets = tuple(secrets)
    err_msg, body = redact(err_msg, secrets), redact(body, secrets)
    status = response.status_code
    data = body.get("error", body) if isinstance(body, dict) else body
    detail = _provider_message(body, err_msg).strip().rstrip(".!? ")
    if is_context_overflow(status, body, detail):
        return GatewayContextOverflowError(
            f"The prompt does not fit the model's context window ({status}): {detail}. "
            "Shorten or summarise the conversation (or trim it with a token budget), "
            "or choose a model with a larger window.",
            response=response,
            body=data,
        )
    if status == 401:
        return GatewayAuthenticationError(
            f"SkillBoss rejected the key (401): {detail}. {WHOLESALE_ONLY} "
            f"{WHERE_TO_GET_A_KEY} `skillboss check` tests a key.",
            response=response,
            body=data,
        )
    if status == 402:
        return InsufficientCreditsError(
            f"SkillBoss wholesale balance too low (402): {detail}. Top up on {DASHBOARD_HINT}; "
            "this request was not retried.",
            response=response,
            body=data,
        )
    if status == 429:
        error = GatewayRateLimitError(
            f"SkillBoss rate limit (429): {detail}. Back off and retry, or raise max_retries.",
            response=response,
            body=data,
        )
        error.retry_after = retry_after_seconds(response.headers)
        return error
    if status == 503:
        return GatewayCapacityError(
            f"SkillBoss upstream unavailable (503): {detail}. The lite-tier discount pool is out "
            "of capacity; retry later or fall back to a standard-tier model "
            "(fallback_models=[...]).",
            response=response,
            body=data,
        )
    if status >= 500:
        return GatewayServerError(
            f"SkillBoss server error ({status}): {detail}. "
            "A transient upstream issue; safe to retry.",
            response=response,
            body=data,
        )
    if status == 400:
        return GatewayBadRequestError(
            f"SkillBoss rejected the request (400): {detail}",
            response=response,
            body=data,
        )
    if status == 422:
        return GatewayUnprocessableEntityError(
            f"SkillBoss rejected the request (422): {detail}",
            response=response,
            body=data,
        )
    if status == 403:
        return GatewayPermissionDeniedError(
            f"SkillBoss: this key is not allowed to do that (403): {detail}. Check the "
            f"model's availability for your key on {DASHBOARD_HINT}.",
            response=response,
            body=data,
        )
    if status == 404:
        return GatewayNotFoundError(
            f"SkillBoss: not found (404): {detail}. Check the model id (list_models()) "
            "and the base URL.",
            response=response,
            body=data,
        )
    return GatewayStatusError(f"SkillBoss error ({status}): {detail}", response=response, body=data)


class GatewayConnectionError(SkillBossError, openai.APIConnectionError):
    """The gateway could not be reached (DNS, refused, TLS, proxy): the message names the URL
    tried and the underlying reason, which the SDK's bare "Connection error." does not."""

    is_retryable = True


def _root_reason(error: BaseException) -> str:
    """The innermost words of the failure and its causes ("Connection refused", a DNS or TLS
    failure): async transports wrap it in "All connection attempts failed"."""
    reason, seen = "", set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and isinstance(current.errno, int) and current.errno > 0:
            reason = os.strerror(current.errno)  # asyncio words it "Connect call failed"
        elif isinstance(current, OSError) and current.strerror:
            reason = current.strerror
        elif str(current):
            reason = str(current)
        current = current.__cause__ or current.__context__
    return reason or "no reason given"


def unreachable(
    failure: BaseException, url: str, secrets: Iterable[str], *, request: Any
) -> GatewayConnectionError:
    """A transport failure before any answer (refused, DNS, TLS, proxy, a connection closed
    before the status line) as an error that says where and why."""
    reason = redact(_root_reason(failure), tuple(secrets))
    return GatewayConnectionError(
        message=(
            f"Could not reach the SkillBoss gateway at {url} ({reason}). Check the URL "
            "(SKILLBOSS_BASE_URL, or the model's base_url / api_base), the network and any "
            "proxy settings; `skillboss check` tells which."
        ),
        request=request,
    )


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
