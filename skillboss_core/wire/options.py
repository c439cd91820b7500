"""Per-request transport options: timeout, retries, extra headers and query parameters.

They shape how one request travels, not what it asks, so they never enter the JSON body.
Both adapters accept them per call under the openai SDK's names; they are validated here,
like every body parameter, before anything is sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from skillboss_core.wire.params import InvalidParameterError


class _Unset:
    """Marks "not given", which differs from `timeout=None` (wait for ever)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
OPTION_NAMES = frozenset(
    {
        "timeout",
        "total_timeout",
        "max_retries",
        "extra_headers",
        "extra_query",
        "stream_chunk_timeout",
    }
)
_QUERY_VALUE = (str, int, float, bool)
# RFC 9110 field names; values printable Latin-1 (what HTTP/1.1 can carry).
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e\x80-\xff]*$")
# Headers the core sets itself: overriding them would swap the key or the body's type.
RESERVED_HEADERS = frozenset({"authorization", "content-type"})


def check_seconds(name: str, value: Any) -> float | None:
    """A positive, finite number of seconds, or None; the one rule for every timeout."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidParameterError(
            f"{name} must be a positive, finite number of seconds or None, got {value!r}"
        )
    return float(value)


def _chunk_timeout(value: Any) -> float | None:
    return check_seconds("stream_chunk_timeout", value)


def check_headers(value: Any, what: str) -> dict[str, str]:
    """Headers that HTTP can carry and that do not override the core's own; the error never
    echoes a value (it may be a credential)."""
    if not isinstance(value, Mapping) or not all(
        isinstance(name, str) and isinstance(text, str) for name, text in value.items()
    ):
        raise InvalidParameterError(f"{what} must be a mapping of header names to string values")
    for name, text in value.items():
        shown = name if _HEADER_NAME.match(name) else repr(name.strip()[:40])
        if not _HEADER_NAME.match(name):
            raise InvalidParameterError(f"{what}: {shown} is not a valid header name")
        if name.lower() in RESERVED_HEADERS:
            raise InvalidParameterError(
                f"{what} may not set {name}: the key goes in api_key=..., and the core sets "
                "the other reserved headers itself"
            )
        if not _HEADER_VALUE.match(text):
            raise InvalidParameterError(
                f"{what}[{shown!r}] holds a line break or a character HTTP headers cannot carry"
            )
    return dict(value)


def _max_retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidParameterError(f"max_retries must be an integer >= 0, got {value!r}")
    return value


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple(check_headers(value, "extra_headers").items())


def _query(value: Any) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, Mapping) or not all(
        isinstance(name, str) and isinstance(item, _QUERY_VALUE) for name, item in value.items()
    ):
        raise InvalidParameterError(
            "extra_query must be a mapping of names to strings, numbers or booleans"
        )
    return tuple(value.items())


def _seconds_or_unset(given: dict[str, Any], name: str) -> float | _Unset | None:
    return check_seconds(name, given[name]) if name in given else UNSET


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """How one request is sent; fields left unset take the gateway settings' values.
    `timeout` bounds each wait for progress, `total_timeout` the whole call (see
    `transport.deadline`); `stream_chunk_timeout` is the longest wait between two stream
    events (None: `timeout` alone)."""

    timeout: float | _Unset | None = UNSET
    total_timeout: float | _Unset | None = UNSET
    max_retries: int | None = None
    stream_chunk_timeout: float | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    extra_query: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def take(cls, values: dict[str, Any]) -> RequestOptions:
        """Remove the option names from `values` (None means "not given", except for the
        timeouts, where None means "no limit") and validate them."""
        given = {name: values.pop(name) for name in OPTION_NAMES & values.keys()}
        return cls(
            timeout=_seconds_or_unset(given, "timeout"),
            total_timeout=_seconds_or_unset(given, "total_timeout"),
            max_retries=(
                None if given.get("max_retries") is None else _max_retries(given["max_retries"])
            ),
            stream_chunk_timeout=_chunk_timeout(given.get("stream_chunk_timeout")),
            extra_headers=_headers(given["extra_headers"]) if given.get("extra_headers") else (),
            extra_query=_query(given["extra_query"]) if given.get("extra_query") else (),
        )


NO_OPTIONS: Final = RequestOptions()
