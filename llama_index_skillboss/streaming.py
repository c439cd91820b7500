"""Gateway stream chunks as LlamaIndex streaming responses, in linear time.

Every response carries its `delta` and the message so far. The answer itself lives once, in
the core's accumulator (`ChatStream.answer`, lists of pieces that only grow); each response
gets a lazy snapshot (a mark: how many pieces the chunks so far had delivered) whose fields
are joined only if read, each on its own: a consumer reading deltas (query engines) or
deltas and `additional_kwargs` (chat engines, checking for tool calls) costs O(1) per chunk.
After the last chunk comes one final response with an empty delta, the whole message built
once, usage, finish reason, all logprobs, and what the call cost and who answered it (as a
non-streamed call would give): the cost is known only once the usage has arrived, and the
final response is the one LlamaIndex's callbacks hand to handlers at the stream's end.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Sequence
from functools import partial
from typing import Any

from llama_index.core.base.llms.types import (
    ChatResponse,
    CompletionResponse,
    MessageRole,
)

from llama_index_skillboss.lazy import PartialCompletion, PartialMessage
from llama_index_skillboss.outputs import (
    assistant_message,
    call_kwargs,
    message_blocks,
    message_fields,
    message_kwargs,
    raw_usage,
    response_kwargs,
    to_logprobs,
)
from skillboss_core import ChatStream, StreamChunk, ToolCall, ToolCallDelta
from skillboss_core.wire.builders import default_call_id
from skillboss_core.wire.stream import AsyncChatStream, StreamAccumulator

# (text pieces, reasoning pieces, refusal pieces, (index, id, name, argument pieces) per call):
# how much of the core's accumulator a response had seen when it was made.
Mark = tuple[int, int, int, tuple[tuple[int, str, str, int], ...]]
_ASSISTANT = {"role": MessageRole.ASSISTANT}


class StreamState:
    """Builds LlamaIndex responses over the core's one accumulator (`stream.answer`).

    The text, reasoning, refusal and argument pieces live only in the accumulator; this
    keeps how many of each the chunks so far have delivered (the accumulator may already
    hold pieces of chunks not handed out yet) and the ids and names of the calls.
    """

    __slots__ = ("calls", "reasoning", "refusal", "show_headers", "stream", "text")

    def __init__(
        self, stream: ChatStream | AsyncChatStream, *, show_headers: Sequence[str] | None = None
    ) -> None:
        self.stream = stream
        self.text = 0
        self.reasoning = 0
        self.refusal = 0
        # index -> [id, name, argument pieces delivered]
        self.calls: dict[int, list[Any]] = {}
        self.show_headers = show_headers

    @property
    def answer(self) -> StreamAccumulator:
        return self.stream.answer

    # -- feeding -------------------------------------------------------------------------

    def add(self, chunk: StreamChunk) -> bool:
        """Count a chunk; True when it carries something a consumer should be handed."""
        said = False
        if chunk.text:
            self.text += 1
            said = True
        if chunk.reasoning:
            self.reasoning += 1
            said = True
        if chunk.refusal:
            self.refusal += 1
            said = True
        if chunk.tool_calls:
            self._add_calls(chunk.tool_calls)
            said = True
        if chunk.logprobs:
            said = True
        return said

    def _add_calls(self, deltas: list[ToolCallDelta]) -> None:
        for delta in deltas:
            call = self.calls.get(delta.index)
            if call is None:
                call = self.calls[delta.index] = ["", "", 0]
            # The core gives an id or a name once, on the first delta that has it.
            call[0] = call[0] or delta.id or ""
            call[1] = call[1] or delta.name or ""
            if delta.arguments:
                call[2] += 1

    # -- reading ---------------------------------------------------------------------------

    def mark(self) -> Mark:
        calls = (
            tuple((index, c[0], c[1], c[2]) for index, c in self.calls.items())
            if self.calls
            else ()
        )
        return (self.text, self.reasoning, self.refusal, calls)

    def text_at(self, pieces: int) -> str:
        return "".join(self.answer.text_pieces[:pieces])

    def calls_at(self, mark: Mark) -> list[ToolCall]:
        """The tool calls as they stood at `mark` (calls begun later are not there yet)."""
        calls = self.answer.calls
        return [
            ToolCall(
                id=call_id or default_call_id(index),
                name=name,
                arguments="".join(calls[index].arguments[:count]),
                index=index,
            )
            for index, call_id, name, count in mark[3]
        ]

    def blocks_at(self, mark: Mark, reasoning_tokens: int | None = None) -> list[Any]:
        texts, reasonings, _, _ = mark
        return message_blocks(
            self.text_at(texts),
            "".join(self.answer.reasoning_pieces[:reasonings]),
            self.calls_at(mark),
            reasoning_tokens,
        )

    def kwargs_at(self, mark: Mark) -> dict[str, Any]:
        refusal = "".join(self.answer.refusal_pieces[: mark[2]])
        return message_kwargs(self.calls_at(mark), refusal)

    def fields_at(self, mark: Mark, reasoning_tokens: int | None = None) -> dict[str, Any]:
        """The message's blocks and additional_kwargs as they stood at `mark`."""
        texts, reasonings, refusals, _ = mark
        answer = self.answer
        return message_fields(
            self.text_at(texts),
            "".join(answer.reasoning_pieces[:reasonings]),
            "".join(answer.refusal_pieces[:refusals]),
            self.calls_at(mark),
            reasoning_tokens,
        )

    def raw(self) -> dict[str, Any]:
        """A small summary of the stream; `usage` is where TokenCountingHandler looks."""
        answer = self.answer
        usage = raw_usage(answer.usage) if answer.usage else None
        meta = {
            "id": answer.id,
            "model": answer.model,
            "system_fingerprint": answer.system_fingerprint,
            "service_tier": answer.service_tier,
            "requested_model": self.stream.requested_model,
        }
        return {
            **{name: value for name, value in meta.items() if value},
            "finish_reason": answer.finish_reason,
            "usage": usage,
        }

    def final_kwargs(self) -> dict[str, Any]:
        """The closing response's `additional_kwargs`: usage, cost and who answered."""
        answer = self.answer
        call = call_kwargs(
            self.stream.requested_model,
            answer.model,
            answer.cost,
            answer.headers,
            show_headers=self.show_headers,
        )
        return response_kwargs(answer.usage, call)

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
        usage = self.answer.usage
        reasoning_tokens = usage.reasoning_tokens if usage else None
        return ChatResponse(
            message=assistant_message(self.fields_at(self.mark(), reasoning_tokens)),
            delta="",
            raw=self.raw(),
            logprobs=to_logprobs(self.answer.logprobs),
            additional_kwargs=self.final_kwargs(),
        )

    def completion_chunk(self, chunk: StreamChunk) -> CompletionResponse:
        ready = {
            "additional_kwargs": {"thinking_delta": chunk.reasoning} if chunk.reasoning else {},
            "raw": None,
            "logprobs": to_logprobs(chunk.logprobs),
            "delta": chunk.text,
        }
        return PartialCompletion.deferred(ready, {"text": partial(self.text_at, self.text)})

    def completion_final(self) -> CompletionResponse:
        return CompletionResponse(
            text=self.text_at(self.text),
            delta="",
            raw=self.raw(),
            logprobs=to_logprobs(self.answer.logprobs),
            additional_kwargs=self.final_kwargs(),
        )


