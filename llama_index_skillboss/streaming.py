"""Gateway stream chunks as LlamaIndex streaming responses, in linear time.

Every response carries its `delta` and the message so far. The text so far is kept as a
list of pieces (appending is O(1)); each response gets a lazy snapshot (a mark: how many
pieces existed then) whose fields are joined only if read, each on its own: a consumer
reading deltas (query engines) or deltas and `additional_kwargs` (chat engines, checking
for tool calls) costs O(1) per chunk. After the last chunk comes one final response with
an empty delta, the whole message built once, usage, finish reason and all logprobs (as a
non-streamed call would give).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from llama_index.core.base.llms.types import (
    ChatResponse,
    CompletionResponse,
    MessageRole,
)

from llama_index_skillboss.lazy import PartialCompletion, PartialMessage
from llama_index_skillboss.responses import (
    assistant_message,
    message_blocks,
    message_fields,
    message_kwargs,
    to_logprobs,
    usage_kwargs,
)
from skillboss_core import StreamChunk, ToolCall, ToolCallDelta, Usage

# (text pieces, reasoning pieces, refusal pieces, (id, name, argument pieces) per call).
Mark = tuple[int, int, int, tuple[tuple[str, str, int], ...]]
_ASSISTANT = {"role": MessageRole.ASSISTANT}


@dataclass(slots=True)
class _Call:
    id: str
    name: str
    arguments: list[str] = field(default_factory=list)


class StreamState:
    """What a stream has said so far, as pieces; builds responses from it."""

    __slots__ = (
        "calls",
        "finish_reason",
        "logprobs",
        "meta",
        "reasoning",
        "refusal",
        "single_call",
        "text",
        "usage",
    )

    def __init__(self, *, single_call: bool = False) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.calls: dict[int, _Call] = {}
        self.logprobs: list[dict[str, Any]] = []
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.meta: dict[str, Any] = {}
        # allow_parallel_tool_calls=False: keep the first call, drop any others.
        self.single_call = single_call

    # -- feeding -------------------------------------------------------------------------

    def add(self, chunk: StreamChunk) -> bool:
        """Record a chunk; True when it carries something a consumer should be handed."""
        said = False
        if chunk.text:
            self.text.append(chunk.text)
            said = True
        if chunk.reasoning:
            self.reasoning.append(chunk.reasoning)
            said = True
        if chunk.refusal:
            self.refusal.append(chunk.refusal)
            said = True
        if chunk.tool_calls and self._add_calls(chunk.tool_calls):
            said = True
        if chunk.logprobs:
            self.logprobs.extend(chunk.logprobs)
            said = True
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.finish_reason:
            self.finish_reason = chunk.finish_reason
        if chunk.id or chunk.model or chunk.requested_model or chunk.system_fingerprint:
            self._add_meta(chunk)
        return said

    def _add_calls(self, deltas: list[ToolCallDelta]) -> bool:
        kept = False
        for delta in deltas:
            call = self.calls.get(delta.index)
            if call is None:
                if self.single_call and self.calls:
                    continue
                call = self.calls[delta.index] = _Call(delta.id or "", delta.name or "")
            # The core gives an id or a name once, on the first delta that has it.
            call.id = call.id or delta.id or ""
            call.name = call.name or delta.name or ""
            if delta.arguments:
                call.arguments.append(delta.arguments)
            kept = True
        return kept

    def _add_meta(self, chunk: StreamChunk) -> None:
        for name in ("id", "model", "system_fingerprint", "service_tier", "requested_model"):
            value = getattr(chunk, name)
            if value:
                self.meta.setdefault(name, value)

    # -- reading ---------------------------------------------------------------------------

    def mark(self) -> Mark:
        calls = (
            tuple((c.id, c.name, len(c.arguments)) for c in self.calls.values())
            if self.calls
            else ()
        )
        return (len(self.text), len(self.reasoning), len(self.refusal), calls)

    def text_at(self, pieces: int) -> str:
        return "".join(self.text[:pieces])

    def calls_at(self, mark: Mark) -> list[ToolCall]:
        """The tool calls as they stood at `mark` (calls begun later are not there yet)."""
        return [
            ToolCall(
                id=call_id or f"call_{index}",
                name=name,
                arguments="".join(call.arguments[:count]),
                index=index,
            )
            for (index, call), (call_id, name, count) in zip(
                self.calls.items(), mark[3], strict=False
            )
        ]

    def blocks_at(self, mark: Mark, reasoning_tokens: int | None = None) -> list[Any]:
        texts, reasonings, _, _ = mark
        return message_blocks(
            self.text_at(texts),
            "".join(self.reasoning[:reasonings]),
            self.calls_at(mark),
            reasoning_tokens,
        )

    def kwargs_at(self, mark: Mark) -> dict[str, Any]:
        return message_kwargs(self.calls_at(mark), "".join(self.refusal[: mark[2]]))

    def fields_at(self, mark: Mark, reasoning_tokens: int | None = None) -> dict[str, Any]:
        """The message's blocks and additional_kwargs as they stood at `mark`."""
        texts, reasonings, refusals, _ = mark
        return message_fields(
            self.text_at(texts),
            "".join(self.reasoning[:reasonings]),
            "".join(self.refusal[:refusals]),
            self.calls_at(mark),
            reasoning_tokens,
        )

    def raw(self) -> dict[str, Any]:
        """A small summary of the stream; `usage` is where TokenCountingHandler looks."""
        usage = (self.usage.raw or usage_kwargs(self.usage)) if self.usage else None
        return {**self.meta, "finish_reason": self.finish_reason, "usage": usage}

    # -- responses -------------------------------------------------------------------------

    def chat_chunk(self, chunk: StreamChunk) -> ChatResponse:
        mark = self.mark()
        message = PartialMessage.deferred(
            dict(_ASSISTANT),
            {
                "blocks": partial(self.blocks_at, mark),
                "additional_kwargs": partial(self.kwargs_at, mark),
            },
        )
        # model_construct: validating would run ChatMessage's after-validator, which reads
        # additional_kwargs and so would build that field at every chunk.
        return ChatResponse.model_construct(
            message=message,
            raw=None,
            delta=chunk.text,
            logprobs=to_logprobs(chunk.logprobs),
            additional_kwargs={"thinking_delta": chunk.reasoning} if chunk.reasoning else {},
        )

    def chat_final(self) -> ChatResponse:
        reasoning_tokens = self.usage.reasoning_tokens if self.usage else None
        return ChatResponse(
            message=assistant_message(self.fields_at(self.mark(), reasoning_tokens)),
            delta="",
            raw=self.raw(),
            logprobs=to_logprobs(self.logprobs),
            additional_kwargs=usage_kwargs(self.usage),
        )

    def completion_chunk(self, chunk: StreamChunk) -> CompletionResponse:
        ready = {
            "additional_kwargs": {"thinking_delta": chunk.reasoning} if chunk.reasoning else {},
            "raw": None,
            "logprobs": to_logprobs(chunk.logprobs),
            "delta": chunk.text,
        }
        return PartialCompletion.deferred(ready, {"text": partial(self.text_at, len(self.text))})

    def completion_final(self) -> CompletionResponse:
        return CompletionResponse(
            text=self.text_at(len(self.text)),
            delta="",
            raw=self.raw(),
            logprobs=to_logprobs(self.logprobs),
            additional_kwargs=usage_kwargs(self.usage),
        )


