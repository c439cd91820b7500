"""From an HTTP outcome to the typed error that says what to do next.

A non-2xx answer becomes the error for its status (retryable as the one retry policy says,
with the server's wait hint), a context-window overflow is recognised whatever its status or
wording, and a failure before any answer names the URL tried and the root reason. The key
and bearer tokens are redacted from everything kept: a server or proxy may echo them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Any

from skillboss_core.errors import (
    GatewayAuthenticationError,
    GatewayBadRequestError,
    GatewayCapacityError,
    GatewayConnectionError,
    GatewayContextOverflowError,
    GatewayNotFoundError,
    GatewayPermissionDeniedError,
    GatewayRateLimitError,
    GatewayServerError,
    GatewayStatusError,
    GatewayUnprocessableEntityError,
    InsufficientCreditsError,
    SkillBossError,
)
from skillboss_core.security.help_texts import DASHBOARD_HINT, WHERE_TO_GET_A_KEY, WHOLESALE_ONLY
from skillboss_core.security.redact import redact
from skillboss_core.transport.retries import retry_after_seconds, retryable_status


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
    # mutation: equivalent, "UTF-8": codec names ignore case.
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
    retry policy says (`transport.retries`). `secrets` (the key the request carried) and
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
