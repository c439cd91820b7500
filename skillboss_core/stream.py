"""One pass over SSE bytes: decode events, turn each into a StreamChunk, accumulate the answer.

This is the hot path of every streamed call, so it works on bytes, builds no throw-away
model objects, keeps text as lists of pieces (no quadratic concatenation) and never keeps
the chunks themselves.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from skillboss_core.errors import IncompleteStreamError, StreamError
from skillboss_core.results import ChatResult, StreamChunk, ToolCall, ToolCallDelta, Usage
from skillboss_core.wire import default_call_id

_DONE = b"[DONE]"
# json.loads(bytes) re-detects the encoding per call; SSE is UTF-8, so decode directly.
_decode_json = json.JSONDecoder().decode


class SSEDecoder:
    """Incremental Server-Sent Events decoder: feed bytes, get (event, data) pairs.

    Lines are split on bytes, so a multi-byte character cut between two network reads is
    decoded whole. Comment lines (`: keep-alive`, `: OPENROUTER PROCESSING`) are skipped.
    """

    __slots__ = ("_buffer", "_data", "_event")

    def __init__(self) -> None:
        self._buffer = b""
        self._event: str | None = None
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[tuple[str | None, bytes]]:
        # Fast path: servers flush one `data: ...\n\n` event per network read.
        if (
            not self._buffer
            and not self._data
            and self._event is None
            and chunk.startswith(b"data:")
            and chunk.find(b"\n") == len(chunk) - 2
            and chunk.endswith(b"\n")
        ):
            value = chunk[5:-2]
            if value.endswith(b"\r"):
                value = value[:-1]
            return [(None, value[1:] if value.startswith(b" ") else value)]
        buffer = self._buffer + chunk if self._buffer else chunk
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        events: list[tuple[str | None, bytes]] = []
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if self._data:
                    events.append((self._event, b"\n".join(self._data)))
                    self._data = []
                self._event = None
                continue
            if line.startswith(b"data:"):
                value = line[5:]
                self._data.append(value[1:] if value.startswith(b" ") else value)
            elif line.startswith(b"event:"):
                self._event = line[6:].strip().decode("utf-8", "replace")
            # comments (":..."), `id:` and `retry:` carry nothing for chat completions
        return events

    def close(self) -> list[tuple[str | None, bytes]]:
        """Flush an event the server did not terminate with a blank line."""
        events = self.feed(b"\n\n") if self._buffer else []
        if self._data:
            events.append((self._event, b"\n".join(self._data)))
            self._data = []
        return events


def _is_high_surrogate(text: str) -> bool:
    return bool(text) and "\ud800" <= text[-1] <= "\udbff"


def _join_surrogates(text: str) -> str:
    """Re-pair a surrogate pair that arrived split across two JSON deltas."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16")


@dataclass(slots=True)
class _Carry:
    """Holds a trailing half of a surrogate pair until its other half arrives."""

    pending: str = ""

    def take(self, piece: str) -> str:
        if self.pending:
            piece = _join_surrogates(self.pending + piece)
            self.pending = ""
        if _is_high_surrogate(piece):
            self.pending = piece[-1]
            piece = piece[:-1]
        return piece


