"""The one retry policy: what is retried, how long to wait first, when to fall back.

Every path (sync, async, stream, models list) reads these rules, and every error's
`is_retryable` comes from them: a status error gets `retryable_status`, the core's other
errors carry their class's flag (connection failures, timeouts, a broken body, an error
object inside a 200 answer are retryable; a 200 that is not an answer and a size cap passed
are not). The transport retries
exactly the retryable failures that happen before any part of the answer reached the
caller, up to `max_retries` times, waiting `wait_before_retry` seconds each time; then a
retryable failure moves on to the next fallback model. Waits follow the openai SDK's:
the server's `retry-after-ms` / `retry-after` when it is between 0 and 60 seconds, else
0.5 s doubling up to 8 s, up to a quarter off at random.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import Any

# A retry cannot fix these, whatever the server's x-should-retry says (402: no balance).
NEVER_RETRIED = frozenset({400, 401, 402, 403, 404, 413, 422})
# Transient: request timeout, lock conflict, rate limit (and every 5xx).
RETRIED = frozenset({408, 409, 429})
_INITIAL_WAIT = 0.5
_MAX_WAIT = 8.0
_LONGEST_HINT = 60.0


def retryable_status(status: int, headers: Any) -> bool:
    """Whether a request that got this status may succeed when sent again."""
    if status in NEVER_RETRIED:
        return False
    hint = headers.get("x-should-retry")
    if hint == "true":
        return True
    if hint == "false":
        return False
    return status in RETRIED or status >= 500


def retry_after_seconds(headers: Any) -> float | None:
    """The server's wait hint in seconds: `retry-after-ms`, else `retry-after` as seconds or
    an HTTP date (0 once past); None when absent or unreadable."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return float(raw) / divisor
        except ValueError:
            when = email.utils.parsedate_tz(raw)
            if when is not None:
                return max(0.0, email.utils.mktime_tz(when) - time.time())
    return None


def server_wait(headers: Any) -> float | None:
    """The hint when it is one to follow (0 to 60 seconds), else None."""
    seconds = retry_after_seconds(headers)
    if seconds is None or not 0 <= seconds <= _LONGEST_HINT:
        return None
    return seconds


def backoff(retries_done: int) -> float:
    """0.5 s, 1 s, 2 s, ... up to 8 s, each up to a quarter shorter at random."""
    wait = min(_INITIAL_WAIT * 2.0**retries_done, _MAX_WAIT)
    return wait * (1 - 0.25 * random.random())


def wait_before_retry(error: BaseException, retries_done: int) -> float:
    """How long to wait before sending again after `error`."""
    response = getattr(error, "response", None)
    hint = server_wait(getattr(response, "headers", None))
    return hint if hint is not None else backoff(retries_done)


def is_retryable(error: BaseException) -> bool:
    """The error's own verdict (see the module docstring); unknown errors are not retried."""
    return bool(getattr(error, "is_retryable", False))
