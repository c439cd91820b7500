"""Answers paced over time, for the timeout tests: what a server sends, and when.

Each function here is a script for `ScriptedGateway.script(...)`. The server writes each
piece of an iterator as one HTTP chunk as soon as it is yielded, so a generator that sleeps
between pieces paces the answer: a steady stream slower in total than `timeout`, a server
that only sends keep-alive bytes, one that stalls after its first event, or one that says
nothing at all for a while. The deadline tests and the LangChain error-class tests script
the same behaviours, so they are written once, here.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from tests.support.scripted_gateway import ScriptResult
from tests.support.wire import CREATED, DONE, JSON, Reply

MODEL = "openai/gpt-5.4-mini"
SSE = {"Content-Type": "text/event-stream"}
JSON_TYPE = {"Content-Type": "application/json"}
# How long the slow answers go on: far longer than any timeout under test, far shorter
# than "for ever" (the scripted gateway of the fault suite lives 60 s).
FOREVER = 20.0
# A steady answer: one real piece every STEADY_EVERY seconds, STEADY_SECONDS in all.
STEADY_EVERY = 0.25
STEADY_SECONDS = 4.0
STEADY_PIECES = tuple(f"piece{i} " for i in range(int(STEADY_SECONDS / STEADY_EVERY)))
STEADY_TEXT = "".join(STEADY_PIECES)


def chunk(delta: JSON, finish: str | None = None) -> JSON:
    """One chat.completion.chunk with a single choice."""
    return {
        "id": "chatcmpl-paced",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def completion(text: str) -> JSON:
    """A whole chat.completion answering `text`."""
    return {
        "id": "chatcmpl-paced",
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 16, "total_tokens": 21},
    }


def event(obj: Any) -> bytes:
    """A `data:` event carrying compact JSON."""
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


FIRST_EVENT = event(chunk({"role": "assistant", "content": "Hel"}))


def paced(pieces: Iterable[bytes], every: float) -> Iterator[bytes]:
    """The pieces, the first at once and each next one `every` seconds later."""
    for index, piece in enumerate(pieces):
        if index:
            time.sleep(every)
        yield piece


def repeating(first: bytes, again: bytes, seconds: float = FOREVER) -> Iterator[bytes]:
    """`first`, then `again` every 0.2 s for `seconds` (keep-alive bytes, say)."""
    yield first
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.2)
        yield again


def steady(body: JSON) -> ScriptResult:
    """Real progress every STEADY_EVERY s for STEADY_SECONDS s: a stream of one event per
    piece then the finish chunk and [DONE]; or a JSON body sent in as many slices."""
    if body.get("stream"):
        events = [event(chunk({"role": "assistant", "content": STEADY_PIECES[0]}))]
        events += [event(chunk({"content": piece})) for piece in STEADY_PIECES[1:]]
        events.append(event(chunk({}, finish="stop")) + DONE)
        return 200, SSE, paced(events, STEADY_EVERY)
    data = json.dumps(completion(STEADY_TEXT), separators=(",", ":")).encode()
    size = -(-len(data) // len(STEADY_PIECES))
    slices = [data[start : start + size] for start in range(0, len(data), size)]
    assert all(piece.strip() for piece in slices), "every slice must be real progress"
    return 200, JSON_TYPE, paced(slices, STEADY_SECONDS / (len(slices) - 1))


def keepalive_only(body: JSON) -> ScriptResult:
    """Headers, then only keep-alive bytes: `: ping` comments on a stream, whitespace
    before a JSON body that never comes."""
    if body.get("stream"):
        return 200, SSE, repeating(b": ping\n\n", b": ping\n\n")
    return 200, JSON_TYPE, repeating(b" ", b"\n ")


def stalled(body: JSON) -> ScriptResult:
    """One real event, then only comments (a JSON body: its start, then only whitespace)."""
    if body.get("stream"):
        return 200, SSE, repeating(FIRST_EVENT, b": ping\n\n")
    return 200, JSON_TYPE, repeating(b'{"id": "chatcmpl-paced",', b" ")


class Silent:
    """Says nothing for `seconds` (no status line, no byte) to each of the first `first`
    requests (every request when None), then answers `reply`; counts what it was asked."""

    def __init__(self, first: int | None, reply: Reply, seconds: float = 3.0) -> None:
        self.first = first
        self.reply = reply
        self.seconds = seconds
        self.asked = 0
        self._lock = threading.Lock()

    def __call__(self, body: JSON) -> Reply:
        with self._lock:
            self.asked += 1
            number = self.asked
        if self.first is None or number <= self.first:
            time.sleep(self.seconds)
        return self.reply
