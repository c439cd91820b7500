"""A warning when the key would cross a network in clear text.

`http://` is fine for a gateway or proxy on this machine (tests, a local sidecar) and wrong
anywhere else: anyone on the path can read the key. It is allowed, since some private
networks terminate TLS elsewhere, but said once per address, where the key is first sent.
"""

from __future__ import annotations

import ipaddress
import threading
import warnings
from urllib.parse import SplitResult, urlsplit


class CleartextKeyWarning(UserWarning):
    """The key is sent over plain http:// to a host that is not this machine."""


_warned: set[str] = set()
_lock = threading.Lock()


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1, `localhost` and its subdomains (RFC 6761)."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # not a number: httpx will say so when the request is built
        return None


def warn_if_cleartext(base_url: str) -> None:
    """Warn (once per host and port) when a key would go to `base_url` unencrypted."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.scheme.lower() != "http" or is_loopback(host):
        return
    # Host and port only: the URL's user:password part must not be repeated either.
    port = _port(parts)
    where = f"{host}:{port}" if port else host
    with _lock:
        if where in _warned:
            return
        _warned.add(where)
    warnings.warn(
        f"The SkillBoss key is sent over plain http to {where}, which is not this "
        "machine: anyone on the network path can read it. Use https://.",
        CleartextKeyWarning,
        stacklevel=2,
    )