@dataclass(slots=True)
class CallSoFar:
    """One tool call as streamed so far: id and name once known, argument pieces in order."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    carry: _Carry = field(default_factory=_Carry)


def _stream_error(payload: Any, raw: bytes) -> StreamError:
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        message = error.get("message") or json.dumps(error)
        code = error.get("code")
    else:
        message, code = (str(error) if error else raw.decode("utf-8", "replace")), None
    return StreamError(
        f"The provider sent an error in the middle of the stream: {message}",
        body=payload,
        code=str(code) if code is not None else None,
    )


class StreamAccumulator:
    """Turns SSE events into StreamChunks and keeps what is needed for the whole answer.

    The one accumulator of a streamed answer: adapters read the answer so far from its
    piece lists (which only grow, so "the first n pieces" is a stable snapshot) instead of
    keeping copies of their own.
    """

    def __init__(self) -> None:
        self.decoder = SSEDecoder()
        self.text_pieces: list[str] = []
        self.reasoning_pieces: list[str] = []
        self.refusal_pieces: list[str] = []
        self.logprobs: list[dict[str, Any]] = []
        self.calls: dict[int, CallSoFar] = {}
        self._text_carry = _Carry()
        self._reasoning_carry = _Carry()
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.id: str | None = None
        self.model: str | None = None
        self.system_fingerprint: str | None = None
        self.service_tier: str | None = None
        self.created: int | None = None
        self.done = False
        self.chunks_seen = 0

    # -- feeding -------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[StreamChunk]:
        """Chunks for the events completed by these bytes (possibly none)."""
        out: list[StreamChunk] = []
        for event, payload in self.decoder.feed(data):
            chunk = self.add_event(event, payload)
            if chunk is not None:
                out.append(chunk)
        return out

    def close(self) -> list[StreamChunk]:
        """End of the byte stream: flush, then emit usage once; raise if the answer is cut."""
        out: list[StreamChunk] = []
        for event, payload in self.decoder.close():
            chunk = self.add_event(event, payload)
            if chunk is not None:
                out.append(chunk)
        if self.finish_reason is None:
            raise IncompleteStreamError(
                "The stream ended before the model finished (no finish_reason"
                + ("" if self.done else " and no [DONE]")
                + "); the answer would be truncated.",
                partial_text="".join(self.text_pieces),
            )
        if self.usage is not None:
            out.append(StreamChunk(usage=self.usage))
        return out

    def add_event(self, event: str | None, payload: bytes) -> StreamChunk | None:
        if payload == _DONE:
            self.done = True
            return None
        try:
            data = _decode_json(payload.decode("utf-8", "surrogatepass"))
        except ValueError:
            if event == "error":
                raise _stream_error(None, payload) from None
            raise StreamError(
                f"The stream carried data that is not JSON: {payload[:120]!r}", body=None
            ) from None
        if event == "error" or (
            isinstance(data, dict) and "error" in data and not data.get("choices")
        ):
            raise _stream_error(data, payload)
        return self.add_json(data)

    def add_json(self, data: dict[str, Any]) -> StreamChunk | None:
        """One parsed chunk object; usage is held back and emitted once by `close`."""
        self.chunks_seen += 1
        chunk = StreamChunk()
        has_meta = self._take_meta(data, chunk)
        usage = data.get("usage")
        if usage is None:
            extra = data.get("x_groq")
            usage = extra.get("usage") if isinstance(extra, dict) else None
        if isinstance(usage, dict):
            self.usage = Usage.from_json(usage)
        choices = data.get("choices")
        if not choices:
            return chunk if has_meta else None
        choice = choices[0]
        if choice.get("index", 0) != 0 or len(choices) > 1:
            # n > 1 streams interleave their choices: read the first one only, as the
            # non-streamed path does.
            choice = next((c for c in choices if c.get("index", 0) == 0), None)
            if choice is None:
                return chunk if has_meta else None
        delta = choice.get("delta") or {}
        text = delta.get("content")
        # A piece is kept only when non-empty after re-pairing surrogates, so each piece
        # in text_pieces is exactly one chunk's `text` (adapters count pieces by chunks).
        if text and (text := self._text_carry.take(text)):
            self.text_pieces.append(text)
            chunk.text = text
        reasoning = delta.get("reasoning_content")
        if reasoning is None:
            reasoning = delta.get("reasoning")
        if (
            reasoning
            and isinstance(reasoning, str)
            and (reasoning := self._reasoning_carry.take(reasoning))
        ):
            self.reasoning_pieces.append(reasoning)
            chunk.reasoning = reasoning
        refusal = delta.get("refusal")
        if refusal:
            self.refusal_pieces.append(refusal)
            chunk.refusal = refusal
        calls = delta.get("tool_calls")
        if calls:
            chunk.tool_calls = [self._add_call_delta(call) for call in calls]
        logprobs = choice.get("logprobs")
        if logprobs:
            content = logprobs.get("content")
            if content:
                self.logprobs.extend(content)
                chunk.logprobs = content
        finish = choice.get("finish_reason")
        if finish:
            self.finish_reason = finish
            chunk.finish_reason = finish
        return chunk

    def _take_meta(self, data: dict[str, Any], chunk: StreamChunk) -> bool:
        found = False
        if self.id is None and data.get("id"):
            self.id = chunk.id = data["id"]
            self.created = data.get("created")
            found = True
        if self.model is None and data.get("model"):
            self.model = chunk.model = data["model"]
            found = True
        if self.system_fingerprint is None and data.get("system_fingerprint"):
            self.system_fingerprint = chunk.system_fingerprint = data["system_fingerprint"]
            found = True
        if self.service_tier is None and data.get("service_tier"):
            self.service_tier = chunk.service_tier = data["service_tier"]
            found = True
        return found

    def _add_call_delta(self, call: dict[str, Any]) -> ToolCallDelta:
        index = self._index_of(call)
        state = self.calls.get(index)
        if state is None:
            state = self.calls[index] = CallSoFar()
        function = call.get("function") or {}
        new_id = new_name = None
        if not state.id and call.get("id"):
            state.id = new_id = call["id"]
        if not state.name and function.get("name"):
            state.name = new_name = function["name"]
        arguments = function.get("arguments") or ""
        if arguments and (arguments := state.carry.take(arguments)):
            state.arguments.append(arguments)
        return ToolCallDelta(index=index, id=new_id, name=new_name, arguments=arguments)

    def _index_of(self, call: dict[str, Any]) -> int:
        index = call.get("index")
        if isinstance(index, int):
            return index
        # Some servers omit the index: match by id, else a new id opens a new call.
        call_id = call.get("id")
        for known, state in self.calls.items():
            if call_id and state.id == call_id:
                return known
        if call_id or not self.calls:
            return len(self.calls)
        return max(self.calls)

    def take_result(self, result: ChatResult) -> list[StreamChunk]:
        """A whole answer from a server that ignored `stream: true`, held like a stream's."""
        chunks = chunks_from_result(result)
        first = chunks[0]
        if first.text:
            self.text_pieces.append(first.text)
        if first.reasoning:
            self.reasoning_pieces.append(first.reasoning)
        if first.refusal:
            self.refusal_pieces.append(first.refusal)
        for call in result.tool_calls:
            self.calls[call.index] = CallSoFar(call.id, call.name, [call.arguments])
        self.logprobs.extend(result.logprobs or [])
        self.finish_reason = first.finish_reason
        self.usage = result.usage
        self.id, self.model, self.created = result.id, result.model, result.created
        self.system_fingerprint, self.service_tier = result.system_fingerprint, result.service_tier
        self.done = True
        return chunks

    # -- reading the accumulated answer ----------------------------------------------------

    @property
    def text(self) -> str:
        return "".join(self.text_pieces)

    @property
    def refusal(self) -> str | None:
        return "".join(self.refusal_pieces) or None

    def tool_calls(self) -> list[ToolCall]:
        """The calls so far, complete or not, in index order."""
        return [
            ToolCall(
                id=state.id or default_call_id(index),
                name=state.name,
                arguments="".join(state.arguments),
                index=index,
            )
            for index, state in sorted(self.calls.items())
        ]

    def result(self) -> ChatResult:
        """The whole answer as if it had not been streamed."""
        return ChatResult(
            id=self.id,
            model=self.model,
            content="".join(self.text_pieces) if self.text_pieces or not self.calls else None,
            reasoning="".join(self.reasoning_pieces) or None,
            refusal="".join(self.refusal_pieces) or None,
            tool_calls=self.tool_calls(),
            finish_reason=self.finish_reason,
            usage=self.usage,
            logprobs=self.logprobs or None,
            system_fingerprint=self.system_fingerprint,
            service_tier=self.service_tier,
            created=self.created,
        )