def is_final(response: ChatResponse) -> bool:
    """Whether a streamed response is the closing one (whole message, usage, raw summary)."""
    return isinstance(response.raw, dict) and "finish_reason" in response.raw


def chat_stream(
    chunks: Iterator[StreamChunk], *, single_call: bool
) -> Generator[ChatResponse, None, None]:
    state = StreamState(single_call=single_call)
    try:
        for chunk in chunks:
            if state.add(chunk):
                yield state.chat_chunk(chunk)
    finally:
        _close(chunks)
    yield state.chat_final()


async def achat_stream(
    chunks: AsyncIterator[StreamChunk], *, single_call: bool
) -> AsyncGenerator[ChatResponse, None]:
    state = StreamState(single_call=single_call)
    try:
        async for chunk in chunks:
            if state.add(chunk):
                yield state.chat_chunk(chunk)
    finally:
        await _aclose(chunks)
    yield state.chat_final()


def completion_stream(
    chunks: Iterator[StreamChunk],
) -> Generator[CompletionResponse, None, None]:
    state = StreamState()
    try:
        for chunk in chunks:
            if state.add(chunk):
                yield state.completion_chunk(chunk)
    finally:
        _close(chunks)
    yield state.completion_final()


async def acompletion_stream(
    chunks: AsyncIterator[StreamChunk],
) -> AsyncGenerator[CompletionResponse, None]:
    state = StreamState()
    try:
        async for chunk in chunks:
            if state.add(chunk):
                yield state.completion_chunk(chunk)
    finally:
        await _aclose(chunks)
    yield state.completion_final()


def _close(chunks: Iterator[StreamChunk]) -> None:
    """Release the HTTP response now when the consumer stops early, not at GC time."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


async def _aclose(chunks: AsyncIterator[StreamChunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()
