"""Framework-neutral results: one type for a whole answer, one for a streamed chunk."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skillboss_core.errors import ToolArgumentsError
from skillboss_core.wire.builders import tool_call

if TYPE_CHECKING:
    from skillboss_core.wire.cost import Cost

logger = logging.getLogger("skillboss_core")
# Token figures longer than this are not counts (and int() refuses > 4,300 digits anyway).
_MAX_DIGITS = 18
_warned_about_usage = False


def _warn_bad_figure(name: str, value: Any) -> None:
    """Once per process: a gateway sending bad figures would otherwise flood the log."""
    global _warned_about_usage
    if not _warned_about_usage:
        _warned_about_usage = True
        logger.warning(
            "The gateway reported token usage that is not a whole number (%s=%.60r); "
            "it was counted as 0 (or dropped). Usage.raw keeps what was received.",
            name,
            value,
        )


def token_count(data: Mapping[str, Any], name: str) -> int | None:
    """A token figure as an int: whole floats and digit strings are converted; anything
    else (NaN, infinities, negatives, bools, objects) is dropped, so it never costs the
    answer nor reaches a framework's usage model. None when absent or dropped."""
    value = data.get(name)
    if value is None:
        return None
    count: int | None = None
    if type(value) is int:
        count = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        count = int(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        count = int(value) if len(value) <= _MAX_DIGITS else None
    if count is None or count < 0:
        _warn_bad_figure(name, value)
        return None
    return count


def _details(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None or isinstance(value, dict):
        return value or {}
    _warn_bad_figure(name, value)
    return {}


@dataclass(slots=True)
class Usage:
    """Token counts; the detail fields are None when the gateway did not report them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Usage:
        """Counts from the wire, always ints (see token_count); `raw` is kept as received."""
        prompt = token_count(data, "prompt_tokens") or 0
        completion = token_count(data, "completion_tokens") or 0
        cached = token_count(_details(data, "prompt_tokens_details"), "cached_tokens")
        if cached is None:
            cached = token_count(data, "prompt_cache_hit_tokens")  # DeepSeek's name
        completion_details = _details(data, "completion_tokens_details")
        return cls(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=token_count(data, "total_tokens") or prompt + completion,
            cached_tokens=cached,
            reasoning_tokens=token_count(completion_details, "reasoning_tokens"),
            raw=data,
        )


@dataclass(slots=True)
class ToolCall:
    """One complete tool call; `arguments` is the JSON text exactly as the model wrote it."""

    id: str
    name: str
    arguments: str
    index: int = 0

    def parsed_arguments(self) -> Any:
        """The arguments as JSON; an empty string means no arguments. JSON nested too deeply
        for the parser is a ToolArgumentsError (a ValueError), like any malformed JSON."""
        if not self.arguments.strip():
            return {}
        try:
            return json.loads(self.arguments)
        except RecursionError:
            raise ToolArgumentsError("arguments are JSON nested too deeply to read") from None

    def arguments_object(self) -> dict[str, Any]:
        """The arguments as the JSON object a tool is called with, or ToolArgumentsError
        saying why they are not one (cut or malformed JSON, or another JSON type)."""
        try:
            parsed = self.parsed_arguments()
        except ValueError as exc:
            raise ToolArgumentsError(f"arguments are not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise ToolArgumentsError(
                f"arguments must be a JSON object, got {type(parsed).__name__}"
            )
        return parsed

    def to_wire(self) -> dict[str, Any]:
        return tool_call(self.id, self.name, self.arguments)


@dataclass(slots=True)
class ToolCallDelta:
    """A piece of a streamed tool call. `id` and `name` are set only on a call's first piece."""

    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(slots=True)
class ChatResult:
    """A whole (non-streamed, or fully accumulated) answer."""

    id: str | None
    model: str | None
    content: str | None
    reasoning: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    logprobs: list[dict[str, Any]] | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    created: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # The model id this answer was asked of (differs from body["model"] after a fallback).
    requested_model: str | None = None
    # What it cost (the gateway's figure, else an estimate; None when neither is known).
    cost: Cost | None = None
    # The answer's HTTP headers (request id, rate-limit and credit headers), as received.
    headers: Mapping[str, str] | None = None


@dataclass(slots=True)
class StreamChunk:
    """What one SSE event added. Empty strings mean "nothing of that kind in this event".

    `id`, `model`, `system_fingerprint` and `service_tier` are set on the first chunk that
    carries them and None afterwards, so adapters can attach them exactly once per stream.
    """

    text: str = ""
    reasoning: str = ""
    refusal: str = ""
    tool_calls: list[ToolCallDelta] | None = None
    logprobs: list[dict[str, Any]] | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    id: str | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    # Set on the first chunk only: the model id this stream was asked of (see fallbacks).
    requested_model: str | None = None
    # Set on the first chunk only: the answer's HTTP headers, as received.
    headers: Mapping[str, str] | None = None
    # Set on the chunk that carries `usage`: what the call cost (see ChatResult.cost).
    cost: Cost | None = None
