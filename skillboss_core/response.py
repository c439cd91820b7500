"""Reading a non-streamed chat completion body into a ChatResult."""

from __future__ import annotations

import json
from typing import Any

from skillboss_core.errors import InvalidResponseError, StreamError
from skillboss_core.results import ChatResult, ToolCall, Usage
from skillboss_core.wire import default_call_id


def reasoning_of(message: dict[str, Any]) -> str | None:
    """DeepSeek says `reasoning_content`; OpenRouter and Groq say `reasoning`."""
    value = message.get("reasoning_content")
    if value is None:
        value = message.get("reasoning")
    return value if isinstance(value, str) and value else None


def parse_completion_bytes(content: bytes) -> ChatResult:
    """Parse a response body (leading keep-alive whitespace allowed) into a ChatResult."""
    try:
        data = json.loads(content)
    except ValueError:
        preview = content[:120].decode("utf-8", "replace")
        raise InvalidResponseError(
            f"The gateway answered 200 with a body that is not JSON: {preview!r}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidResponseError("The gateway answered 200 with JSON that is not an object")
    return parse_completion(data)


def parse_completion(data: dict[str, Any]) -> ChatResult:
    """Map a chat.completion JSON object to a ChatResult (first choice)."""
    if "error" in data and "choices" not in data:
        error = data["error"]
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise StreamError(f"The gateway reported an error: {message}", body=data)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise InvalidResponseError("The gateway answered without any choices")
    choice = choices[0]
    message = choice.get("message") or {}
    tool_calls = [
        ToolCall(
            id=call.get("id") or default_call_id(position),
            name=(call.get("function") or {}).get("name") or "",
            arguments=(call.get("function") or {}).get("arguments") or "",
            index=position,
        )
        for position, call in enumerate(message.get("tool_calls") or [])
    ]
    logprobs = choice.get("logprobs")
    usage = data.get("usage")
    return ChatResult(
        id=data.get("id"),
        model=data.get("model"),
        content=message.get("content"),
        reasoning=reasoning_of(message),
        refusal=message.get("refusal"),
        tool_calls=tool_calls,
        finish_reason=choice.get("finish_reason"),
        usage=Usage.from_json(usage) if isinstance(usage, dict) else None,
        logprobs=logprobs.get("content") if isinstance(logprobs, dict) else None,
        system_fingerprint=data.get("system_fingerprint"),
        service_tier=data.get("service_tier"),
        created=data.get("created"),
        raw=data,
    )
