"""The one place that talks HTTP to the gateway: complete, stream, list models, fall back.

Requests go through the openai SDK (auth, timeouts, its single retry layer) but responses
are read as raw bytes: no pydantic object per chunk, one pass over the SSE stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeAlias, TypeVar

import openai

from skillboss_core._http import http
from skillboss_core.catalog import ModelInfo, lookup
from skillboss_core.clients import ClientPool
from skillboss_core.closing import ClosesConnections
from skillboss_core.deadline import Deadline
from skillboss_core.deadline import current as current_deadline
from skillboss_core.errors import (
    GatewayCapacityError,
    GatewayRateLimitError,
    GatewayServerError,
    InvalidResponseError,
    StreamInterruptedError,
    _ResponseContentError,
    unreachable,
)
from skillboss_core.listing import listed_facts
from skillboss_core.options import NO_OPTIONS, RequestOptions, _Unset
from skillboss_core.params import InvalidParameterError
from skillboss_core.redact import redact, shown_url
from skillboss_core.request import ChatRequest
from skillboss_core.response import BodyBuffer, parse_completion_bytes
from skillboss_core.results import ChatResult, StreamChunk
from skillboss_core.settings import GatewaySettings
from skillboss_core.stream import AsyncChatStream, ChatStream, StreamAccumulator, StreamSource

logger = logging.getLogger("skillboss_core")

_PATH = "/chat/completions"
# The SDK's switch for "hand me the undecoded response" (what with_streaming_response uses).
_RAW_STREAM = {"X-Stainless-Raw-Response": "stream", "Content-Type": "application/json"}
# Errors after which the same request may go to the next fallback model.
FALLBACK_ERRORS: tuple[type[Exception], ...] = (
    GatewayCapacityError,
    GatewayServerError,
    GatewayRateLimitError,
    openai.APIConnectionError,
)

_T = TypeVar("_T")


def encode_body(body: dict[str, Any]) -> bytes:
    """Serialise once, here, so a bad value fails clearly before anything is sent."""
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"The request cannot be sent as JSON: {exc}. Tool arguments, schemas and "
            "extra_body values must be JSON-serialisable."
        ) from None


# What the send methods take: a ChatRequest, or a ready body (tests, benchmarks, tools).
Call: TypeAlias = ChatRequest | dict[str, Any]


def _attempts(call: Call, fallback_models: Sequence[str], *, stream: bool) -> list[dict[str, Any]]:
    """The body for the model, then one per fallback model (a ChatRequest brings its own)."""
    if isinstance(call, ChatRequest):
        body = call.body(stream=stream)
        fallback_models = fallback_models or call.fallback_models
    else:
        body = call
    return [body] + [{**body, "model": model} for model in fallback_models]


def _options(call: Call) -> RequestOptions:
    return call.options if isinstance(call, ChatRequest) else NO_OPTIONS


def _log_fallback(body: dict[str, Any], error: Exception) -> None:
    logger.warning(
        "model %s failed (%s); falling back to the next model", body["model"], type(error).__name__
    )


def _interrupted(chunks: int, exc: Exception) -> StreamInterruptedError:
    return StreamInterruptedError(
        message=(
            f"The connection to the gateway broke after {chunks} stream events ({exc}); "
            "the answer is incomplete."
        ),
        request=getattr(exc, "request", None) or http.Request("POST", _PATH),
    )


@contextmanager
def _reading(
    response: Any, deadline: Deadline, accumulator: StreamAccumulator | None = None
) -> Iterator[None]:
    """httpx's failures while reading a body, as the core's typed errors."""
    try:
        yield
    except http.TimeoutException as exc:
        raise deadline.timed_out(exc.request) from exc
    except http.DecodingError as exc:
        raise InvalidResponseError(
            f"The gateway's answer could not be decoded ({exc}); a proxy may have damaged its "
            "compressed body."
        ) from exc
    except http.TransportError as exc:
        raise _interrupted(accumulator.chunks_seen if accumulator else 0, exc) from exc


@contextmanager
def _connecting(settings: GatewaySettings) -> Iterator[None]:
    """A failure to connect as an error naming the URL tried and why it failed."""
    try:
        yield
    except openai.APIConnectionError as error:
        told = unreachable(error, shown_url(settings.base_url), settings.values_to_hide())
        if told is error:
            raise
        raise told from error.__cause__


@contextmanager
def _redacting(settings: GatewaySettings) -> Iterator[None]:
    """Errors about a 200 answer (an `event: error`, a body that is not an answer) quote what
    the server sent; a proxy that echoes the key must not put it into the error."""
    try:
        yield
    except _ResponseContentError as error:
        secrets = settings.values_to_hide()
        error.message = redact(error.message, secrets)
        error.args = tuple(redact(list(error.args), secrets))
        error.body = redact(error.body, secrets)
        raise


def _body_retry_wait(attempt: int, deadline: Deadline) -> float:
    """The SDK's backoff (0.5 s doubling, up to a quarter off), refused past the deadline."""
    wait = min(0.5 * 2.0**attempt, 8.0) * (1 - 0.25 * random.random())
    deadline.check_wait(wait)
    return wait


