"""One gateway per distinct connection settings, shared by every adapter instance.

Adapters never keep a gateway of their own: they ask for the one matching their settings at
each call, so a changed URL, key, timeout, header or retry count takes effect on the next
call (after `model_copy(update=...)` or attribute assignment), and instances with equal
settings share one connection pool. The lookup is a tuple and a dict read; settings are
validated and a gateway built only the first time a combination is seen.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from contextlib import suppress

from pydantic import SecretStr, ValidationError

from skillboss_core.config.settings import GatewaySettings, discount_from_env
from skillboss_core.transport.gateway import Gateway
from skillboss_core.wire.params import InvalidParameterError

# Distinct settings kept at once (per-tenant keys are distinct settings); the least recently
# used is forgotten first. A forgotten gateway is not closed here (a call may still be using
# it): its pools close when it is collected.
MAX_SHARED_GATEWAYS = 256

_gateways: OrderedDict[Hashable, Gateway] = OrderedDict()
_lock = threading.Lock()


def shared_gateway(
    *,
    api_key: SecretStr | None,
    base_url: str,
    timeout: float | None,
    max_retries: int,
    default_headers: Mapping[str, str] | None,
    discount: float | None = None,
) -> Gateway:
    """The gateway for these settings, built on first use and reused afterwards.
    `discount` None: `SKILLBOSS_DISCOUNT` as it is now, else 1.0 (list price)."""
    if isinstance(api_key, str):  # assigned after construction, past the adapter's validation
        api_key = SecretStr(api_key)
    headers = tuple(sorted(default_headers.items())) if default_headers else ()
    if discount is None:
        discount = discount_from_env()
    # SecretStr hashes and compares by value but never shows it in a repr of the key.
    key = (api_key, base_url, timeout, max_retries, headers, discount)
    gateway = _gateways.get(key)
    if gateway is not None:
        # KeyError: forgotten by another thread meanwhile; still a valid gateway to use.
        with suppress(KeyError):
            _gateways.move_to_end(key)
        return gateway
    try:
        settings = GatewaySettings(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=dict(default_headers) if default_headers else None,
            discount=discount,
        )
    except ValidationError as exc:
        raise InvalidParameterError(_first_problem(exc)) from None
    with _lock:
        gateway = _gateways.get(key)
        if gateway is None:
            while len(_gateways) >= MAX_SHARED_GATEWAYS:
                _gateways.popitem(last=False)
            gateway = _gateways[key] = Gateway(settings)
    return gateway


def _first_problem(exc: ValidationError) -> str:
    """A setting's problem in words, never its value (it may be the key)."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "settings"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return message if message.startswith(where) else f"{where}: {message}"


def forget_shared_gateways() -> None:
    """Drop every shared gateway (tests; a process that must not reuse old pools)."""
    with _lock:
        _gateways.clear()


def _unlock_in_forked_child() -> None:
    # Another thread may have held the lock at the fork; the child's copy would stay locked.
    # The cached gateways stay: their pools start afresh in the child (see ClientPool).
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_unlock_in_forked_child)
