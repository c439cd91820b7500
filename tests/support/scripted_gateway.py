"""A scripted OpenAI-compatible Chat Completions server on 127.0.0.1, for tests.

Why it exists: the adapters must be proven over real HTTP (the SDK's own transport, its
retries, sockets that reset or stall) without network access or keys. It answers exactly
what each test scripts and nothing else: a `Reply` (rendered by tests/support/wire.py in the
wire dialect of `flavour`), raw bytes from `script()`, or a `Fault` only a real server can
produce (reset, truncated chunked body, slow bytes, gzip). A chat request with nothing
scripted gets a 400 saying so. POST /v1/embeddings answers by default with the honest vectors
of tests/support/embedder.py (tests/support/embeddings_wire.py; `embeddings=` bends them,
`script_embeddings()` replaces them, faults apply as to chat). Standard library only; daemon
threads; it stops itself after a request cap or a lifetime, so a forgotten instance never
outlives a test run.

Typical use::

    with ScriptedGateway(reply=Reply("Paris.")) as gw:
        gw.enqueue(Fault.status(429, headers={"retry-after": "0"}))
        client = openai.OpenAI(api_key="test", base_url=gw.base_url)
        ...
        assert gw.requests[-1].json["model"] == "openai/gpt-5.4-mini"
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from tests.support.embeddings_wire import EmbeddingsOptions, embeddings_answer
from tests.support.wire import (
    CREATED,
    FLAVOURS,
    JSON,
    Event,
    Reply,
    ToolCall,
    error_body,
    interleave,
    message_text,
    render,
)

__all__ = [
    "CREATED",
    "DEFAULT_MODELS",
    "LOOPBACK",
    "EmbeddingsOptions",
    "EmbeddingsScriptFn",
    "Fault",
    "RecordedRequest",
    "Reply",
    "ScriptFn",
    "ScriptResult",
    "ScriptedGateway",
    "ToolCall",
    "error_body",
    "message_text",
]

LOOPBACK = "127.0.0.1"
# The 400 a chat request gets when the test scripted no answer for it.
NOTHING_SCRIPTED = "the scripted gateway has no answer scripted for this request"
DEFAULT_MODELS = (
    "openai/gpt-5.4-mini",
    "openai/gpt-5.4",
    "reel-31-api",
    "deepseek/deepseek-reasoner",
    "meta-llama/llama-3.3-70b-instruct",
)
HTML_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

ScriptResult = tuple[int, Mapping[str, str], bytes | Iterable[bytes]]
# A script answers a chat body with raw bytes, a Reply to render, or None (not scripted).
ScriptFn = Callable[[JSON], ScriptResult | Reply | None]
# A script answers an embeddings body with raw bytes, or None for the default vectors.
EmbeddingsScriptFn = Callable[[JSON], ScriptResult | None]
Ending = Literal["done", "drop", "rst"]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, so tests can assert on what the client sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any

    @property
    def messages(self) -> list[JSON]:
        """The chat messages the client sent (empty for other requests)."""
        body = self.json if isinstance(self.json, dict) else {}
        messages = body.get("messages")
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    @property
    def last_user_text(self) -> str:
        """The text of the last user message, as a test would read it."""
        users = [m for m in self.messages if m.get("role") == "user"]
        return message_text(users[-1].get("content")) if users else ""


# --------------------------------------------------------------------------- faults


_FAULT_KINDS = frozenset(
    {
        "status",
        "not_json",
        "stream_reset",
        "stream_truncated",
        "stream_error_event",
        "gzip",
        "slow",
        "keepalive_comments",
    }
)


@dataclass(frozen=True)
class Fault:
    """A one-shot misbehaviour consumed by the next request (FIFO, one per request)."""

    kind: str
    status_code: int = 200
    body_json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None
    after_chunks: int | None = None
    message: str = "The upstream provider failed mid-stream."
    error_type: str = "server_error"
    error_code: str | None = "upstream_error"
    seconds: float = 0.0
    hard: bool = False
    padding: bytes = b""

    def __post_init__(self) -> None:
        if self.kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    @classmethod
    def status(
        cls,
        code: int,
        body_json: Any = None,
        headers: Mapping[str, str] | None = None,
        raw_body: bytes | str | None = None,
    ) -> Fault:
        """Answer `code` instead (JSON error body by default, nginx HTML for 502/504)."""
        raw = raw_body.encode() if isinstance(raw_body, str) else raw_body
        if body_json is None and raw is None:
            if code in (502, 504):
                raw = HTML_BAD_GATEWAY
            else:
                body_json = error_body(code)
        return cls(
            "status",
            status_code=code,
            body_json=body_json,
            headers=dict(headers or {}),
            raw_body=raw,
        )

    @classmethod
    def not_json(
        cls, body: bytes = b"upstream said: <b>oops</b>", content_type: str = "application/json"
    ) -> Fault:
        """HTTP 200 whose body is not JSON (content type still claims JSON by default)."""
        return cls("not_json", raw_body=body, headers={"Content-Type": content_type})

    @classmethod
    def stream_reset(cls, after_chunks: int = 2, hard: bool = False) -> Fault:
        """Send `after_chunks` data events then drop the connection mid-body.

        hard=False closes without the chunked terminator (deterministic for clients);
        hard=True also sends a TCP RST (SO_LINGER 0) after a short pause.
        Non-stream requests get half of their body, then the same drop.
        """
        return cls("stream_reset", after_chunks=after_chunks, hard=hard)

    @classmethod
    def stream_truncated(cls, after_chunks: int | None = None) -> Fault:
        """Content chunks but no finish_reason, usage or [DONE]; the body then ends cleanly."""
        return cls("stream_truncated", after_chunks=after_chunks)

    @classmethod
    def stream_error_event(
        cls,
        after_chunks: int = 2,
        message: str = "The upstream provider failed mid-stream.",
        error_type: str = "server_error",
        code: str | None = "upstream_error",
    ) -> Fault:
        """HTTP 200 stream, then `event: error` with an OpenAI error object, then the end.

        Non-stream requests get HTTP 200 with an `{"error": ...}` body, as OpenRouter does.
        """
        return cls(
            "stream_error_event",
            after_chunks=after_chunks,
            message=message,
            error_type=error_type,
            error_code=code,
        )

    @classmethod
    def gzip(cls, padding: bytes = b"\n\n\n         ") -> Fault:
        """Answer normally but gzip the body, with OpenRouter-style whitespace padding first."""
        return cls("gzip", padding=padding)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Sleep before answering normally (for client timeouts)."""
        return cls("slow", seconds=seconds)

    @classmethod
    def keepalive_comments(cls) -> Fault:
        """Stream with a `: ping` comment after every data event."""
        return cls("keepalive_comments")


