"""One model attempt, one deadline: `timeout` bounds it from connect to last byte.

httpx's timeouts are per operation, so a server that sends a keep-alive comment every half
second, or a space before its JSON, holds a call for ever. The gateway starts a Deadline for
each model attempt and checks it after every read; the SDK clients read it (through a context
variable, since the SDK's retry loop cannot be handed one) to cap each attempt's socket
timeouts and to refuse a retry wait that would pass it. A stream also has an optional stall
limit, `stream_chunk_timeout`: the longest wait between two events.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from skillboss_core._http import http
from skillboss_core.errors import GatewayTimeoutError, StreamStalledError

_PLACEHOLDER_REQUEST = ("POST", "/chat/completions")

current: ContextVar[Deadline | None] = ContextVar("skillboss_deadline", default=None)


def _request(request: Any) -> Any:
    return request if request is not None else http.Request(*_PLACEHOLDER_REQUEST)


@dataclass(slots=True)
class Deadline:
    """When an attempt must be over (monotonic seconds), and its stream stall limit."""

    timeout: float | None
    chunk_timeout: float | None = None
    at: float | None = field(init=False)
    last_event: float = field(init=False)

    def __post_init__(self) -> None:
        now = time.monotonic()
        self.at = None if self.timeout is None else now + self.timeout
        self.last_event = now

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()

    def socket_timeout(self, request: Any = None) -> float | None:
        """What each socket operation of the next attempt may wait: never past the deadline,
        nor (for a stream) longer than the stall limit. Raises once nothing is left."""
        left = self.remaining()
        if left is not None and left <= 0:
            raise self.expired(request)
        limits = [value for value in (left, self.chunk_timeout) if value is not None]
        return min(limits) if limits else None

    def check_wait(self, seconds: float) -> None:
        """A retry wait that would pass the deadline fails now, not after sleeping."""
        left = self.remaining()
        if left is not None and seconds >= left:
            raise GatewayTimeoutError(
                f"The call would not finish within timeout={self.timeout}s: a retry would first "
                f"wait {seconds:.1f}s and only {max(left, 0):.1f}s are left. Raise `timeout`, "
                "or lower `max_retries`.",
                request=_request(None),
            )

    def after_read(self, *, events: bool, request: Any = None) -> None:
        """Check both limits after a read; `events` says whether it completed any event."""
        now = time.monotonic()
        if events:
            self.last_event = now
        elif self.chunk_timeout is not None and now - self.last_event > self.chunk_timeout:
            raise StreamStalledError(
                f"No stream event for {now - self.last_event:.1f}s "
                f"(stream_chunk_timeout={self.chunk_timeout}s): the stream is stuck; only "
                "keep-alive bytes arrived. Retry, or raise stream_chunk_timeout.",
                request=_request(request),
            )
        if self.at is not None and now > self.at:
            raise self.expired(request)

    def timed_out(self, request: Any = None) -> GatewayTimeoutError:
        """The error for a socket timeout: a stall when the stall limit was what ran out."""
        left = self.remaining()
        if self.chunk_timeout is not None and (left is None or left > 0):
            waited = time.monotonic() - self.last_event
            return StreamStalledError(
                f"No stream event for {waited:.1f}s (stream_chunk_timeout="
                f"{self.chunk_timeout}s): the stream is stuck. Retry, or raise "
                "stream_chunk_timeout.",
                request=_request(request),
            )
        return self.expired(request)

    def expired(self, request: Any = None) -> GatewayTimeoutError:
        return GatewayTimeoutError(
            f"The call did not finish within timeout={self.timeout}s (connect to last byte, "
            "retries included). Raise `timeout` for long answers, or pass timeout=... per call.",
            request=_request(request),
        )
