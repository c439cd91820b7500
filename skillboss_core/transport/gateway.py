"""The gateway object: complete, stream, embed, list models, fall back to the next model.

Each call is planned once (`http_calls.CallPlan`: timeouts, retries, the overall
bound); every attempt goes through the transport, is retried by the one retry policy while
nothing of the answer has reached the caller, and a retryable failure of the last retry
moves on to the next fallback model. Answers are read as raw bytes in one pass.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeAlias

from skillboss_core.catalog.listing import listed_facts
from skillboss_core.catalog.models import ModelInfo, lookup
from skillboss_core.config.budget import Budgets
from skillboss_core.config.settings import GatewaySettings
from skillboss_core.errors import InvalidResponseError, _ResponseContentError
from skillboss_core.security.redact import redact
from skillboss_core.transport.clients import ClientPool
from skillboss_core.transport.closing import ClosesConnections
from skillboss_core.transport.deadline import Waits
from skillboss_core.transport.http_calls import (
    CallPlan,
    Transport,
    afalling_back,
    aread_body,
    aretrying,
    falling_back,
    read_body,
    reading,
    retrying,
)
from skillboss_core.transport.spending import AttemptSpend, EmbeddingsSpend, PromptSize
from skillboss_core.wire.decode import DEFAULT_MAX_BODY_BYTES, parse_completion_bytes
from skillboss_core.wire.embeddings import (
    EmbeddingsRequest,
    EmbeddingsResult,
    merged,
    parse_embeddings,
)
from skillboss_core.wire.options import NO_OPTIONS, RequestOptions
from skillboss_core.wire.params import InvalidParameterError
from skillboss_core.wire.request import ChatRequest, answer_to, one_tool_call_only
from skillboss_core.wire.results import ChatResult, StreamChunk
from skillboss_core.wire.stream import AsyncChatStream, ChatStream, StreamAccumulator, StreamSource

_PATH = "/chat/completions"
_EMBEDDINGS = "/embeddings"
_FLOAT_JSON_BYTES = 24  # the most one float32 takes as JSON text, with its comma


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
# A stream attempt opened up to its first chunk: the accumulator, the rest, the first.
_Opened: TypeAlias = tuple[StreamAccumulator, Iterator[StreamChunk], StreamChunk | None]
_AsyncOpened: TypeAlias = tuple[
    StreamAccumulator, AsyncGenerator[StreamChunk, None], StreamChunk | None
]


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


class Gateway(ClosesConnections):
    """Sync and async access to /chat/completions, /embeddings and /models for one set of
    settings.
    `close()` / `aclose()` (or `with` / `async with`) release its pooled connections."""

    def __init__(self, settings: GatewaySettings | None = None) -> None:
        self.settings = settings or GatewaySettings()
        self.clients = ClientPool(self.settings)
        self.transport = Transport(self.settings, self.clients)
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

    def complete(
        self,
        call: Call,
        *,
        fallback_models: Sequence[str] = (),
        budget: Budgets = None,
    ) -> ChatResult:
        """The whole answer; `call` is a ChatRequest (or a ready body, for tests and tools).
        With a `budget` (a Budget, or several: each must hold the call), each model's worst
        case is reserved before it is sent (or BudgetExceededError, nothing sent) and the
        answer's cost charged."""
        options = _options(call)
        plan = CallPlan.make(self.settings, options)
        bodies = _attempts(call, fallback_models, stream=False)
        prompt = PromptSize(bodies[0])

        def attempt(body: dict[str, Any]) -> ChatResult:
            spend = AttemptSpend(body, self.settings.discount, budget, prompt)
            try:
                return retrying(
                    plan,
                    partial(self._complete_once, body, encode_body(body), options, plan, spend),
                )
            except BaseException:
                spend.failed(answered=False)
                raise

        return falling_back(plan, bodies, attempt)[1]

    async def acomplete(
        self,
        call: Call,
        *,
        fallback_models: Sequence[str] = (),
        budget: Budgets = None,
    ) -> ChatResult:
        options = _options(call)
        plan = CallPlan.make(self.settings, options)
        bodies = _attempts(call, fallback_models, stream=False)
        prompt = PromptSize(bodies[0])

        async def attempt(body: dict[str, Any]) -> ChatResult:
            spend = AttemptSpend(body, self.settings.discount, budget, prompt)
            try:
                return await aretrying(
                    plan,
                    partial(self._acomplete_once, body, encode_body(body), options, plan, spend),
                )
            except BaseException:
                spend.failed(answered=False)
                raise

        return (await afalling_back(plan, bodies, attempt))[1]

    def _complete_once(
        self,
        body: dict[str, Any],
        content: bytes,
        options: RequestOptions,
        plan: CallPlan,
        spend: AttemptSpend,
    ) -> ChatResult:
        waits = plan.waits()
        data, headers = self.transport.fetch_with_headers(
            "POST", _PATH, content, options, waits, self.settings.max_body_bytes
        )
        with _redacting(self.settings):
            return _priced(answer_to(body, parse_completion_bytes(data)), headers, spend)

    async def _acomplete_once(
        self,
        body: dict[str, Any],
        content: bytes,
        options: RequestOptions,
        plan: CallPlan,
        spend: AttemptSpend,
    ) -> ChatResult:
        waits = plan.waits()
        data, headers = await self.transport.afetch_with_headers(
            "POST", _PATH, content, options, waits, self.settings.max_body_bytes
        )
        with _redacting(self.settings):
            return _priced(answer_to(body, parse_completion_bytes(data)), headers, spend)

    # -- streaming ----------------------------------------------------------------------

    def stream(
        self,
        call: Call,
        *,
        fallback_models: Sequence[str] = (),
        budget: Budgets = None,
    ) -> ChatStream:
        """Chunks as they arrive, and the answer so far in `.answer` (one accumulator).
        Retried, and then fallen back to the next model, only before the first chunk. The
        usage chunk carries the cost; a `budget` is checked before the first request is
        sent (when the stream is first read) and charged when the stream ends."""
        source = StreamSource()
        attempts = _attempts(call, fallback_models, stream=True)
        options = _options(call)
        return ChatStream(source).attach(self._stream_attempts(source, attempts, options, budget))

    def _stream_attempts(
        self,
        source: StreamSource,
        attempts: list[dict[str, Any]],
        options: RequestOptions,
        budget: Budgets,
    ) -> Iterator[StreamChunk]:
        plan = CallPlan.make(self.settings, options)
        prompt = PromptSize(attempts[0])

        def attempt(body: dict[str, Any]) -> tuple[AttemptSpend, _Opened]:
            spend = AttemptSpend(body, self.settings.discount, budget, prompt)
            try:
                return spend, retrying(plan, partial(self._open_stream, body, options, plan, spend))
            except BaseException:
                spend.failed(answered=False)
                raise

        body, (spend, (answer, chunks, first)) = falling_back(plan, attempts, attempt)
        try:
            if first is None:
                return
            source.answer, source.model = answer, body["model"]
            first.requested_model, first.headers = body["model"], answer.headers
            yield first
            yield from chunks
        except BaseException:
            spend.failed(answered=True)
            raise
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:  # closed now, not when collected
                close()
            spend.ended()

    def _open_stream(
        self, body: dict[str, Any], options: RequestOptions, plan: CallPlan, spend: AttemptSpend
    ) -> _Opened:
        """One attempt, up to its first chunk (what a retry may repeat)."""
        answer = self._accumulator(body)
        waits = plan.waits(streaming=True)
        chunks = self._stream_once(encode_body(body), answer, options, waits, spend)
        return answer, chunks, next(chunks, None)

    def astream(
        self,
        call: Call,
        *,
        fallback_models: Sequence[str] = (),
        budget: Budgets = None,
    ) -> AsyncChatStream:
        source = StreamSource()
        attempts = _attempts(call, fallback_models, stream=True)
        options = _options(call)
        return AsyncChatStream(source).attach(
            self._astream_attempts(source, attempts, options, budget)
        )

    async def _astream_attempts(
        self,
        source: StreamSource,
        attempts: list[dict[str, Any]],
        options: RequestOptions,
        budget: Budgets,
    ) -> AsyncIterator[StreamChunk]:
        plan = CallPlan.make(self.settings, options)
        prompt = PromptSize(attempts[0])

        async def attempt(body: dict[str, Any]) -> tuple[AttemptSpend, _AsyncOpened]:
            spend = AttemptSpend(body, self.settings.discount, budget, prompt)
            try:
                opened = await aretrying(
                    plan, partial(self._aopen_stream, body, options, plan, spend)
                )
            except BaseException:
                spend.failed(answered=False)
                raise
            return spend, opened

        body, (spend, (answer, chunks, first)) = await afalling_back(plan, attempts, attempt)
        try:
            if first is None:
                return
            source.answer, source.model = answer, body["model"]
            first.requested_model, first.headers = body["model"], answer.headers
            yield first
            async for chunk in chunks:
                yield chunk
        except BaseException:
            spend.failed(answered=True)
            raise
        finally:
            await chunks.aclose()
            spend.ended()

    async def _aopen_stream(
        self, body: dict[str, Any], options: RequestOptions, plan: CallPlan, spend: AttemptSpend
    ) -> _AsyncOpened:
        answer = self._accumulator(body)
        waits = plan.waits(streaming=True)
        chunks = self._astream_once(encode_body(body), answer, options, waits, spend)
        try:
            first = await chunks.__anext__()
        except StopAsyncIteration:
            return answer, chunks, None
        except BaseException:
            await chunks.aclose()
            raise
        return answer, chunks, first

    def _accumulator(self, body: dict[str, Any]) -> StreamAccumulator:
        return StreamAccumulator(
            max_event_bytes=self.settings.max_event_bytes,
            one_tool_call=one_tool_call_only(body),
        )

    def _stream_once(
        self,
        content: bytes,
        accumulator: StreamAccumulator,
        options: RequestOptions,
        waits: Waits,
        spend: AttemptSpend,
    ) -> Iterator[StreamChunk]:
        response = self.transport.send("POST", _PATH, content, options, waits)
        accumulator.headers = response.headers
        try:
            with _redacting(self.settings):
                if not _is_event_stream(response):
                    data = read_body(response, waits, self.settings.max_body_bytes)
                    chunks = accumulator.take_result(parse_completion_bytes(data))
                    yield from _priced_tail(chunks, accumulator, spend)
                    return
                with reading(waits, lambda: accumulator.chunks_seen):
                    for data in response.iter_bytes():
                        seen = accumulator.chunks_seen
                        chunks = accumulator.feed(data)
                        waits.after_read(progress=accumulator.chunks_seen != seen)
                        yield from chunks
                yield from _priced_tail(accumulator.close(), accumulator, spend)
        finally:
            response.close()

    async def _astream_once(
        self,
        content: bytes,
        accumulator: StreamAccumulator,
        options: RequestOptions,
        waits: Waits,
        spend: AttemptSpend,
    ) -> AsyncGenerator[StreamChunk, None]:
        response = await self.transport.asend("POST", _PATH, content, options, waits)
        accumulator.headers = response.headers
        try:
            with _redacting(self.settings):
                if not _is_event_stream(response):
                    data = await aread_body(response, waits, self.settings.max_body_bytes)
                    chunks = accumulator.take_result(parse_completion_bytes(data))
                    for chunk in _priced_tail(chunks, accumulator, spend):
                        yield chunk
                    return
                with reading(waits, lambda: accumulator.chunks_seen):
                    async for data in response.aiter_bytes():
                        seen = accumulator.chunks_seen
                        chunks = accumulator.feed(data)
                        waits.after_read(progress=accumulator.chunks_seen != seen)
                        for chunk in chunks:
                            yield chunk
                for chunk in _priced_tail(accumulator.close(), accumulator, spend):
                    yield chunk
        finally:
            await response.aclose()

    # -- embeddings ---------------------------------------------------------------------

    def embed(
        self, request: EmbeddingsRequest, texts: Sequence[str], *, budget: Budgets = None
    ) -> EmbeddingsResult:
        """Vectors for `texts`, in their order: batches of `request.batch_size`, up to
        `request.concurrency` in flight (threads sharing one connection pool), each retried
        by the one retry policy. The first batch to fail is raised, typed, as soon as it
        fails; no batch is sent or retried after it. No texts: no request. The result's
        `cost` sums the batches'; with a `budget`, the worst case of all the texts is
        reserved before the first batch is sent (or BudgetExceededError, nothing sent)."""
        checked = request.check_texts(texts)
        spend = EmbeddingsSpend(
            str(request.fields["model"]),
            checked,
            len(request.batches(checked)),
            self.settings.discount,
            budget,
        )
        try:
            return self._embed_all(request, checked, spend)
        finally:
            spend.ended()

    def _embed_all(
        self, request: EmbeddingsRequest, checked: list[str], spend: EmbeddingsSpend
    ) -> EmbeddingsResult:
        plan = CallPlan.make(self.settings, request.options)
        batches = request.batches(checked)
        if len(batches) <= 1 or request.concurrency == 1:
            return merged([self._embed_batch(request, plan, batch, spend) for batch in batches])
        first_failure: list[BaseException] = []
        lock = threading.Lock()

        def one(batch: Sequence[str]) -> EmbeddingsResult | None:
            if plan.given_up.is_set():
                return None  # the call already failed: never sent
            try:
                return self._embed_batch(request, plan, batch, spend)
            except BaseException as error:
                with lock:
                    first_failure.append(error)
                plan.given_up.set()  # no batch sent, nor retried, after it
                raise

        workers = ThreadPoolExecutor(min(request.concurrency, len(batches)))
        try:
            futures = [workers.submit(one, batch) for batch in batches]
            wait(futures, return_when=FIRST_EXCEPTION)
            if first_failure:
                raise first_failure[0]
            results = [future.result() for future in futures]
            return merged([result for result in results if result is not None])
        finally:
            # On a failure (or Ctrl-C): queued batches are dropped, batches in flight end
            # with their current attempt in the background; nothing waits for them.
            plan.given_up.set()
            workers.shutdown(wait=False, cancel_futures=True)

    async def aembed(
        self, request: EmbeddingsRequest, texts: Sequence[str], *, budget: Budgets = None
    ) -> EmbeddingsResult:
        """`embed` on the running event loop: batches as tasks, at most `concurrency` at
        once; a failure (or the caller's cancellation) cancels the others."""
        checked = request.check_texts(texts)
        spend = EmbeddingsSpend(
            str(request.fields["model"]),
            checked,
            len(request.batches(checked)),
            self.settings.discount,
            budget,
        )
        try:
            return await self._aembed_all(request, checked, spend)
        finally:
            spend.ended()

    async def _aembed_all(
        self, request: EmbeddingsRequest, checked: list[str], spend: EmbeddingsSpend
    ) -> EmbeddingsResult:
        plan = CallPlan.make(self.settings, request.options)
        batches = request.batches(checked)
        if len(batches) <= 1:
            return merged(
                [await self._aembed_batch(request, plan, batch, spend) for batch in batches]
            )
        slots = asyncio.Semaphore(request.concurrency)
        failed = asyncio.Event()

        async def one(batch: Sequence[str]) -> EmbeddingsResult:
            async with slots:
                if failed.is_set():
                    raise asyncio.CancelledError  # the call already failed: never sent
                try:
                    return await self._aembed_batch(request, plan, batch, spend)
                except BaseException:
                    failed.set()  # before the slot is free for the next batch
                    raise

        tasks = [asyncio.ensure_future(one(batch)) for batch in batches]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            error = next(
                (t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()),
                None,
            )
            if error is not None:
                raise error
            return merged([task.result() for task in tasks])
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _embed_batch(
        self,
        request: EmbeddingsRequest,
        plan: CallPlan,
        batch: Sequence[str],
        spend: EmbeddingsSpend,
    ) -> EmbeddingsResult:
        content = encode_body(request.body(batch))
        once = partial(self._embed_once, request, content, len(batch), plan, spend)
        spend.sending()
        return retrying(plan, once)

    async def _aembed_batch(
        self,
        request: EmbeddingsRequest,
        plan: CallPlan,
        batch: Sequence[str],
        spend: EmbeddingsSpend,
    ) -> EmbeddingsResult:
        content = encode_body(request.body(batch))
        once = partial(self._aembed_once, request, content, len(batch), plan, spend)
        spend.sending()
        return await aretrying(plan, once)

    def _embed_once(
        self,
        request: EmbeddingsRequest,
        content: bytes,
        count: int,
        plan: CallPlan,
        spend: EmbeddingsSpend,
    ) -> EmbeddingsResult:
        waits = plan.waits()
        data, headers = self.transport.fetch_with_headers(
            "POST", _EMBEDDINGS, content, request.options, waits, self._embeddings_cap(count)
        )
        with _redacting(self.settings):
            result = parse_embeddings(data, count, request.fields.get("dimensions"))
        result.cost = spend.price(result.model, result.usage, headers)
        return result

    def _embeddings_cap(self, count: int) -> int | None:
        """The body cap for `count` vectors: the setting if given, else room for that many
        4096-dimension vectors as JSON floats (a full float batch of text-embedding-3-large
        passes the chat answers' 64 MiB default)."""
        if self.settings.max_body_bytes is not None:
            return self.settings.max_body_bytes
        return max(DEFAULT_MAX_BODY_BYTES, count * 4096 * _FLOAT_JSON_BYTES)

    async def _aembed_once(
        self,
        request: EmbeddingsRequest,
        content: bytes,
        count: int,
        plan: CallPlan,
        spend: EmbeddingsSpend,
    ) -> EmbeddingsResult:
        waits = plan.waits()
        data, headers = await self.transport.afetch_with_headers(
            "POST", _EMBEDDINGS, content, request.options, waits, self._embeddings_cap(count)
        )
        with _redacting(self.settings):
            result = parse_embeddings(data, count, request.fields.get("dimensions"))
        result.cost = spend.price(result.model, result.usage, headers)
        return result

    # -- models -------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """Model ids the gateway serves to this key (GET /models); what the list says of
        each model (window, capabilities) is kept for `lookup`."""
        plan = CallPlan.make(self.settings, NO_OPTIONS)
        return self._remember(retrying(plan, partial(self._get_models, plan)))

    async def alist_models(self) -> list[str]:
        plan = CallPlan.make(self.settings, NO_OPTIONS)
        return self._remember(await aretrying(plan, partial(self._aget_models, plan)))

    def _get_models(self, plan: CallPlan) -> bytes:
        waits = plan.waits()
        return self.transport.fetch(
            "GET", "/models", None, NO_OPTIONS, waits, self.settings.max_body_bytes
        )

    async def _aget_models(self, plan: CallPlan) -> bytes:
        waits = plan.waits()
        return await self.transport.afetch(
            "GET", "/models", None, NO_OPTIONS, waits, self.settings.max_body_bytes
        )

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


def _priced(result: ChatResult, headers: Mapping[str, str], spend: AttemptSpend) -> ChatResult:
    """The answer with its headers and its cost (charged to the attempt's budget)."""
    result.headers = headers
    result.cost = spend.price(result.model, result.usage, headers)
    return result


def _priced_tail(
    chunks: list[StreamChunk], answer: StreamAccumulator, spend: AttemptSpend
) -> list[StreamChunk]:
    """The last chunks of a stream that ended well: the usage chunk (the last one, when the
    gateway reported usage) gets the cost, which is charged to the attempt's budget."""
    cost = spend.price(answer.model, answer.usage, answer.headers)
    if chunks and chunks[-1].usage is not None:
        chunks[-1].cost = answer.cost = cost
    return chunks


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