# --------------------------------------------------------------------------- text helpers

# --------------------------------------------------------------------------- responses


@dataclass
class Response:
    """What the handler will write: a fixed body or a stream, and how the body ends."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    events: list[Event] | None = None
    stream: Iterable[bytes] | None = None
    gzip: bool = False
    padding: bytes = b""
    ending: Ending = "done"

    def pieces(self) -> Iterable[bytes] | None:
        """The stream's pieces, or None for a fixed body."""
        if self.events is not None:
            return [e.data for e in self.events]
        return self.stream


def json_response(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A fixed JSON body."""
    body = json.dumps(obj, ensure_ascii=False).encode()
    return Response(status, {"Content-Type": "application/json", **(headers or {})}, body)


def _cut_events(events: list[Event], after: int | None, keep_final: bool) -> list[Event]:
    """The events up to the `after`-th data event (None: all), optionally without finals."""
    kept: list[Event] = []
    seen = 0
    for event in events:
        if event.final and not keep_final:
            break
        if event.is_data and after is not None and seen >= after:
            break
        kept.append(event)
        seen += event.is_data
    return kept


def apply_fault(response: Response, fault: Fault) -> Response:
    """Reshape a normal answer according to a stream/encoding fault."""
    events = response.events
    if fault.kind == "gzip":
        return replace(response, gzip=True, padding=b"" if events is not None else fault.padding)
    if fault.kind == "keepalive_comments" and events is not None:
        return replace(response, events=interleave(events, "ping", every=1))
    if fault.kind in ("stream_reset", "stream_truncated") and events is None:
        return replace(response, ending="drop")
    if fault.kind == "stream_reset" and events is not None:
        cut = _cut_events(events, fault.after_chunks, keep_final=True)
        return replace(response, events=cut, ending="rst" if fault.hard else "drop")
    if fault.kind == "stream_truncated" and events is not None:
        return replace(response, events=_cut_events(events, fault.after_chunks, keep_final=False))
    if fault.kind == "stream_error_event":
        error = {
            "error": {"message": fault.message, "type": fault.error_type, "code": fault.error_code}
        }
        if events is None:
            return json_response(200, error)
        payload = json.dumps(error, separators=(",", ":")).encode()
        cut = _cut_events(events, fault.after_chunks, keep_final=False)
        return replace(response, events=[*cut, Event(b"event: error\ndata: " + payload + b"\n\n")])
    return response


def fault_response(fault: Fault) -> Response:
    """A response that replaces the answer entirely (status / not_json faults)."""
    if fault.kind == "not_json":
        return Response(200, dict(fault.headers), fault.raw_body or b"")
    if fault.raw_body is not None:
        kind = "text/html" if fault.raw_body.lstrip().startswith(b"<") else "text/plain"
        return Response(fault.status_code, {"Content-Type": kind, **fault.headers}, fault.raw_body)
    return json_response(fault.status_code, fault.body_json, fault.headers)


def script_response(result: ScriptResult) -> Response:
    """A response built from a `gw.script(fn)` result."""
    status, headers, payload = result
    if isinstance(payload, (bytes, bytearray)):
        return Response(status, dict(headers), bytes(payload))
    return Response(status, dict(headers), stream=payload)


# --------------------------------------------------------------------------- http layer


class _Server(ThreadingHTTPServer):
    """Loopback-only threading server that reports handler crashes to its gateway."""

    daemon_threads = True
    # Bursts of hundreds of concurrent connects must queue, not be reset by a full backlog.
    request_queue_size = 1024
    block_on_close = False

    def __init__(self, gateway: ScriptedGateway) -> None:
        self.gateway = gateway
        super().__init__((LOOPBACK, 0), _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup HTTPServer does (no network here)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients hanging up; keep other tracebacks for the test to inspect."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            self.gateway._record_error(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, asks the gateway for a Response and writes it out."""

    protocol_version = "HTTP/1.1"
    server_version = "ScriptedGateway/1.0"
    sys_version = ""
    timeout = 60

    @property
    def gateway(self) -> ScriptedGateway:
        """The owning gateway."""
        assert isinstance(self.server, _Server)
        return self.server.gateway

    def setup(self) -> None:
        """Count and track each connection (so stop() can close idle keep-alives)."""
        super().setup()
        self.gateway._connection_opened(self.connection)

    def finish(self) -> None:
        """Forget the connection whatever happened to it."""
        try:
            super().finish()
        finally:
            self.gateway._connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """GET entry point."""
        self._dispatch()

    def do_POST(self) -> None:
        """POST entry point."""
        self._dispatch()

    def _dispatch(self) -> None:
        """Record, answer, write."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        raw = self._read_body(headers)
        response = self.gateway._handle(self.command, self.path, headers, raw)
        self._write(response)

    def _read_body(self, headers: Mapping[str, str]) -> bytes:
        """The request body, by Content-Length or chunked transfer encoding."""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(parts)
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _write(self, response: Response) -> None:
        """Write status, headers and body; then end the body the way the response says."""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.gzip:
            self.send_header("Content-Encoding", "gzip")
        pieces = response.pieces()
        if pieces is None:
            self._write_fixed(response)
        else:
            self._write_stream(response, pieces)
        if response.ending != "done":
            self.close_connection = True
        if response.ending == "rst":
            time.sleep(0.05)
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)

    def _write_fixed(self, response: Response) -> None:
        """A Content-Length body (half of it when the response is to be dropped)."""
        payload = response.padding + response.body
        if response.gzip:
            payload = gzip.compress(payload, mtime=0)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload if response.ending == "done" else payload[: len(payload) // 2])

    def _write_stream(self, response: Response, pieces: Iterable[bytes]) -> None:
        """Chunked transfer encoding, one HTTP chunk per piece, flushed as it goes."""
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        packer = zlib.compressobj(6, zlib.DEFLATED, 31) if response.gzip else None
        for piece in pieces:
            if packer is not None:
                piece = packer.compress(piece) + packer.flush(zlib.Z_SYNC_FLUSH)
            self._chunk(piece)
        if response.ending == "done":
            if packer is not None:
                self._chunk(packer.flush())
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        """One HTTP/1.1 chunk (empty data would end the body, so it is skipped)."""
        if data:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()


# --------------------------------------------------------------------------- gateway


class ScriptedGateway:
    """The scripted OpenAI-compatible server: start/stop it or use it as a context manager.

    Why the caps: a test that forgets to stop it must not leave a server running, so it
    stops itself after `max_requests` requests, after `lifetime` seconds, or after
    `idle_timeout` seconds without requests (if set).
    """

    def __init__(
        self,
        *,
        reply: Reply | str | None = None,
        flavour: str = "openai",
        host: str = LOOPBACK,
        max_requests: int = 10_000,
        lifetime: float = 300.0,
        idle_timeout: float | None = None,
        created: int = CREATED,
        models: Sequence[str] = DEFAULT_MODELS,
        api_key: str | None = None,
        embeddings: EmbeddingsOptions | None = None,
    ) -> None:
        if host != LOOPBACK:
            raise ValueError(f"ScriptedGateway binds to {LOOPBACK} only, not {host!r}")
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}; expected one of {FLAVOURS}")
        self.flavour = flavour
        # The answer to every chat request nothing else answers (a str is Reply(str)).
        self.reply = Reply(reply) if isinstance(reply, str) else reply
        self.host = host
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.idle_timeout = idle_timeout
        self.created = created
        self.models = tuple(models)
        self.api_key = api_key
        # How /v1/embeddings bends its honest answer; read per request, so assignable.
        self.embeddings = embeddings or EmbeddingsOptions()
        # Extra fields for a model's /models entry (a window, supported parameters, ...).
        self.model_details: dict[str, JSON] = {}
        self.requests: list[RecordedRequest] = []
        self.connections_opened = 0
        self.peak_open_connections = 0
        self.errors: list[str] = []
        self.stop_reason: str | None = None
        self._faults: deque[Fault] = deque()
        self._replies: deque[Reply] = deque()
        self._script: ScriptFn | None = None
        self._embeddings_script: EmbeddingsScriptFn | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._open: set[socket.socket] = set()
        self._completions = 0
        self._served = 0
        self._active = 0
        self._started_at = 0.0
        self._last_activity = 0.0
        self._port = 0

    # -- lifecycle

    def start(self) -> ScriptedGateway:
        """Bind an ephemeral loopback port and serve from daemon threads."""
        if self._server is not None or self._stopped.is_set():
            raise RuntimeError("a ScriptedGateway can be started once")
        self._server = _Server(self)
        self._port = int(self._server.server_address[1])
        self._started_at = self._last_activity = time.monotonic()
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"scripted-gateway-{self._port}",
                daemon=True,
            ),
            threading.Thread(
                target=self._watch, name=f"scripted-watchdog-{self._port}", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, reason: str = "stopped") -> None:
        """Stop serving and close open connections; safe to call twice or from any thread."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            self.stop_reason = self.stop_reason or reason
            self._stopped.set()
            self._wake.set()
        server.shutdown()
        server.server_close()
        self._drop_connections()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def __enter__(self) -> ScriptedGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server still accepts requests."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The ephemeral port (0 before start)."""
        return self._port

    @property
    def url(self) -> str:
        """Root URL, without the /v1 prefix."""
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """What to give an OpenAI client as base_url."""
        return f"{self.url}/v1"

    # -- scripting

    def enqueue(self, *faults: Fault) -> None:
        """Queue faults; each following request consumes one, in order."""
        with self._lock:
            self._faults.extend(faults)

    @property
    def pending_faults(self) -> int:
        """Faults not consumed yet."""
        return len(self._faults)

    def queue(self, *replies: Reply | str) -> None:
        """Queue answers; each following chat request consumes one, in order (a str is
        Reply(str)). They come before `reply` and after a `script` that answers."""
        with self._lock:
            self._replies.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    @property
    def pending_replies(self) -> int:
        """Queued answers not consumed yet."""
        return len(self._replies)

    def script(self, fn: ScriptFn | None) -> ScriptFn | None:
        """Answer chat requests with fn(request_json): (status, headers, body), a Reply, or
        None to fall through to the queue and `reply`. script(None) removes it; usable as a
        decorator."""
        self._script = fn
        return fn

    def script_embeddings(self, fn: EmbeddingsScriptFn | None) -> EmbeddingsScriptFn | None:
        """Answer embeddings requests with fn(request_json): (status, headers, body), or None
        for the default vectors. Chat scripts never see embeddings requests, nor this one
        chat requests. script_embeddings(None) removes it; usable as a decorator."""
        self._embeddings_script = fn
        return fn

    def clear(self) -> None:
        """Forget recorded requests, pending faults and replies, and the scripts."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self._replies.clear()
            self._script = None
            self._embeddings_script = None

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request (IndexError when none)."""
        return self.requests[-1]

    # -- internals used by the handler

    def _connection_opened(self, conn: socket.socket) -> None:
        with self._lock:
            self.connections_opened += 1
            self._open.add(conn)
            self.peak_open_connections = max(self.peak_open_connections, len(self._open))

    def _connection_closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.discard(conn)

    def _record_error(self, text: str) -> None:
        """Keep unexpected handler tracebacks so tests can assert there were none."""
        with self._lock:
            self.errors.append(text)

    def _drop_connections(self) -> None:
        """Shut down kept-alive sockets so their handler threads return."""
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _watch(self) -> None:
        """Stop the server when a cap is reached (runs in its own daemon thread)."""
        while not self._stopped.is_set():
            self._wake.wait(0.1)
            self._wake.clear()
            reason = self._expired()
            if reason:
                self.stop(reason)
                return

    def _expired(self) -> str | None:
        """Which cap, if any, has been reached."""
        now = time.monotonic()
        if self._served >= self.max_requests and self._active == 0:
            return "request cap"
        if now - self._started_at > self.lifetime:
            return "lifetime"
        idle = self.idle_timeout
        if idle is not None and self._active == 0 and now - self._last_activity > idle:
            return "idle"
        return None

    def _handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Response:
        """Record the request and produce the response, never raising."""
        request = RecordedRequest(method, path, headers, raw, _parse(raw))
        with self._lock:
            over = self._served >= self.max_requests
            if not over:
                self._served += 1
                self.requests.append(request)
            self._active += 1
            self._last_activity = time.monotonic()
        try:
            if over:
                return json_response(
                    503, error_body(503, "scripted gateway request cap"), {"Connection": "close"}
                )
            return self._respond(request)
        except Exception:
            self._record_error(traceback.format_exc())
            return json_response(500, error_body(500, "scripted gateway crashed"))
        finally:
            with self._lock:
                self._active -= 1
                self._last_activity = time.monotonic()
            if self._served >= self.max_requests:
                self._wake.set()

    def _respond(self, request: RecordedRequest) -> Response:
        """Apply the next fault (if any) around the normal answer."""
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.kind in ("status", "not_json"):
            return fault_response(fault)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        response = self._answer(request)
        return apply_fault(response, fault) if fault is not None else response

    def _answer(self, request: RecordedRequest) -> Response:
        """Route a request to the models list, the chat completion or the embeddings."""
        if self.api_key is not None and request.headers.get("authorization") != (
            f"Bearer {self.api_key}"
        ):
            return json_response(401, error_body(401, "Incorrect API key provided."))
        route = request.path.split("?", 1)[0].rstrip("/")
        route = route[3:] if route.startswith("/v1/") else route
        if request.method == "GET" and route == "/models":
            return json_response(
                200, {"object": "list", "data": [self._model(m) for m in self.models]}
            )
        if request.method == "GET" and route.startswith("/models/"):
            name = route[len("/models/") :]
            if name in self.models:
                return json_response(200, self._model(name))
            return json_response(404, error_body(404, f"The model `{name}` does not exist"))
        if request.method == "POST" and route == "/chat/completions":
            return self._chat(request)
        if request.method == "POST" and route == "/embeddings":
            return self._embed(request)
        return json_response(404, error_body(404, f"No route for {request.method} {route}"))

    def _model(self, name: str) -> JSON:
        """One /models entry."""
        owner = name.split("/", 1)[0] if "/" in name else "skillboss"
        entry = {"id": name, "object": "model", "created": self.created, "owned_by": owner}
        return {**entry, **self.model_details.get(name, {})}

    def _embed(self, request: RecordedRequest) -> Response:
        """The embeddings script's answer if it gives one, else the honest vectors (or the
        400 OpenAI would give): embeddings need no scripting, they are a deterministic
        function of the text, so there is no answer to invent."""
        script = self._embeddings_script
        result = script(request.json if isinstance(request.json, dict) else {}) if script else None
        if result is not None:
            return script_response(result)
        return json_response(*embeddings_answer(request.json, self.embeddings))

    def _chat(self, request: RecordedRequest) -> Response:
        """Validate the body, then answer with what the test scripted: the script, the next
        queued reply, or the fixed reply; a 400 naming the request when nothing is."""
        body = request.json if isinstance(request.json, dict) else None
        script = self._script
        result = script(body or {}) if script is not None else None
        if result is not None and not isinstance(result, Reply):
            return script_response(result)
        problem = _validate(request.json)
        if problem:
            return json_response(400, error_body(400, problem))
        assert body is not None
        with self._lock:
            self._completions += 1
            n = self._completions
            reply = result or (self._replies.popleft() if self._replies else self.reply)
        if reply is None:
            asked = " ".join(request.last_user_text.split())[:80]
            return json_response(400, error_body(400, f"{NOTHING_SCRIPTED}: {asked!r}"))
        answer = render(body, reply, n=n, flavour=self.flavour, created=self.created)
        extra = {"x-request-id": f"req_scripted_{n}"}
        if isinstance(answer, list):
            headers = {
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                **extra,
            }
            return Response(200, headers, events=answer)
        return json_response(200, answer, extra)


def _parse(raw: bytes) -> Any:
    """The request body as JSON, or None when it is empty or not JSON."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _validate(body: Any) -> str | None:
    """The 400 message a real server would give for a malformed request, if any."""
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    return None
