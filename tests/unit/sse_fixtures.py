"""Realistic SSE byte streams, written for this project, reproducing what real servers send.

Each builder mirrors a behaviour seen on real OpenAI-compatible servers (see
../shared/wire-samples/SOURCES.md): usage on a separate `choices: []` chunk (OpenAI) or on
the finish chunk (DeepSeek), SSE comments (OpenRouter), whole tool calls in one delta and
`x_groq` usage (Groq), in-stream `event: error`, CRLF line endings.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from skillboss_core import AsyncChatStream, ChatStream, StreamAccumulator, StreamChunk


def event(payload: dict[str, Any] | str, *, name: str | None = None, crlf: bool = False) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    lines = ([f"event: {name}"] if name else []) + [f"data: {data}", "", ""]
    return ("\r\n" if crlf else "\n").join(lines).encode("utf-8")


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
    no_choices: bool = False,
    logprobs: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-fixture",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": "openai/gpt-5.4-mini",
        "system_fingerprint": "fp_fixture",
        **extra,
    }
    if no_choices:
        body["choices"] = []
    else:
        choice: dict[str, Any] = {"index": 0, "delta": delta or {}, "finish_reason": finish}
        if logprobs is not None:
            choice["logprobs"] = {"content": logprobs}
        body["choices"] = [choice]
    if usage is not None:
        body["usage"] = usage
    return body


USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 7,
    "total_tokens": 19,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 3},
}


def openai_text_stream() -> bytes:
    """Role chunk, text pieces, finish chunk, then a separate usage chunk and [DONE]."""
    return b"".join(
        [
            event(chunk({"role": "assistant", "content": ""})),
            event(chunk({"content": "Hello"})),
            event(chunk({"content": ", world"})),
            event(chunk({}, finish="stop")),
            event(chunk(no_choices=True, usage=USAGE)),
            event("[DONE]"),
        ]
    )


def deepseek_reasoning_stream() -> bytes:
    """reasoning_content deltas, then content; usage rides on the finish chunk itself."""
    return b"".join(
        [
            event(chunk({"role": "assistant", "content": None, "reasoning_content": ""})),
            event(chunk({"content": None, "reasoning_content": "Think "})),
            event(chunk({"content": None, "reasoning_content": "hard."})),
            event(chunk({"content": "42"})),
            event(chunk({"content": ""}, finish="stop", usage=USAGE)),
            event("[DONE]"),
        ]
    )


def openrouter_reasoning_stream() -> bytes:
    """`reasoning` deltas with comment keep-alives; usage chunk keeps a non-empty choices."""
    return b"".join(
        [
            b": OPENROUTER PROCESSING\n\n",
            event(chunk({"role": "assistant", "content": "", "reasoning": "Let me see."})),
            b": OPENROUTER PROCESSING\n\n",
            event(chunk({"content": "Yes."})),
            event(chunk({"content": ""}, finish="stop", native_finish_reason="end_turn")),
            event(chunk({"content": ""}, usage={**USAGE, "cost": 0.0001})),
            event("[DONE]"),
        ]
    )


def parallel_tool_stream(*, repeat_ids: bool = False) -> bytes:
    """Two calls interleaved by index, arguments split mid-token, optional repeated id/name."""

    def call(index: int, args: str, first: bool) -> dict[str, Any]:
        piece: dict[str, Any] = {"index": index, "function": {"arguments": args}}
        if first or repeat_ids:
            piece["id"] = f"call_{index}"
            piece["type"] = "function"
            piece["function"]["name"] = "get_weather" if index == 0 else "get_time"
        return piece

    return b"".join(
        [
            event(chunk({"role": "assistant", "content": None})),
            event(chunk({"tool_calls": [call(0, "", True)]})),
            event(chunk({"tool_calls": [call(0, '{"ci', False)]})),
            event(chunk({"tool_calls": [call(1, "", True)]})),
            event(
                chunk(
                    {
                        "tool_calls": [
                            call(0, 'ty": "Paris"}', False),
                            call(1, '{"tz": "CET"}', False),
                        ]
                    }
                )
            ),
            event(chunk({}, finish="tool_calls")),
            event(chunk(no_choices=True, usage=USAGE)),
            event("[DONE]"),
        ]
    )


def groq_whole_call_stream() -> bytes:
    """A whole tool call in one delta; usage both top-level and in x_groq, with CRLF endings."""
    whole = {
        "index": 0,
        "id": "fc_1",
        "type": "function",
        "function": {"name": "lookup", "arguments": '{"q": "x"}'},
    }
    return b"".join(
        [
            event(
                chunk({"role": "assistant", "reasoning": "plan", "channel": "analysis"}), crlf=True
            ),
            event(chunk({"tool_calls": [whole]}), crlf=True),
            event(chunk({}, finish="tool_calls", usage=USAGE, x_groq={"usage": USAGE}), crlf=True),
            event("[DONE]", crlf=True),
        ]
    )


def inline_error_stream() -> bytes:
    """HTTP 200 stream that carries an `event: error` after some reasoning."""
    error = {
        "error": {
            "message": "tool_use_failed: bad call",
            "type": "invalid_request_error",
            "code": "tool_use_failed",
        }
    }
    return b"".join(
        [
            event(chunk({"role": "assistant", "reasoning": "hmm"})),
            event(error, name="error"),
        ]
    )


def truncated_stream() -> bytes:
    """Text but no finish_reason and no [DONE]: must never pass as a complete answer."""
    return event(chunk({"role": "assistant", "content": "Partial"})) + event(
        chunk({"content": " ans"})
    )


def bare_event(
    delta: dict[str, Any] | None = None,
    *,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
) -> bytes:
    """One chunk event with no id or model: only what the test names."""
    body: dict[str, Any] = {
        "choices": []
        if delta is None and finish is None
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    }
    if usage is not None:
        body["usage"] = usage
    return event(body)


def _feed(answer: StreamAccumulator, events: Iterable[bytes]) -> Iterator[StreamChunk]:
    for data in events:
        yield from answer.feed(data)
    yield from answer.close()


def replay(
    events: Iterable[bytes],
    on_close: Callable[[], None] | None = None,
    *,
    one_tool_call: bool = False,
) -> ChatStream:
    """A ChatStream that feeds `events` to the core's real accumulator one read at a time,
    as Gateway.stream does with a server that flushes one event per read."""
    stream = ChatStream()
    stream.answer.one_tool_call = one_tool_call

    def chunks() -> Iterator[StreamChunk]:
        try:
            yield from _feed(stream.answer, events)
        finally:
            if on_close is not None:
                on_close()

    return stream.attach(chunks())


def areplay(events: Iterable[bytes], *, one_tool_call: bool = False) -> AsyncChatStream:
    """The async twin of `replay`."""
    stream = AsyncChatStream()
    stream.answer.one_tool_call = one_tool_call
    chunks = _feed(stream.answer, events)

    async def replayed() -> AsyncIterator[StreamChunk]:
        for chunk in chunks:
            yield chunk

    return stream.attach(replayed())
