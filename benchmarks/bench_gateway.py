"""A fast loopback OpenAI-compatible gateway for the benchmarks, run as its own process.

Why a separate process: the server's CPU must not share the GIL with the client being
measured, and it must never be the bottleneck. Every answer is built once into its final
HTTP bytes (headers and chunked SSE body) and then written with one `transport.write`.

Scenarios are chosen by the model id, so every client can ask for them unchanged:
`bench/short` (any unknown id) answers a short completion, `bench/chunks-N` streams N
content events, `bench/tool` answers with one tool call. Streams send the usage event
only when the request asks for `stream_options.include_usage`, like OpenAI.

POST /embeddings answers one vector per input text (any model id): `EMBED_DIMS` float32
values (or `dimensions` of them), base64 little-endian float32 when the body asks
`encoding_format: "base64"` (what the openai SDK asks by default), JSON numbers otherwise.
The vectors are computed once; each answer (per input count, encoding and dimensions) is
built once into its final bytes, so only `json.loads` of the request runs per call.

Bounded: binds 127.0.0.1 only and exits after `--max-requests`, after `--lifetime`
seconds, or as soon as its parent closes our stdin. Prints `PORT <n>` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import random
import struct
import subprocess
import sys
import threading
from typing import Any

LOOPBACK = "127.0.0.1"
CREATED = 1_700_000_000
PIECE = " tok"  # the text of every streamed content event
SHORT_TEXT = "Hello! This is a short canned answer from the benchmark gateway."
TOOL_NAME = "get_weather"
TOOL_ARGS = '{"city": "Paris", "unit": "celsius"}'
MAX_CHUNKS = 1_000_000
EMBED_DIMS = 1536  # text-embedding-3-small's
EMBED_VARIANTS = 16  # distinct vectors; the item at index i carries vector i % 16
_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _usage(completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": 12,
        "completion_tokens": completion_tokens,
        "total_tokens": 12 + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def _response(status: str, content_type: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\nconnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


def completion_bytes(model: str) -> bytes:
    """A whole non-streamed chat.completion response."""
    message: dict[str, Any] = {"role": "assistant", "content": SHORT_TEXT, "refusal": None}
    finish = "stop"
    if model == "bench/tool":
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": "call_bench_1",
                "type": "function",
                "function": {"name": TOOL_NAME, "arguments": TOOL_ARGS},
            }
        ]
        finish = "tool_calls"
    elif model.startswith("bench/chunks-"):
        message["content"] = PIECE * _chunk_count(model)
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(14),
        "service_tier": "default",
        "system_fingerprint": "fp_bench",
    }
    return _response("200 OK", "application/json", _dumps(body))


def _chunk_count(model: str) -> int:
    try:
        return max(1, min(MAX_CHUNKS, int(model.rsplit("-", 1)[1])))
    except ValueError:
        return 1


def _http_chunk(event: bytes) -> bytes:
    """One SSE event as one HTTP/1.1 chunk, the way real servers flush them."""
    return b"%x\r\n%s\r\n" % (len(event), event)


def stream_bytes(model: str, include_usage: bool) -> bytes:
    """A whole chunked SSE response: role event, content (or tool call), finish, usage, DONE."""
    head = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": CREATED}
    tail: dict[str, Any] = {
        "model": model,
        "service_tier": "default",
        "system_fingerprint": "fp_bench",
    }
    if include_usage:
        tail["usage"] = None

    def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        data = {**head, **tail, "choices": [choice]}
        return _http_chunk(b"data: " + _dumps(data) + b"\n\n")

    parts = [event({"role": "assistant", "content": "", "refusal": None})]
    if model == "bench/tool":
        call = {
            "index": 0,
            "id": "call_bench_1",
            "type": "function",
            "function": {"name": TOOL_NAME, "arguments": ""},
        }
        parts.append(event({"tool_calls": [call]}))
        for args in (TOOL_ARGS[:12], TOOL_ARGS[12:]):
            parts.append(event({"tool_calls": [{"index": 0, "function": {"arguments": args}}]}))
        parts.append(event({}, "tool_calls"))
        completion_tokens = 14
    else:
        count = _chunk_count(model) if model.startswith("bench/chunks-") else 1
        piece = event({"content": PIECE})
        parts.append(piece * count)
        parts.append(event({}, "stop"))
        completion_tokens = count
    if include_usage:
        usage = {**head, **tail, "choices": [], "usage": _usage(completion_tokens)}
        parts.append(_http_chunk(b"data: " + _dumps(usage) + b"\n\n"))
    parts.append(_http_chunk(b"data: [DONE]\n\n"))
    parts.append(b"0\r\n\r\n")
    head_bytes = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n"
    )
    return head_bytes + b"".join(parts)


def _float32_vectors() -> list[list[float]]:
    """`EMBED_VARIANTS` unit-length vectors of float32 values (as Python floats, exactly)."""
    rng = random.Random(22)
    out = []
    for _ in range(EMBED_VARIANTS):
        raw = [rng.gauss(0.0, 1.0) for _ in range(EMBED_DIMS)]
        norm = sum(value * value for value in raw) ** 0.5
        packed = struct.pack(f"<{EMBED_DIMS}f", *(value / norm for value in raw))
        out.append(list(struct.unpack(f"<{EMBED_DIMS}f", packed)))
    return out


EMBED_VECTORS = _float32_vectors()


def expected_vector(index_in_batch: int) -> list[float]:
    """The vector the gateway answers for the text at this position of its request."""
    return EMBED_VECTORS[index_in_batch % EMBED_VARIANTS]


class _EmbeddingAnswers:
    """Final embeddings response bytes per (count, encoding, dimensions), built on first use
    from vectors encoded once (base64 of the float32 bytes, or the floats as JSON numbers)."""

    def __init__(self) -> None:
        self._encoded: dict[tuple[bool, int], list[bytes]] = {}
        self._cache: dict[tuple[int, bool, int, str], bytes] = {}

    def _vectors(self, as_base64: bool, dims: int) -> list[bytes]:
        key = (as_base64, dims)
        if key not in self._encoded:
            encoded = []
            for vector in EMBED_VECTORS:
                values = vector[:dims]
                if as_base64:
                    raw = struct.pack(f"<{len(values)}f", *values)
                    encoded.append(b'"' + base64.b64encode(raw) + b'"')
                else:  # 9 significant digits: a float32 read back exactly
                    encoded.append(("[" + ",".join(f"{v:.9g}" for v in values) + "]").encode())
            self._encoded[key] = encoded
        return self._encoded[key]

    def answer(self, count: int, as_base64: bool, dims: int, model: str) -> bytes:
        key = (count, as_base64, dims, model)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        vectors = self._vectors(as_base64, dims)
        items = b",".join(
            b'{"object":"embedding","index":%d,"embedding":%s}'
            % (index, vectors[index % EMBED_VARIANTS])
            for index in range(count)
        )
        tokens = 16 * count
        tail = _dumps({"model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
        body = b'{"object":"list","data":[' + items + b"]," + tail[1:]
        answer = _response("200 OK", "application/json", body)
        if len(self._cache) < 64:  # a handful of batch sizes in a run; bounded anyway
            self._cache[key] = answer
        return answer


MODELS_BYTES = _response(
    "200 OK",
    "application/json",
    _dumps({"object": "list", "data": [{"id": "bench/short", "object": "model"}]}),
)
NOT_FOUND = _response("404 Not Found", "application/json", b'{"error":{"message":"not found"}}')
BAD_REQUEST = _response("400 Bad Request", "application/json", b'{"error":{"message":"bad"}}')


class Answers:
    """Final response bytes per (model, stream, include_usage), built on first use; and the
    embeddings answers."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool, bool], bytes] = {}
        self._embeddings = _EmbeddingAnswers()

    def for_body(self, raw: bytes) -> bytes:
        try:
            body = json.loads(raw)
            model = str(body.get("model") or "bench/short")
            stream = bool(body.get("stream"))
            options = body.get("stream_options") or {}
            include_usage = stream and bool(options.get("include_usage"))
        except (ValueError, AttributeError):
            return BAD_REQUEST
        key = (model, stream, include_usage)
        answer = self._cache.get(key)
        if answer is None:
            answer = stream_bytes(model, include_usage) if stream else completion_bytes(model)
            self._cache[key] = answer
        return answer

    def for_embeddings(self, raw: bytes) -> bytes:
        """One vector per input: `input` a string (one) or a list (of texts or token ids)."""
        try:
            body = json.loads(raw)
            texts = body["input"]
            count = 1 if isinstance(texts, str) else len(texts)
            encoding = body.get("encoding_format") or "float"
            dims = int(body.get("dimensions") or EMBED_DIMS)
            model = str(body.get("model") or "bench/embed")
        except (ValueError, AttributeError, KeyError, TypeError):
            return BAD_REQUEST
        if count < 1 or encoding not in ("float", "base64") or not 1 <= dims <= EMBED_DIMS:
            return BAD_REQUEST
        return self._embeddings.answer(count, encoding == "base64", dims, model)


