"""Timeouts with separate meanings: each wait for progress, and optionally the whole call.

`timeout` bounds every wait for progress: connecting, the first byte of the answer, the gap
between two stream events, the gap between two pieces of a JSON body. A long answer that
keeps progressing is never cut by it (the openai SDK's timeout means the same). Keep-alive
bytes are not progress: an SSE comment, a blank line or whitespace before a JSON body does
not reset the clock, so a server that only pings still fails within `timeout` (httpx's own
per-read timeout would wait for ever). `stream_chunk_timeout` is an optional shorter bound on
a stream's waits. `total_timeout` (after aiohttp's `ClientTimeout(total=...)`) bounds the
whole call: every attempt, the waits between them and the fallback models.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from skillboss_core.errors import GatewayTimeoutError, StreamStalledError
from skillboss_core.transport.http_library import http

_PLACEHOLDER_REQUEST = ("POST", "/chat/completions")


def _request(request: Any) -> Any:
    return request if request is not None else http.Request(*_PLACEHOLDER_REQUEST)


def _smallest(*values: float | None) -> float | None:
    given = [value for value in values if value is not None]
    return min(given) if given else None


@dataclass(slots=True)
class CallBound:
    """`total_timeout` for one call (None: no bound), from the moment the call starts."""

    total: float | None
    at: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.at = None if self.total is None else time.monotonic() + self.total

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def check_wait(self, seconds: float) -> None:
        """A retry wait that would pass the bound fails now, not after sleeping."""
        left = self.remaining()
        if left is not None and seconds >= left:
            raise GatewayTimeoutError(
                f"The call would not finish within total_timeout={self.total}s: a retry would "
                f"first wait {seconds:.1f}s and only {max(left, 0):.1f}s are left. Raise "
                "`total_timeout`, or lower `max_retries`.",
                request=_request(None),
            )

    def exceeded(self, request: Any = None) -> GatewayTimeoutError:
        return GatewayTimeoutError(
            f"The call did not finish within total_timeout={self.total}s (every attempt, the "
            "waits between them and fallback models included). Raise `total_timeout`, or "
            "leave it unset to bound only each wait (`timeout`).",
            request=_request(request),
        )


@dataclass(slots=True)
class Waits:
    """The clocks of one attempt: when progress last happened, and the limits on waiting."""

    timeout: float | None
    bound: CallBound
    chunk_timeout: float | None = None
    streaming: bool = False
    last_progress: float = field(init=False)
    answered: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.last_progress = time.monotonic()

    def gap_limit(self) -> float | None:
        """The longest wait for progress (a stream's may be shorter: stream_chunk_timeout)."""
        return _smallest(self.timeout, self.chunk_timeout if self.streaming else None)

    def socket_timeout(self) -> Any:
        """httpx's timeouts for this attempt's socket operations: never past the call's
        bound (raises once nothing is left), nor longer than the longest wait."""
        left = self.bound.remaining()
        if left is not None and left <= 0:
            raise self.bound.exceeded()
        return http.Timeout(_smallest(self.gap_limit(), left))

    def got_response(self) -> None:
        """The status line and headers arrived: the wait for the first event or piece starts."""
        self.answered = True
        self.last_progress = time.monotonic()

    def after_read(self, *, progress: bool, request: Any = None) -> None:
        """Check the limits after a read; `progress` says whether it brought any of the
        answer (a stream event, a non-whitespace piece of a body)."""
        now = time.monotonic()
        if progress:
            self.last_progress = now
        else:
            limit = self.gap_limit()
            if limit is not None and now - self.last_progress > limit:
                raise self._no_progress(now - self.last_progress, request)
        if self.bound.at is not None and now >= self.bound.at:
            raise self.bound.exceeded(request)

    def timed_out(self, request: Any = None) -> GatewayTimeoutError:
        """The error for a socket operation that timed out."""
        if self.bound.expired():
            return self.bound.exceeded(request)
        return self._no_progress(time.monotonic() - self.last_progress, request)

    def _no_progress(self, waited: float, request: Any) -> GatewayTimeoutError:
        name, limit = self._stream_limit() if self.streaming else ("timeout", self.timeout)
        if name == "stream_chunk_timeout" and not self.answered:
            return StreamStalledError(
                f"No answer from the gateway for {waited:.1f}s (stream_chunk_timeout={limit}s "
                "also bounds the wait for a stream's first byte). Raise stream_chunk_timeout "
                "for slow models.",
                request=_request(request),
            )
        if self.streaming and self.answered:
            return StreamStalledError(
                f"No stream event for {waited:.1f}s ({name}={limit}s): the stream is stuck; "
                f"at most keep-alive bytes arrived. Retry, or raise {name}.",
                request=_request(request),
            )
        what = "its answer" if self.answered else "an answer (connecting or the first byte)"
        return GatewayTimeoutError(
            f"Waited {waited:.1f}s for {what} from the gateway (timeout={self.timeout}s bounds "
            "each wait for progress; keep-alive bytes do not count). Raise `timeout` for "
            "slow models, or pass timeout=... per call.",
            request=_request(request),
        )

    def _stream_limit(self) -> tuple[str, float | None]:
        if self.chunk_timeout is not None and (
            self.timeout is None or self.chunk_timeout <= self.timeout
        ):
            return "stream_chunk_timeout", self.chunk_timeout
        return "timeout", self.timeout