class StreamSource:
    """Which attempt a stream's chunks come from: its accumulator and the model asked.

    Shared by a ChatStream and the generator that feeds it, so the generator never holds
    the stream itself (no reference cycle: dropping a stream closes its response at once).
    """

    __slots__ = ("answer", "model")

    def __init__(self) -> None:
        self.answer = StreamAccumulator()
        self.model: str | None = None


class _StreamView:
    """What both stream twins show besides their chunks: the answer so far and its model."""

    __slots__ = ("source",)

    def __init__(self, source: StreamSource | None = None) -> None:
        self.source = source if source is not None else StreamSource()

    @property
    def answer(self) -> StreamAccumulator:
        return self.source.answer

    @property
    def requested_model(self) -> str | None:
        return self.source.model


class ChatStream(_StreamView):
    """The chunks of one streamed answer as they arrive, and `answer`, the one accumulator
    holding the answer so far (the final answer once the chunks are exhausted).

    `answer` changes only before the first chunk (when a fallback model takes over);
    `requested_model` is the model the chunks come from. `close()` releases the response.
    """

    __slots__ = ("_chunks",)

    def __init__(self, source: StreamSource | None = None) -> None:
        super().__init__(source)
        self._chunks: Iterator[StreamChunk] = iter(())

    def attach(self, chunks: Iterator[StreamChunk]) -> ChatStream:
        self._chunks = chunks
        return self

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> StreamChunk:
        return next(self._chunks)

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class AsyncChatStream(_StreamView):
    """The async twin of ChatStream; `aclose()` releases the response."""

    __slots__ = ("_chunks",)

    def __init__(self, source: StreamSource | None = None) -> None:
        super().__init__(source)
        self._chunks: AsyncIterator[StreamChunk] | None = None

    def attach(self, chunks: AsyncIterator[StreamChunk]) -> AsyncChatStream:
        self._chunks = chunks
        return self

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> StreamChunk:
        if self._chunks is None:
            raise StopAsyncIteration
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def chunks_from_result(result: ChatResult) -> list[StreamChunk]:
    """A whole answer as stream chunks, for servers that ignore `stream: true` and send JSON."""
    first = StreamChunk(
        text=result.content or "",
        reasoning=result.reasoning or "",
        refusal=result.refusal or "",
        tool_calls=[
            ToolCallDelta(index=call.index, id=call.id, name=call.name, arguments=call.arguments)
            for call in result.tool_calls
        ]
        or None,
        logprobs=result.logprobs,
        finish_reason=result.finish_reason or "stop",
        id=result.id,
        model=result.model,
        system_fingerprint=result.system_fingerprint,
        service_tier=result.service_tier,
    )
    return [first] + ([StreamChunk(usage=result.usage)] if result.usage else [])