def _read_body(response: Any, deadline: Deadline, max_bytes: int | None) -> bytes:
    """A whole body, read piece by piece so the deadline and the size cap hold throughout
    (a server dribbling whitespace before its JSON cannot hold the call)."""
    body = BodyBuffer(max_bytes=max_bytes)
    body.expect(response.headers.get("content-length"))
    with _reading(response, deadline):
        for data in response.iter_bytes():
            body.add(data)
            deadline.after_read(events=False)
    return body.bytes()


async def _aread_body(response: Any, deadline: Deadline, max_bytes: int | None) -> bytes:
    body = BodyBuffer(max_bytes=max_bytes)
    body.expect(response.headers.get("content-length"))
    with _reading(response, deadline):
        async for data in response.aiter_bytes():
            body.add(data)
            deadline.after_read(events=False)
    return body.bytes()


def _stamp(result: ChatResult, body: dict[str, Any]) -> ChatResult:
    result.requested_model = body["model"]
    if not result.model:
        result.model = body["model"]
    return result


class Gateway(ClosesConnections):
    """Sync and async access to /chat/completions and /models for one set of settings.
    `close()` / `aclose()` (or `with` / `async with`) release its pooled connections."""

    def __init__(self, settings: GatewaySettings | None = None) -> None:
        self.settings = settings or GatewaySettings()
        self.clients = ClientPool(self.settings)
        # What GET /models said of each model, once fetched (gateways with equal settings
        # share one Gateway, so this is cached per settings).
        self.listed: dict[str, dict[str, Any]] = {}

    def _client_pool(self) -> ClientPool:
        return self.clients

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]

    # -- non-streaming ------------------------------------------------------------------

    def complete(self, call: Call, *, fallback_models: Sequence[str] = ()) -> ChatResult:
        """The whole answer; `call` is a ChatRequest (or a ready body, for tests and tools)."""
        attempts = _attempts(call, fallback_models, stream=False)
        options = _options(call)
        send = options.sdk_options(_RAW_STREAM)
        for position, attempt in enumerate(attempts):
            try:
                return self._complete_once(attempt, send, self._deadline(options))
            except FALLBACK_ERRORS as error:
                if position == len(attempts) - 1:
                    raise
                _log_fallback(attempt, error)
        raise AssertionError("unreachable")

    async def acomplete(self, call: Call, *, fallback_models: Sequence[str] = ()) -> ChatResult:
        attempts = _attempts(call, fallback_models, stream=False)
        options = _options(call)
        send = options.sdk_options(_RAW_STREAM)
        for position, attempt in enumerate(attempts):
            try:
                return await self._acomplete_once(attempt, send, self._deadline(options))
            except FALLBACK_ERRORS as error:
                if position == len(attempts) - 1:
                    raise
                _log_fallback(attempt, error)
        raise AssertionError("unreachable")

    def _deadline(self, options: RequestOptions, *, streaming: bool = False) -> Deadline:
        """Each model attempt gets the whole `timeout` (per call, else the settings')."""
        timeout = self.settings.timeout if isinstance(options.timeout, _Unset) else options.timeout
        return Deadline(timeout, options.stream_chunk_timeout if streaming else None)

    def _post(self, content: bytes, send: Any, deadline: Deadline) -> Any:
        token = current_deadline.set(deadline)
        try:
            client = self.clients.sync_client()
            with _connecting(self.settings):
                return client.post(_PATH, cast_to=http.Response, content=content, options=send)
        finally:
            current_deadline.reset(token)

    async def _apost(self, content: bytes, send: Any, deadline: Deadline) -> Any:
        token = current_deadline.set(deadline)
        try:
            client = self.clients.async_client()
            with _connecting(self.settings):
                return await client.post(
                    _PATH, cast_to=http.Response, content=content, options=send
                )
        finally:
            current_deadline.reset(token)

    def _complete_once(self, body: dict[str, Any], send: Any, deadline: Deadline) -> ChatResult:
        content = encode_body(body)
        retries = send.get("max_retries", self.settings.max_retries)
        for attempt in range(retries + 1):
            response = self._post(content, send, deadline)
            try:
                data = _read_body(response, deadline, self.settings.max_body_bytes)
            except StreamInterruptedError:
                # The SDK retries failures before the body; one inside it is retried here.
                if attempt == retries:
                    raise
                time.sleep(_body_retry_wait(attempt, deadline))
                continue
            finally:
                response.close()
            with _redacting(self.settings):
                return _stamp(parse_completion_bytes(data), body)
        raise AssertionError("unreachable")

    async def _acomplete_once(
        self, body: dict[str, Any], send: Any, deadline: Deadline
    ) -> ChatResult:
        content = encode_body(body)
        retries = send.get("max_retries", self.settings.max_retries)
        for attempt in range(retries + 1):
            response = await self._apost(content, send, deadline)
            try:
                data = await _aread_body(response, deadline, self.settings.max_body_bytes)
            except StreamInterruptedError:
                if attempt == retries:
                    raise
                await asyncio.sleep(_body_retry_wait(attempt, deadline))
                continue
            finally:
                await response.aclose()
            with _redacting(self.settings):
                return _stamp(parse_completion_bytes(data), body)
        raise AssertionError("unreachable")

    # -- streaming ----------------------------------------------------------------------

    def stream(self, call: Call, *, fallback_models: Sequence[str] = ()) -> ChatStream:
        """Chunks as they arrive, and the answer so far in `.answer` (one accumulator);
        falls back to the next model only before the first chunk."""
        source = StreamSource()
        attempts = _attempts(call, fallback_models, stream=True)
        options = _options(call)
        return ChatStream(source).attach(self._stream_attempts(source, attempts, options))

    def _stream_attempts(
        self, source: StreamSource, attempts: list[dict[str, Any]], options: RequestOptions
    ) -> Iterator[StreamChunk]:
        send = options.sdk_options(_RAW_STREAM)
        for position, attempt in enumerate(attempts):
            answer = StreamAccumulator(max_event_bytes=self.settings.max_event_bytes)
            deadline = self._deadline(options, streaming=True)
            chunks = self._stream_once(attempt, answer, send, deadline)
            try:
                first = next(chunks)
            except StopIteration:
                return
            except FALLBACK_ERRORS as error:
                if position == len(attempts) - 1:
                    raise
                _log_fallback(attempt, error)
                continue
            source.answer, source.model = answer, attempt["model"]
            first.requested_model = attempt["model"]
            yield first
            yield from chunks
            return

    def astream(self, call: Call, *, fallback_models: Sequence[str] = ()) -> AsyncChatStream:
        source = StreamSource()
        attempts = _attempts(call, fallback_models, stream=True)
        options = _options(call)
        return AsyncChatStream(source).attach(self._astream_attempts(source, attempts, options))

    async def _astream_attempts(
        self, source: StreamSource, attempts: list[dict[str, Any]], options: RequestOptions
    ) -> AsyncIterator[StreamChunk]:
        send = options.sdk_options(_RAW_STREAM)
        for position, attempt in enumerate(attempts):
            answer = StreamAccumulator(max_event_bytes=self.settings.max_event_bytes)
            deadline = self._deadline(options, streaming=True)
            chunks = self._astream_once(attempt, answer, send, deadline)
            try:
                first = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except FALLBACK_ERRORS as error:
                if position == len(attempts) - 1:
                    raise
                _log_fallback(attempt, error)
                continue
            source.answer, source.model = answer, attempt["model"]
            first.requested_model = attempt["model"]
            try:
                yield first
                async for chunk in chunks:
                    yield chunk
            finally:
                await chunks.aclose()
            return

    def _stream_once(
        self,
        body: dict[str, Any],
        accumulator: StreamAccumulator,
        send: Any,
        deadline: Deadline,
    ) -> Iterator[StreamChunk]:
        response = self._post(encode_body(body), send, deadline)
        try:
            with _redacting(self.settings):
                if not _is_event_stream(response):
                    content = _read_body(response, deadline, self.settings.max_body_bytes)
                    yield from accumulator.take_result(parse_completion_bytes(content))
                    return
                with _reading(response, deadline, accumulator):
                    for data in response.iter_bytes():
                        seen = accumulator.chunks_seen
                        chunks = accumulator.feed(data)
                        deadline.after_read(events=accumulator.chunks_seen != seen)
                        yield from chunks
                yield from accumulator.close()
        finally:
            response.close()

    async def _astream_once(
        self,
        body: dict[str, Any],
        accumulator: StreamAccumulator,
        send: Any,
        deadline: Deadline,
    ) -> AsyncGenerator[StreamChunk, None]:
        response = await self._apost(encode_body(body), send, deadline)
        try:
            with _redacting(self.settings):
                if not _is_event_stream(response):
                    content = await _aread_body(response, deadline, self.settings.max_body_bytes)
                    for chunk in accumulator.take_result(parse_completion_bytes(content)):
                        yield chunk
                    return
                with _reading(response, deadline, accumulator):
                    async for data in response.aiter_bytes():
                        seen = accumulator.chunks_seen
                        chunks = accumulator.feed(data)
                        deadline.after_read(events=accumulator.chunks_seen != seen)
                        for chunk in chunks:
                            yield chunk
                for chunk in accumulator.close():
                    yield chunk
        finally:
            await response.aclose()

    # -- models -------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """Model ids the gateway serves to this key (GET /models); what the list says of
        each model (window, capabilities) is kept for `lookup`."""
        with _connecting(self.settings):
            response = self.clients.sync_client().get("/models", cast_to=http.Response)
        return self._remember(response.content)

    async def alist_models(self) -> list[str]:
        with _connecting(self.settings):
            response = await self.clients.async_client().get("/models", cast_to=http.Response)
        return self._remember(response.content)

    def model_infos(self) -> list[ModelInfo]:
        """Every model the key can use, with its facts (the gateway's own, else the catalog's)."""
        return [self.lookup(model_id) for model_id in self.list_models()]

    async def amodel_infos(self) -> list[ModelInfo]:
        return [self.lookup(model_id) for model_id in await self.alist_models()]

    def lookup(self, model_id: str, overrides: Mapping[str, Any] | None = None) -> ModelInfo:
        """`catalog.lookup`, with what GET /models said if the list was fetched; no request."""
        return lookup(model_id, overrides, listed=self.listed.get(model_id))

    def _remember(self, content: bytes) -> list[str]:
        entries = _model_entries(content)
        self.listed = {
            str(entry["id"]): facts for entry in entries if (facts := listed_facts(entry))
        }
        return [str(entry["id"]) for entry in entries]


def _is_event_stream(response: Any) -> bool:
    """False when a server ignored `stream: true` and answered with one JSON body."""
    content_type = response.headers.get("content-type", "")
    return "json" not in content_type


def _model_entries(content: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(content)["data"]
        if all(isinstance(item, dict) and "id" in item for item in data):
            return list(data)
    except (ValueError, KeyError, TypeError):
        pass
    raise InvalidResponseError("GET /models did not answer with a model list")
