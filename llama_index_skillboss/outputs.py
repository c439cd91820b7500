"""Gateway answers (skillboss_core results) as LlamaIndex ChatResponse / CompletionResponse.

Usage goes both in `raw["usage"]` and in `additional_kwargs` (prompt_tokens,
completion_tokens, total_tokens): TokenCountingHandler reads the first and falls back to
the second, so SkillBoss calls are counted from the gateway's numbers, not estimated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from skillboss_core import ChatResult, ToolCall, Usage
from skillboss_core.errors import ToolArgumentsError
from skillboss_core.wire.decode import finish_reason_in


def raw_usage(usage: Usage) -> dict[str, Any]:
    """The usage object as received, with the three counts the core validated (a "5" or a
    NaN on the wire must not reach TokenCountingHandler, which adds them up)."""
    return {
        **usage.raw,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def usage_kwargs(usage: Usage | None) -> dict[str, Any]:
    """Token counts under the names LlamaIndex's OpenAI integration uses."""
    if usage is None:
        return {}
    counts: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.cached_tokens is not None:
        counts["cached_tokens"] = usage.cached_tokens
    if usage.reasoning_tokens is not None:
        counts["reasoning_tokens"] = usage.reasoning_tokens
    return counts


def to_logprobs(entries: Sequence[dict[str, Any]] | None) -> list[list[LogProb]] | None:
    """One list per generated token: its top alternatives, or the token itself."""
    if not entries:
        return None
    return [
        [
            LogProb(token=alt["token"], logprob=alt["logprob"], bytes=alt.get("bytes") or [])
            for alt in (entry.get("top_logprobs") or [entry])
        ]
        for entry in entries
    ]


def tool_kwargs(call: ToolCall) -> dict[str, Any] | str:
    """Arguments as a dict when they are a complete JSON object, else the text as sent
    (mid-stream, or a cut call: LlamaIndex's ToolCallBlock takes either)."""
    try:
        return call.arguments_object()
    except ToolArgumentsError:
        return call.arguments


def message_blocks(
    content: str, reasoning: str, calls: Sequence[ToolCall], reasoning_tokens: int | None = None
) -> list[Any]:
    """The `blocks` of an assistant message: thinking, text, then one block per tool call."""
    blocks: list[Any] = []
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning, num_tokens=reasoning_tokens))
    if content or not calls:
        blocks.append(TextBlock(text=content))
    blocks.extend(
        ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=tool_kwargs(call))
        for call in calls
    )
    return blocks


def message_kwargs(calls: Sequence[ToolCall], refusal: str) -> dict[str, Any]:
    """The `additional_kwargs` of an assistant message: wire tool calls and any refusal."""
    extra: dict[str, Any] = {}
    if calls:
        extra["tool_calls"] = [call.to_wire() for call in calls]
    if refusal:
        extra["refusal"] = refusal
    return extra


def message_fields(
    content: str,
    reasoning: str,
    refusal: str,
    calls: Sequence[ToolCall],
    reasoning_tokens: int | None = None,
) -> dict[str, Any]:
    """`blocks` and `additional_kwargs` of an assistant message, streamed or not."""
    return {
        "blocks": message_blocks(content, reasoning, calls, reasoning_tokens),
        "additional_kwargs": message_kwargs(calls, refusal),
    }


def assistant_message(fields: dict[str, Any]) -> ChatMessage:
    return ChatMessage(role=MessageRole.ASSISTANT, **fields)


def chat_response(result: ChatResult) -> ChatResponse:
    """A whole answer."""
    fields = message_fields(
        result.content or "",
        result.reasoning or "",
        result.refusal or "",
        result.tool_calls,
        result.usage.reasoning_tokens if result.usage else None,
    )
    raw = {**result.raw, "usage": raw_usage(result.usage)} if result.usage else result.raw
    return ChatResponse(
        message=assistant_message(fields),
        raw=raw,
        logprobs=to_logprobs(result.logprobs),
        additional_kwargs=usage_kwargs(result.usage),
    )


def finish_reason_of(response: ChatResponse) -> str | None:
    """Why the answer ended: a stream's summary says it (`StreamState.raw`); a whole answer's
    `raw` is the completion body, read by the core's decoder."""
    raw = response.raw
    if isinstance(raw, dict) and "choices" not in raw:
        reason = raw.get("finish_reason")
        return reason if isinstance(reason, str) and reason else None
    return finish_reason_in(raw)


def completion_response(response: ChatResponse) -> CompletionResponse:
    """The completion view of a whole chat answer."""
    return CompletionResponse(
        text=response.message.content or "",
        raw=response.raw,
        logprobs=response.logprobs,
        additional_kwargs=response.additional_kwargs,
    )
