"""One gateway per distinct connection settings, shared by every adapter instance.

Adapters never keep a gateway of their own: they ask for the one matching their settings at
each call, so a changed URL, key, timeout, header or retry count takes effect on the next
call (after `model_copy(update=...)` or attribute assignment), and instances with equal
settings share one connection pool. The lookup is a tuple and a dict read; settings are
validated and a gateway built only the first time a combination is seen.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping

from pydantic import SecretStr

from skillboss_core.gateway import Gateway
from skillboss_core.settings import GatewaySettings

# Distinct settings kept at once; the oldest is forgotten first. A forgotten gateway is not
# closed here (a call may still be using it): its pools close when it is collected.
MAX_SHARED_GATEWAYS = 32

_gateways: dict[Hashable, Gateway] = {}
_lock = threading.Lock()


def shared_gateway(
    *,
    api_key: SecretStr | None,
    base_url: str,
    timeout: float | None,
    max_retries: int,
    default_headers: Mapping[str, str] | None,
) -> Gateway:
    """The gateway for these settings, built on first use and reused afterwards."""
    headers = tuple(sorted(default_headers.items())) if default_headers else ()
    # SecretStr hashes and compares by value but never shows it in a repr of the key.
    key = (api_key, base_url, timeout, max_retries, headers)
    gateway = _gateways.get(key)
    if gateway is not None:
        return gateway
    settings = GatewaySettings(
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        default_headers=dict(default_headers) if default_headers else None,
    )
    with _lock:
        gateway = _gateways.get(key)
        if gateway is None:
            while len(_gateways) >= MAX_SHARED_GATEWAYS:
                del _gateways[next(iter(_gateways))]
            gateway = _gateways[key] = Gateway(settings)
    return gateway


def forget_shared_gateways() -> None:
    """Drop every shared gateway (tests; a process that must not reuse old pools)."""
    with _lock:
        _gateways.clear()