def chat_stream(
    chunks: ChatStream, *, show_headers: Sequence[str] | None = None
) -> Generator[ChatResponse, None, None]:
    state = StreamState(chunks, show_headers=show_headers)
    try:
        for chunk in chunks:
            if state.add(chunk):
                yield state.chat_chunk(chunk)
    finally:
        _close(chunks)
    yield state.chat_final()


async def achat_stream(
    chunks: AsyncChatStream, *, show_headers: Sequence[str] | None = None
) -> AsyncGenerator[ChatResponse, None]:
    state = StreamState(chunks, show_headers=show_headers)
    try:
        async for chunk in chunks:
            if state.add(chunk):
                yield state.chat_chunk(chunk)
    finally:
        await _aclose(chunks)
    yield state.chat_final()


def completion_stream(
    chunks: ChatStream, *, show_headers: Sequence[str] | None = None
) -> Generator[CompletionResponse, None, None]:
    state = StreamState(chunks, show_headers=show_headers)
    try:
        for chunk in chunks:
            if state.add(chunk):
                yield state.completion_chunk(chunk)
    finally:
        _close(chunks)
    yield state.completion_final()


async def acompletion_stream(
    chunks: AsyncChatStream, *, show_headers: Sequence[str] | None = None
) -> AsyncGenerator[CompletionResponse, None]:
    state = StreamState(chunks, show_headers=show_headers)
    try:
        async for chunk in chunks:
            if state.add(chunk):
                yield state.completion_chunk(chunk)
    finally:
        await _aclose(chunks)
    yield state.completion_final()


def _close(chunks: ChatStream) -> None:
    """Release the HTTP response now when the consumer stops early, not at GC time."""
    chunks.close()


async def _aclose(chunks: AsyncChatStream) -> None:
    await chunks.aclose()
