"""Framework-neutral results: one type for a whole answer, one for a streamed chunk."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from skillboss_core.errors import ToolArgumentsError
from skillboss_core.wire import tool_call


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
        prompt = data.get("prompt_tokens") or 0
        completion = data.get("completion_tokens") or 0
        prompt_details = data.get("prompt_tokens_details") or {}
        completion_details = data.get("completion_tokens_details") or {}
        cached = prompt_details.get("cached_tokens")
        if cached is None:
            cached = data.get("prompt_cache_hit_tokens")  # DeepSeek's name
        return cls(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=data.get("total_tokens") or prompt + completion,
            cached_tokens=cached,
            reasoning_tokens=completion_details.get("reasoning_tokens"),
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
        """The arguments as JSON; an empty string means no arguments."""
        return json.loads(self.arguments) if self.arguments.strip() else {}

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
