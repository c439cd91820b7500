"""HTTP to the gateway: one request with its timeouts and typed errors, and the retry loop.

Requests go straight through the HTTP library the openai SDK is built on (pooled clients
from skillboss_core.transport.clients), not through the SDK: responses are read as raw bytes (no
pydantic object per chunk), every wait is bounded as skillboss_core.transport.deadline says, and the
one retry policy (skillboss_core.transport.retries) decides every retry. Errors are the core's typed
classes, each also the openai SDK's public class for its case. The logic is shared; the
sync and async shells only do the I/O.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from skillboss_core.config.settings import GatewaySettings
from skillboss_core.errors import (
    BudgetExceededError,
    InvalidResponseError,
    StreamInterruptedError,
)
from skillboss_core.security.redact import shown_url
from skillboss_core.transport.clients import ClientPool
from skillboss_core.transport.deadline import CallBound, Waits
from skillboss_core.transport.failures import status_error, unreachable
from skillboss_core.transport.http_library import http
from skillboss_core.transport.retries import is_retryable, wait_before_retry
from skillboss_core.wire.decode import BodyBuffer
from skillboss_core.wire.options import RequestOptions, _Unset

_T = TypeVar("_T")
logger = logging.getLogger("skillboss_core")


@dataclass(slots=True)
class CallPlan:
    """How one call may spend its time: the limits of each attempt, how many retries, the
    overall bound. Made per call from the settings and the call's options."""

    timeout: float | None
    chunk_timeout: float | None
    max_retries: int
    bound: CallBound
    # Set when the call has failed elsewhere (another batch of an embeddings call): nothing
    # more is retried.
    given_up: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def make(cls, settings: GatewaySettings, options: RequestOptions) -> CallPlan:
        timeout = settings.timeout if isinstance(options.timeout, _Unset) else options.timeout
        total = (
            settings.total_timeout
            if isinstance(options.total_timeout, _Unset)
            else options.total_timeout
        )
        retries = settings.max_retries if options.max_retries is None else options.max_retries
        return cls(timeout, options.stream_chunk_timeout, retries, CallBound(total))

    def waits(self, *, streaming: bool = False) -> Waits:
        """The clocks of a new attempt."""
        return Waits(self.timeout, self.bound, self.chunk_timeout, streaming)

    def next_wait(self, error: BaseException, retries_done: int) -> float | None:
        """Seconds to wait before sending again after `error`, or None to give up. A wait
        that would pass the overall bound raises the timeout error now."""
        if (
            not is_retryable(error)
            or retries_done >= self.max_retries
            or self.bound.expired()
            or self.given_up.is_set()
        ):
            return None
        wait = wait_before_retry(error, retries_done)
        self.bound.check_wait(wait)
        return wait

    def falls_back(self, error: BaseException) -> bool:
        """Whether the next fallback model may be tried after this model's last error."""
        return is_retryable(error) and not self.bound.expired()


def retrying(plan: CallPlan, attempt: Callable[[], _T]) -> _T:
    """`attempt()` until it succeeds or the plan says stop (then its error is raised)."""
    retries_done = 0
    while True:
        try:
            return attempt()
        except Exception as error:
            wait = plan.next_wait(error, retries_done)
            if wait is None:
                raise
        time.sleep(wait)
        retries_done += 1


async def aretrying(plan: CallPlan, attempt: Callable[[], Awaitable[_T]]) -> _T:
    retries_done = 0
    while True:
        try:
            return await attempt()
        except Exception as error:
            wait = plan.next_wait(error, retries_done)
            if wait is None:
                raise
        await asyncio.sleep(wait)
        retries_done += 1


def _log_fallback(body: dict[str, Any], error: Exception) -> None:
    logger.warning(
        "model %s failed (%s); falling back to the next model", body["model"], type(error).__name__
    )


def _chain_refusal(error: Exception, previous: Exception | None) -> None:
    """A budget that refuses a fallback model names why there was a fallback at all."""
    if previous is not None and isinstance(error, BudgetExceededError):
        error.__cause__ = previous


def falling_back(
    plan: CallPlan, bodies: list[dict[str, Any]], attempt: Callable[[dict[str, Any]], _T]
) -> tuple[dict[str, Any], _T]:
    """`attempt(body)` for the model's body, then for each fallback model's while the plan
    says a failure may fall back: the body that answered, and its result."""
    last = len(bodies) - 1
    previous: Exception | None = None
    for position, body in enumerate(bodies):
        try:
            return body, attempt(body)
        except Exception as error:
            _chain_refusal(error, previous)
            if position == last or not plan.falls_back(error):
                raise
            _log_fallback(body, error)
            previous = error
    raise AssertionError("no model to try")


async def afalling_back(
    plan: CallPlan,
    bodies: list[dict[str, Any]],
    attempt: Callable[[dict[str, Any]], Awaitable[_T]],
) -> tuple[dict[str, Any], _T]:
    last = len(bodies) - 1
    previous: Exception | None = None
    for position, body in enumerate(bodies):
        try:
            return body, await attempt(body)
        except Exception as error:
            _chain_refusal(error, previous)
            if position == last or not plan.falls_back(error):
                raise
            _log_fallback(body, error)
            previous = error
    raise AssertionError("no model to try")


def _request_of(failure: Any) -> Any:
    try:
        return failure.request
    except (AttributeError, RuntimeError):  # httpx raises RuntimeError when none is set
        return None


