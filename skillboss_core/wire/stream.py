"""One pass over SSE bytes: decode events, turn each into a StreamChunk, accumulate the answer.

This is the hot path of every streamed call, so it works on bytes, builds no throw-away
model objects, keeps text as lists of pieces (no quadratic concatenation) and never keeps
the chunks themselves.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skillboss_core.errors import (
    IncompleteStreamError,
    InvalidResponseError,
    ResponseTooLargeError,
)
from skillboss_core.wire.builders import default_call_id
from skillboss_core.wire.decode import (
    ID,
    MODEL,
    SERVICE_TIER,
    SYSTEM_FINGERPRINT,
    call_fields,
    call_index,
    carries_error,
    choices_of,
    content_of,
    created_of,
    finish_reason_of,
    first_choice,
    logprobs_of,
    malformed,
    metadata_text,
    part_of,
    reasoning_of,
    refusal_of,
    reported_error,
    too_large,
    tool_call_items,
    usage_of,
)
from skillboss_core.wire.results import ChatResult, StreamChunk, ToolCall, ToolCallDelta, Usage

if TYPE_CHECKING:
    from skillboss_core.wire.cost import Cost

_DONE = b"[DONE]"
_BOM = b"\xef\xbb\xbf"
# The largest single event (or line) held before giving up; see SSEDecoder.
DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024
# json.loads(bytes) re-detects the encoding per call; SSE is UTF-8, so decode directly.
_decode_json = json.JSONDecoder().decode

Events = list[tuple[str | None, bytes]]


def _event_too_large(cap: int) -> ResponseTooLargeError:
    return too_large(cap, "One stream event", "max_event_bytes")


class SSEDecoder:
    """Incremental Server-Sent Events decoder: feed bytes, get (event, data) pairs.

    Follows the SSE spec: lines end in CR, LF or CRLF (a CRLF split between two reads is
    one line end), a byte-order mark opening the stream is dropped, `data` and `event` are
    read and other fields and comments (`: keep-alive`) skipped. Lines are split on bytes,
    so a multi-byte character cut between two reads is decoded whole; a partial line is
    kept as a list of pieces joined once, so a long line costs linear time. An event (or a
    line) longer than `max_event_bytes` raises ResponseTooLargeError as soon as it passes.
    """

    __slots__ = (
        "_cr",
        "_data",
        "_data_size",
        "_event",
        "_head",
        "_idle",
        "_pending",
        "_pending_size",
        "max_event_bytes",
    )

    def __init__(self, max_event_bytes: int | None = None) -> None:
        self.max_event_bytes = (
            DEFAULT_MAX_EVENT_BYTES if max_event_bytes is None else max_event_bytes
        )
        self._pending: list[bytes] = []  # the current line's pieces, not ended yet
        self._pending_size = 0
        self._data: list[bytes] = []  # the current event's data lines
        self._data_size = 0
        self._event: str | None = None
        # mutation: equivalent, True: it drops an LF opening the stream, a blank line with
        # nothing to dispatch yet.
        self._cr = False  # the last read ended in CR: an LF opening the next is its pair
        self._head: bytes | None = b""  # the stream's first bytes until a BOM is ruled out
        self._idle = False  # nothing held: a whole event in one read may take the fast path

    def feed(self, chunk: bytes) -> Events:
        # Fast path: servers flush one `data: ...\n\n` event per network read. Its only LF
        # (0x0A) ends it, followed by a second; no CR (0x0D) anywhere; within the cap. (Byte
        # values, not b"\r": `int in bytes` is a plain memchr, several times faster.)
        # mutation: equivalent, the mutants of this test that only take the fast path less
        # often (another prefix, rfind, `- 2`, `<` the cap, chunk[+1]): _feed reads the same
        # events, more slowly. Those that take it wrongly are killed by the split tests.
        if (
            self._idle
            and chunk.startswith(b"data:")
            and chunk.find(0x0A) + 2 == len(chunk) <= self.max_event_bytes
            and chunk[-1] == 0x0A
            and 0x0D not in chunk
        ):
            return [(None, chunk[6:-2] if chunk[5] == 0x20 else chunk[5:-2])]
        return self._feed(chunk)

    def close(self) -> Events:
        """Flush an event the server did not terminate with a blank line."""
        # mutation: equivalent, feeding b"\n" even with no partial line held: a blank line
        # only dispatches the event that _dispatch below would.
        events = self._feed(b"\n") if self._pending or self._head else []
        self._dispatch(events)
        return events

    def _feed(self, chunk: bytes) -> Events:
        if self._head is not None:
            chunk = self._without_bom(chunk)
        if not chunk:
            return []
        if self._cr:
            self._cr = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        if 0x0D in chunk:
            self._cr = chunk[-1] == 0x0D
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        tail = lines.pop()
        events: Events = []
        if lines:
            if self._pending:
                self._hold(lines[0])  # checks the cap before the line is joined
                lines[0] = b"".join(self._pending)
                self._pending, self._pending_size = [], 0
            self._take_lines(lines, events)
        if tail:
            self._hold(tail)
        self._idle = not (self._pending or self._data or self._cr) and self._event is None
        return events

    def _without_bom(self, chunk: bytes) -> bytes:
        """The chunk without a leading BOM; b"" while the first bytes could still be one."""
        head = self._head + chunk if self._head else chunk
        # mutation: equivalent, `<=` or `or`: bytes held a read longer are then read whole,
        # the BOM dropped all the same (close() feeds what is held).
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._head = head
            return b""
        self._head = None
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    def _hold(self, piece: bytes) -> None:
        """Keep a piece of a line not ended yet, refusing it once the event passes the cap."""
        self._pending.append(piece)
        self._pending_size += len(piece)
        if self._pending_size + self._data_size > self.max_event_bytes:
            raise _event_too_large(self.max_event_bytes)

    def _take_lines(self, lines: list[bytes], events: Events) -> None:
        for line in lines:
            if not line:
                self._dispatch(events)
            elif line.startswith(b"data:"):  # `_add_data` inlined: the common line
                value = line[6:] if line[5:6] == b" " else line[5:]
                self._data.append(value)
                self._data_size += len(value) + 1
                if self._data_size > self.max_event_bytes:
                    raise _event_too_large(self.max_event_bytes)
            else:
                self._other_field(line)

    def _add_data(self, value: bytes) -> None:
        self._data.append(value)
        self._data_size += len(value) + 1
        if self._data_size > self.max_event_bytes:
            raise _event_too_large(self.max_event_bytes)

    def _other_field(self, line: bytes) -> None:
        """`data` without a colon, `event`; comments, `id`, `retry` and others carry nothing
        for chat completions."""
        name, colon, value = line.partition(b":")
        if not colon and name == b"data":
            self._add_data(b"")
        elif name == b"event":
            # mutation: equivalent, "UTF-8": codec names ignore case.
            self._event = value.strip().decode("utf-8", "replace") or None

    def _dispatch(self, events: Events) -> None:
        if self._data:
            events.append((self._event, b"\n".join(self._data)))
            self._data, self._data_size = [], 0
        self._event = None


def _is_high_surrogate(text: str) -> bool:
    return bool(text) and "\ud800" <= text[-1] <= "\udbff"


def _join_surrogates(text: str) -> str:
    """Re-pair a surrogate pair that arrived split across two JSON deltas; a lone
    surrogate passes through unchanged, as it does in the SDK's own decoding."""
    # mutation: equivalent, "UTF-16": codec names ignore case.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


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

    def flush(self) -> str:
        """At the end of the stream, a half pair that never found its other half."""
        # mutation: equivalent, another string left pending: nothing reads a carry after
        # its flush at the end of the stream.
        piece, self.pending = self.pending, ""
        return piece


