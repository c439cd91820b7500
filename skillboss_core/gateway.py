"""The one place that talks HTTP to the gateway: complete, stream, list models, fall back.

Requests go through the openai SDK (auth, timeouts, its single retry layer) but responses
are read as raw bytes: no pydantic object per chunk, one pass over the SSE stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from typing import Any, TypeAlias, TypeVar

import openai

from skillboss_core._http import http
from skillboss_core.clients import ClientPool
from skillboss_core.errors import (
    GatewayCapacityError,
    GatewayRateLimitError,
    GatewayServerError,
    InvalidResponseError,
    StreamInterruptedError,
)
from skillboss_core.options import NO_OPTIONS, RequestOptions
from skillboss_core.params import InvalidParameterError
from skillboss_core.request import ChatRequest
from skillboss_core.response import parse_completion_bytes
from skillboss_core.results import ChatResult, StreamChunk
from skillboss_core.settings import GatewaySettings
from skillboss_core.stream import AsyncChatStream, ChatStream, StreamAccumulator, StreamSource

logger = logging.getLogger("skillboss_core")

_PATH = "/chat/completions"
# The SDK's switch for "hand me the undecoded response" (what with_streaming_response uses).
_RAW_STREAM = {"X-Stainless-Raw-Response": "stream", "Content-Type": "application/json"}
_RAW_READ = {"Content-Type": "application/json"}
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


def _timed_out(exc: Any) -> openai.APITimeoutError:
    return openai.APITimeoutError(request=exc.request)


def _stamp(result: ChatResult, body: dict[str, Any]) -> ChatResult:
    result.requested_model = body["model"]
    if not result.model:
        result.model = body["model"]
    return result


class Gateway:
    """Sync and async access to /chat/completions and /models for one set of settings."""

    def __init__(self, settings: GatewaySettings | None = None) -> None:
        self.settings = settings or GatewaySettings()
        self.clients = ClientPool(self.settings)

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]

    # -- non-streaming ------------------------------------------------------------------

    def complete(self, call: Call, *, fallback_models: Sequence[str] = ()) -> ChatResult:
        """The whole answer; `call` is a ChatRequest (or a ready body, for tests and tools)."""
        attempts = _attempts(call, fallback_models, stream=False)
        send = _options(call).sdk_options(_RAW_READ)
        for position, attempt in enumerate(attempts):
            try:
                return self._complete_once(attempt, send)
            except FALLBACK_ERRORS as error:
                if position == len(attempts) - 1:
                    raise
                _log_fallback(attempt, error)
        raise AssertionError("unreachable")

    async def acomplete(self, call: Call, *, fallback_models: Sequence[str] = ()) -> ChatResult:
        attempts = _attempts(call, fallback_models, stream=False)
        send = _options(call).sdk_options(_RAW_READ)
        for position, attempt in enumerate(attempts):
            try:
                return await self._acomplete_once(attempt, send)
            except FALLBACK_ERRORS as error:
                if position == len(attempts) - 1:
                    raise
                _log_fallback(attempt, error)
        raise AssertionError("unreachable")

    def _complete_once(self, body: dict[str, Any], send: Any) -> ChatResult:
        content = encode_body(body)
        client = self.clients.sync_client()
        response = client.post(_PATH, cast_to=http.Response, content=content, options=send)
        return _stamp(parse_completion_bytes(response.content), body)

    async def _acomplete_once(self, body: dict[str, Any], send: Any) -> ChatResult:
        content = encode_body(body)
        client = self.clients.async_client()
        response = await client.post(_PATH, cast_to=http.Response, content=content, options=send)
        return _stamp(parse_completion_bytes(response.content), body)

    # -- streaming ----------------------------------------------------------------------

    def stream(self, call: Call, *, fallback_models: Sequence[str] = ()) -> ChatStream:
        """Chunks as they arrive, and the answer so far in `.answer` (one accumulator);
        falls back to the next model only before the first chunk."""
        source = StreamSource()
        attempts = _attempts(call, fallback_models, stream=True)
        send = _options(call).sdk_options(_RAW_STREAM)
        return ChatStream(source).attach(self._stream_attempts(source, attempts, send))

    def _stream_attempts(
        self, source: StreamSource, attempts: list[dict[str, Any]], send: Any
    ) -> Iterator[StreamChunk]:
        for position, attempt in enumerate(attempts):
            answer = StreamAccumulator()
            chunks = self._stream_once(attempt, answer, send)
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
        send = _options(call).sdk_options(_RAW_STREAM)
        return AsyncChatStream(source).attach(self._astream_attempts(source, attempts, send))

    async def _astream_attempts(
        self, source: StreamSource, attempts: list[dict[str, Any]], send: Any
    ) -> AsyncIterator[StreamChunk]:
        for position, attempt in enumerate(attempts):
            answer = StreamAccumulator()
            chunks = self._astream_once(attempt, answer, send)
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
        self, body: dict[str, Any], accumulator: StreamAccumulator, send: Any
    ) -> Iterator[StreamChunk]:
        content = encode_body(body)
        client = self.clients.sync_client()
        response = client.post(_PATH, cast_to=http.Response, content=content, options=send)
        try:
            if not _is_event_stream(response):
                yield from accumulator.take_result(parse_completion_bytes(response.read()))
                return
            try:
                for data in response.iter_bytes():
                    yield from accumulator.feed(data)
            except http.TimeoutException as exc:
                raise _timed_out(exc) from exc
            except http.TransportError as exc:
                raise _interrupted(accumulator.chunks_seen, exc) from exc
            yield from accumulator.close()
        finally:
            response.close()

    async def _astream_once(
        self, body: dict[str, Any], accumulator: StreamAccumulator, send: Any
    ) -> AsyncGenerator[StreamChunk, None]:
        content = encode_body(body)
        client = self.clients.async_client()
        response = await client.post(_PATH, cast_to=http.Response, content=content, options=send)
        try:
            if not _is_event_stream(response):
                for chunk in accumulator.take_result(
                    parse_completion_bytes(await response.aread())
                ):
                    yield chunk
                return
            try:
                async for data in response.aiter_bytes():
                    for chunk in accumulator.feed(data):
                        yield chunk
            except http.TimeoutException as exc:
                raise _timed_out(exc) from exc
            except http.TransportError as exc:
                raise _interrupted(accumulator.chunks_seen, exc) from exc
            for chunk in accumulator.close():
                yield chunk
        finally:
            await response.aclose()

    # -- models -------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """Model ids the gateway serves to this key (GET /models)."""
        response = self.clients.sync_client().get("/models", cast_to=http.Response)
        return _model_ids(response.content)

    async def alist_models(self) -> list[str]:
        response = await self.clients.async_client().get("/models", cast_to=http.Response)
        return _model_ids(response.content)


def _is_event_stream(response: Any) -> bool:
    """False when a server ignored `stream: true` and answered with one JSON body."""
    content_type = response.headers.get("content-type", "")
    return "json" not in content_type


def _model_ids(content: bytes) -> list[str]:
    try:
        data = json.loads(content)
        return [str(item["id"]) for item in data["data"]]
    except (ValueError, KeyError, TypeError):
        raise InvalidResponseError("GET /models did not answer with a model list") from None