class _Server:
    def __init__(self, max_requests: int) -> None:
        self.answers = Answers()
        self.remaining = max_requests
        self.stopped = asyncio.Event()

    def count(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.stopped.set()


class _Connection(asyncio.Protocol):
    """HTTP/1.1 keep-alive with Content-Length request bodies; that is all clients send."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(_HEAD_END)
            if end < 0:
                if len(self.buffer) > _MAX_HEAD:
                    self.transport.close()
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            start = end + 4
            if len(self.buffer) < start + length:
                return
            body = self.buffer[start : start + length]
            self.buffer = self.buffer[start + length :]
            self.transport.write(self._answer(head[0], body))
            self.server.count()

    def _answer(self, request_line: str, body: bytes) -> bytes:
        method, _, rest = request_line.partition(" ")
        path = rest.split(" ", 1)[0].split("?", 1)[0]
        if method == "POST" and path.endswith("/chat/completions"):
            return self.server.answers.for_body(body)
        if method == "POST" and path.endswith("/embeddings"):
            return self.server.answers.for_embeddings(body)
        if method == "GET" and path.endswith("/models"):
            return MODELS_BYTES
        return NOT_FOUND


def _watch_parent(loop: asyncio.AbstractEventLoop, stopped: asyncio.Event) -> None:
    """Stop when the parent closes our stdin (it exited or is done with us)."""
    with contextlib.suppress(Exception):
        sys.stdin.buffer.read()
    loop.call_soon_threadsafe(stopped.set)


async def serve(port: int, max_requests: int, lifetime: float, watch_stdin: bool) -> None:
    loop = asyncio.get_running_loop()
    state = _Server(max_requests)
    server = await loop.create_server(lambda: _Connection(state), LOOPBACK, port, backlog=512)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    if watch_stdin:
        threading.Thread(target=_watch_parent, args=(loop, state.stopped), daemon=True).start()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(state.stopped.wait(), timeout=lifetime)
    server.close()


class GatewayProcess:
    """Starts the gateway in a child process; `with GatewayProcess() as gw: gw.base_url`."""

    def __init__(self, max_requests: int = 2_000_000, lifetime: float = 1800.0) -> None:
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self) -> GatewayProcess:
        command = [
            sys.executable,
            __file__,
            "--max-requests",
            str(self.max_requests),
            "--lifetime",
            str(self.lifetime),
            "--watch-stdin",
        ]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"benchmark gateway did not start (said {line!r})")
        self.base_url = f"http://{LOOPBACK}:{int(line.split()[1])}/v1"
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> GatewayProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--lifetime", type=float, default=600.0, help="seconds")
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.max_requests, args.lifetime, args.watch_stdin))


if __name__ == "__main__":
    main()