@dataclass(slots=True)
class CallSoFar:
    """One tool call as streamed so far: id and name once known, argument pieces in order."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    carry: _Carry = field(default_factory=_Carry)


class StreamAccumulator:
    """Turns SSE events into StreamChunks and keeps what is needed for the whole answer.

    The one accumulator of a streamed answer: adapters read the answer so far from its
    piece lists (which only grow, so "the first n pieces" is a stable snapshot) instead of
    keeping copies of their own. A malformed event is an InvalidResponseError.
    """

    def __init__(self, *, max_event_bytes: int | None = None, one_tool_call: bool = False) -> None:
        self.decoder = SSEDecoder(max_event_bytes)
        # The request ruled out parallel calls (request.one_tool_call_only): later ones dropped.
        self.one_tool_call = one_tool_call
        self.text_pieces: list[str] = []
        self.reasoning_pieces: list[str] = []
        self.refusal_pieces: list[str] = []
        self.logprobs: list[dict[str, Any]] = []
        self.calls: dict[int, CallSoFar] = {}
        self._dropped: dict[int, CallSoFar] = {}
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
        # The answer's HTTP headers, as received (set by the transport that reads it).
        self.headers: Mapping[str, str] | None = None
        # What the call cost, as its usage chunk says (set by the gateway that priced it).
        self.cost: Cost | None = None

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
        held = self._flush_carries()
        if held is not None:
            out.append(held)
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
            # mutation: equivalent, "UTF-8": codec names ignore case.
            data = _decode_json(payload.decode("utf-8", "surrogatepass"))
        except RecursionError:
            raise InvalidResponseError(
                "The stream carried JSON nested too deeply to read"
            ) from None
        except ValueError:
            if event == "error":
                raise reported_error(None, payload) from None
            raise InvalidResponseError(
                f"The stream carried data that is not JSON: {payload[:120]!r}"
            ) from None
        if event == "error" or carries_error(data):
            raise reported_error(data, payload)
        return self.add_json(data)

    def add_json(self, data: Any) -> StreamChunk | None:
        """One parsed chunk object; usage is held back and emitted once by `close`."""
        if not isinstance(data, dict):
            raise malformed("the event is not a JSON object", stream=True)
        self.chunks_seen += 1
        chunk = StreamChunk()
        has_meta = self._take_meta(data, chunk)
        usage = usage_of(data)
        if usage is not None:
            self.usage = usage
        choices = choices_of(data, stream=True)
        choice = first_choice(choices, stream=True) if choices else None
        if choice is None:
            return chunk if has_meta else None
        self._add_choice(choice, chunk)
        return chunk

    def _add_choice(self, choice: dict[str, Any], chunk: StreamChunk) -> None:
        delta = part_of(choice, stream=True)
        text = content_of(delta, stream=True)
        # A piece is kept only when non-empty after re-pairing surrogates, so each piece
        # in text_pieces is exactly one chunk's `text` (adapters count pieces by chunks).
        if text and (text := self._text_carry.take(text)):
            self.text_pieces.append(text)
            chunk.text = text
        reasoning = reasoning_of(delta)
        if reasoning and (reasoning := self._reasoning_carry.take(reasoning)):
            self.reasoning_pieces.append(reasoning)
            chunk.reasoning = reasoning
        refusal = refusal_of(delta, stream=True)
        if refusal:
            self.refusal_pieces.append(refusal)
            chunk.refusal = refusal
        calls = tool_call_items(delta, stream=True)
        if calls:
            deltas = [self._add_call_delta(call) for call in calls]
            chunk.tool_calls = [delta for delta in deltas if delta is not None] or None
        content = logprobs_of(choice, stream=True)
        if content:
            self.logprobs.extend(content)
            chunk.logprobs = content
        finish = finish_reason_of(choice, stream=True)
        if finish:
            self.finish_reason = finish
            chunk.finish_reason = finish

    def _take_meta(self, data: dict[str, Any], chunk: StreamChunk) -> bool:
        """Metadata from the first chunk carrying it; values that are not text are ignored."""
        found = False
        if self.id is None and (value := metadata_text(data, ID)):
            self.id = chunk.id = value
            self.created = created_of(data)
            found = True
        if self.model is None and (value := metadata_text(data, MODEL)):
            self.model = chunk.model = value
            found = True
        if self.system_fingerprint is None and (value := metadata_text(data, SYSTEM_FINGERPRINT)):
            self.system_fingerprint = chunk.system_fingerprint = value
            found = True
        if self.service_tier is None and (value := metadata_text(data, SERVICE_TIER)):
            self.service_tier = chunk.service_tier = value
            found = True
        return found

    def _add_call_delta(self, call: Any) -> ToolCallDelta | None:
        call_id, name, arguments = call_fields(call, stream=True)
        index = self._index_of(call, call_id)
        state = self.calls.get(index)
        if state is None:
            if self.one_tool_call and self.calls:
                # Kept aside, not in the answer: its later fragments (which may carry no index
                # and no id) must still find it rather than join the call that was kept.
                dropped = self._dropped.setdefault(index, CallSoFar())
                # mutation: equivalent, the mutants that keep no id (or another placeholder):
                # a fragment that then matches nothing opens a new index, dropped the same.
                dropped.id = dropped.id or call_id or ""
                return None
            state = self.calls[index] = CallSoFar()
        new_id = new_name = None
        if not state.id and call_id:
            state.id = new_id = call_id
        if not state.name and name:
            state.name = new_name = name
        if arguments and (arguments := state.carry.take(arguments)):
            state.arguments.append(arguments)
        return ToolCallDelta(index=index, id=new_id, name=new_name, arguments=arguments)

    def _index_of(self, call: dict[str, Any], call_id: str | None) -> int:
        index = call_index(call)
        if index is not None:
            return index
        # Some servers omit the index: match by id, else a new id opens a new call.
        # mutation: equivalent, merging when nothing was dropped: the same calls, copied.
        seen = {**self.calls, **self._dropped} if self._dropped else self.calls
        for known, state in seen.items():
            if call_id and state.id == call_id:
                return known
        if call_id or not seen:
            return len(seen)
        return max(seen)

    def _flush_carries(self) -> StreamChunk | None:
        """Half surrogate pairs still held at the end go into the answer, not away."""
        chunk = StreamChunk()
        if text := self._text_carry.flush():
            self.text_pieces.append(text)
            chunk.text = text
        if reasoning := self._reasoning_carry.flush():
            self.reasoning_pieces.append(reasoning)
            chunk.reasoning = reasoning
        deltas: list[ToolCallDelta] = []
        for index, state in sorted(self.calls.items()):
            if arguments := state.carry.flush():
                state.arguments.append(arguments)
                deltas.append(ToolCallDelta(index, None, None, arguments))
        chunk.tool_calls = deltas or None
        return chunk if chunk.text or chunk.reasoning or deltas else None

    def take_result(self, result: ChatResult) -> list[StreamChunk]:
        """A whole answer from a server that ignored `stream: true`, held like a stream's."""
        if self.one_tool_call:
            del result.tool_calls[1:]
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
            # No text beside calls or a refusal: null, as a body says it.
            content=(
                "".join(self.text_pieces)
                if self.text_pieces or not (self.calls or self.refusal_pieces)
                else None
            ),
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
