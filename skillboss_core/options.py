"""Per-request transport options: timeout, retries, extra headers and query parameters.

They shape how one request travels, not what it asks, so they never enter the JSON body.
Both adapters accept them per call under the openai SDK's names; they are validated here,
like every body parameter, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from skillboss_core.params import InvalidParameterError


class _Unset:
    """Marks "not given", which differs from `timeout=None` (wait for ever)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
OPTION_NAMES = frozenset({"timeout", "max_retries", "extra_headers", "extra_query"})
_QUERY_VALUE = (str, int, float, bool)


def _timeout(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidParameterError(
            f"timeout must be a positive number of seconds or None, got {value!r}"
        )
    return float(value)


def _max_retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidParameterError(f"max_retries must be an integer >= 0, got {value!r}")
    return value


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or not all(
        isinstance(name, str) and isinstance(text, str) for name, text in value.items()
    ):
        raise InvalidParameterError(
            "extra_headers must be a mapping of header names to string values"
        )
    for name, text in value.items():
        if any(char in name + text for char in "\r\n"):
            # Never echo the value: it may be a credential.
            raise InvalidParameterError(f"extra_headers[{name.strip()!r}] contains a line break")
    return tuple(value.items())


def _query(value: Any) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, Mapping) or not all(
        isinstance(name, str) and isinstance(item, _QUERY_VALUE) for name, item in value.items()
    ):
        raise InvalidParameterError(
            "extra_query must be a mapping of names to strings, numbers or booleans"
        )
    return tuple(value.items())


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """How one request is sent; fields left unset take the gateway settings' values."""

    timeout: float | _Unset | None = UNSET
    max_retries: int | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    extra_query: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def take(cls, values: dict[str, Any]) -> RequestOptions:
        """Remove the option names from `values` (None means "not given") and validate them."""
        given = {name: values.pop(name) for name in OPTION_NAMES & values.keys()}
        options = cls(
            timeout=_timeout(given["timeout"]) if "timeout" in given else UNSET,
            max_retries=(
                None if given.get("max_retries") is None else _max_retries(given["max_retries"])
            ),
            extra_headers=_headers(given["extra_headers"]) if given.get("extra_headers") else (),
            extra_query=_query(given["extra_query"]) if given.get("extra_query") else (),
        )
        return options

    def sdk_options(self, headers: Mapping[str, str]) -> dict[str, Any]:
        """The openai SDK's per-request options around the core's own `headers`."""
        options: dict[str, Any] = {"headers": {**headers, **dict(self.extra_headers)}}
        if not isinstance(self.timeout, _Unset):
            options["timeout"] = self.timeout
        if self.max_retries is not None:
            options["max_retries"] = self.max_retries
        if self.extra_query:
            options["params"] = dict(self.extra_query)
        return options


NO_OPTIONS: Final = RequestOptions()
