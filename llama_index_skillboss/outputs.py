"""Gateway answers (skillboss_core results) as LlamaIndex ChatResponse / CompletionResponse.

Usage goes both in `raw["usage"]` and in `additional_kwargs` (prompt_tokens,
completion_tokens, total_tokens): TokenCountingHandler reads the first and falls back to
the second, so SkillBoss calls are counted from the gateway's numbers, not estimated.
What the call cost and who answered it (`call_kwargs`) go in `additional_kwargs` too, where
`CostHandler` and user code read them on every path, streamed or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from skillboss_core.security.redact import redact
from skillboss_core.wire.cost import Cost
from skillboss_core.wire.decode import finish_reason_in
from skillboss_core.wire.provenance import request_id_of, vendor_of


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


def call_kwargs(
    asked: str | None,
    answered: str | None,
    cost: Cost | None,
    headers: Mapping[str, str] | None,
    *,
    show_headers: Sequence[str] | None = None,
) -> dict[str, Any]:
    """What a gateway call cost and who answered it: `cost` (USD) and `cost_source` only
    when the cost is known (never a guess), `request_id` (for a support ticket), `model` and
    `vendor` of the model that answered (after a fallback, not the one asked first), and the
    response `headers` when `show_headers` is given: the values to scrub from them (the key,
    secret header values: a proxy may echo them, and responses get logged and traced).
    Nothing when no gateway call made the answer (`asked` None: a replayed stream)."""
    if asked is None:
        return {}
    model = answered or asked
    found: dict[str, Any] = {
        "cost": cost.usd if cost is not None else None,
        "cost_source": cost.source if cost is not None else None,
        "request_id": request_id_of(headers),
        "vendor": vendor_of(model) or vendor_of(asked),
        "model": model,
    }
    extra = {name: value for name, value in found.items() if value is not None}
    if show_headers is not None and headers is not None:
        extra["headers"] = redact(dict(headers.items()), show_headers)
    return extra


def response_kwargs(usage: Usage | None, call: dict[str, Any]) -> dict[str, Any]:
    """A response's `additional_kwargs`: the token counts, then the call's facts where the
    counts did not already name them."""
    extra = usage_kwargs(usage)
    for name, value in call.items():
        extra.setdefault(name, value)
    return extra


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


def chat_response(result: ChatResult, *, show_headers: Sequence[str] | None = None) -> ChatResponse:
    """A whole answer, with what it cost and who answered it."""
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
        additional_kwargs=response_kwargs(
            result.usage,
            call_kwargs(
                result.requested_model,
                result.model,
                result.cost,
                result.headers,
                show_headers=show_headers,
            ),
        ),
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
    """The completion view of a whole chat answer (the same `additional_kwargs`: usage,
    cost and who answered)."""
    return CompletionResponse(
        text=response.message.content or "",
        raw=response.raw,
        logprobs=response.logprobs,
        additional_kwargs=response.additional_kwargs,
    )