@contextmanager
def reading(waits: Waits, chunks_seen: Callable[[], int] = lambda: 0) -> Iterator[None]:
    """The HTTP library's failures while reading a body, as the core's typed errors."""
    try:
        yield
    except http.TimeoutException as exc:
        raise waits.timed_out(_request_of(exc)) from exc
    except http.DecodingError as exc:
        raise InvalidResponseError(
            f"The gateway's answer could not be decoded ({exc}); a proxy may have damaged its "
            "compressed body."
        ) from exc
    except http.TransportError as exc:
        seen = chunks_seen()
        where = f"after {seen} stream events" if seen else "while its answer was being read"
        raise StreamInterruptedError(
            message=f"The connection to the gateway broke {where} ({exc}); the answer is "
            "incomplete.",
            request=_request_of(exc) or http.Request("POST", "/chat/completions"),
        ) from exc


def read_body(response: Any, waits: Waits, max_bytes: int | None) -> bytes:
    """A whole body, read piece by piece so the waits and the size cap hold throughout (a
    server dribbling whitespace before its JSON cannot hold the call)."""
    body = BodyBuffer(max_bytes=max_bytes)
    body.expect(response.headers.get("content-length"))
    with reading(waits):
        for data in response.iter_bytes():
            body.add(data)
            waits.after_read(progress=not data.isspace())
    return body.bytes()


async def aread_body(response: Any, waits: Waits, max_bytes: int | None) -> bytes:
    body = BodyBuffer(max_bytes=max_bytes)
    body.expect(response.headers.get("content-length"))
    with reading(waits):
        async for data in response.aiter_bytes():
            body.add(data)
            waits.after_read(progress=not data.isspace())
    return body.bytes()


class Transport:
    """Sends one request to the gateway and hands back a 2xx response whose body is not yet
    read (the caller reads and closes it); any other status is raised as its typed error."""

    def __init__(self, settings: GatewaySettings, clients: ClientPool) -> None:
        self.settings = settings
        self.clients = clients

    def _build(
        self,
        client: Any,
        method: str,
        path: str,
        content: bytes | None,
        options: RequestOptions,
        waits: Waits,
    ) -> Any:
        return client.build_request(
            method,
            path,
            content=content,
            headers=dict(options.extra_headers) if options.extra_headers else None,
            params=dict(options.extra_query) if options.extra_query else None,
            timeout=waits.socket_timeout(),
        )

    def _failed(self, failure: Exception, waits: Waits, request: Any) -> Exception:
        if isinstance(failure, http.TimeoutException):
            return waits.timed_out(request)
        return unreachable(
            failure,
            shown_url(self.settings.base_url),
            self.settings.values_to_hide(),
            request=request,
        )

    def send(
        self,
        method: str,
        path: str,
        content: bytes | None,
        options: RequestOptions,
        waits: Waits,
    ) -> Any:
        client = self.clients.sync_client()
        request = self._build(client, method, path, content, options, waits)
        try:
            response = client.send(request, stream=True)
        except http.RequestError as failure:  # transport failures, a redirect loop
            raise self._failed(failure, waits, request) from failure
        waits.got_response()
        if 200 <= response.status_code < 300:
            return response
        try:
            content = read_body(response, waits, self.settings.max_body_bytes)
        finally:
            response.close()
        raise status_error(response, content, self.settings.values_to_hide())

    async def asend(
        self,
        method: str,
        path: str,
        content: bytes | None,
        options: RequestOptions,
        waits: Waits,
    ) -> Any:
        client = self.clients.async_client()
        request = self._build(client, method, path, content, options, waits)
        try:
            response = await client.send(request, stream=True)
        except http.RequestError as failure:  # transport failures, a redirect loop
            raise self._failed(failure, waits, request) from failure
        waits.got_response()
        if 200 <= response.status_code < 300:
            return response
        try:
            content = await aread_body(response, waits, self.settings.max_body_bytes)
        finally:
            await response.aclose()
        raise status_error(response, content, self.settings.values_to_hide())

    def fetch_with_headers(
        self,
        method: str,
        path: str,
        content: bytes | None,
        options: RequestOptions,
        waits: Waits,
        max_bytes: int | None,
    ) -> tuple[bytes, Mapping[str, str]]:
        """`fetch`, and the answer's headers (request id, cost and rate-limit headers)."""
        response = self.send(method, path, content, options, waits)
        try:
            return read_body(response, waits, max_bytes), response.headers
        finally:
            response.close()

    async def afetch_with_headers(
        self,
        method: str,
        path: str,
        content: bytes | None,
        options: RequestOptions,
        waits: Waits,
        max_bytes: int | None,
    ) -> tuple[bytes, Mapping[str, str]]:
        response = await self.asend(method, path, content, options, waits)
        try:
            return await aread_body(response, waits, max_bytes), response.headers
        finally:
            await response.aclose()

    def fetch(
        self,
        method: str,
        path: str,
        content: bytes | None,
        options: RequestOptions,
        waits: Waits,
        max_bytes: int | None,
    ) -> bytes:
        """`send`, then the whole 2xx body read under the same waits and cap, then closed."""
        return self.fetch_with_headers(method, path, content, options, waits, max_bytes)[0]

    async def afetch(
        self,
        method: str,
        path: str,
        content: bytes | None,
        options: RequestOptions,
        waits: Waits,
        max_bytes: int | None,
    ) -> bytes:
        fetched = await self.afetch_with_headers(method, path, content, options, waits, max_bytes)
        return fetched[0]
