"""Lazily built, reused HTTP clients that speak to the gateway and nothing else.

The HTTP library is the one the installed openai SDK is built on (see `http_library`);
the SDK itself is not in the request path, only its public error classes are. One sync
client per pool; one async client per running event loop, so `asyncio.run` twice never meets
a connection pool bound to a closed loop (each is closed inside its loop as the loop shuts
down, see loop_clients). The pool pickles as settings only: clients are recreated on first
use after unpickling (process pools, Ray workers), and after a fork.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from typing import Any

from skillboss_core.config.settings import GatewaySettings
from skillboss_core.security.cleartext import warn_if_cleartext
from skillboss_core.security.redact import remember
from skillboss_core.transport.http_library import http
from skillboss_core.transport.loop_clients import LoopClient

# Bounded in total; every connection may stay alive, or httpcore closes the extras while
# requests are still queued for them (churn under bursts wider than the keep-alive limit).
_LIMITS = http.Limits(max_connections=200, max_keepalive_connections=200)


def _key_to_send(settings: GatewaySettings) -> str:
    """The key, once the log filter knows it and a clear-text destination has been warned of."""
    key = settings.require_api_key()
    warn_if_cleartext(settings.base_url)
    remember(*settings.values_to_hide())
    return key


def _client_kwargs(settings: GatewaySettings) -> dict[str, Any]:
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        **settings.headers(),
        "Authorization": f"Bearer {_key_to_send(settings)}",
    }
    return {
        "base_url": settings.base_url + "/",
        "headers": headers,
        "timeout": settings.timeout,
        "limits": _LIMITS,
        "follow_redirects": True,
    }


def build_sync_client(settings: GatewaySettings) -> Any:
    """A sync HTTP client with its own connection pool."""
    return http.Client(**_client_kwargs(settings))


def build_async_client(settings: GatewaySettings) -> Any:
    """An async HTTP client whose connection pool is bound to the running event loop."""
    return http.AsyncClient(**_client_kwargs(settings))


# Clients a forked child inherited: kept referenced so the child never closes (or, at garbage
# collection, shuts down) sockets that belong to its parent.
_inherited: list[object] = []
_pools: weakref.WeakSet[ClientPool] = weakref.WeakSet()


class ClientPool:
    """Holds the HTTP clients for one set of settings; safe to share across threads and loops.

    After `os.fork()` the child starts with no clients (the parent's sockets stay the
    parent's). `close()` / `aclose()` release the connections; the next call rebuilds them.
    """

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._sync: Any = None
        # A plain dict: each client references its loop, so weak keys would never expire.
        # Clients of closed loops are dropped whenever a new loop asks for one.
        self._async: dict[asyncio.AbstractEventLoop, LoopClient] = {}
        _pools.add(self)

    def sync_client(self) -> Any:
        self._same_process()
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = build_sync_client(self.settings)
                client = self._sync
        return client

    def async_client(self) -> Any:
        self._same_process()
        loop = asyncio.get_running_loop()
        held = self._async.get(loop)
        if held is None or not held.usable:
            with self._lock:
                held = self._async.get(loop)
                if held is None or not held.usable:
                    self._drop_closed_loops()
                    held = LoopClient(build_async_client(self.settings), loop)
                    self._async[loop] = held
        return held.client

    def _drop_closed_loops(self) -> None:
        # Their clients were closed as the loops shut down (see loop_clients), if they could be.
        for loop in [loop for loop in self._async if loop.is_closed()]:
            self._async.pop(loop).abandon()

    # -- processes ---------------------------------------------------------------------------

    def _same_process(self) -> None:
        # os.register_at_fork covers os.fork; this also covers a fork made from C.
        if self._pid != os.getpid():
            self._start_fresh()

    def _start_fresh(self) -> None:
        """In a forked child: keep the parent's clients untouched and start with none."""
        for held in self._async.values():
            held.abandon()
        _inherited.extend([*([self._sync] if self._sync else []), *self._async.values()])
        self._lock = threading.Lock()  # another thread may have held it at the fork
        self._sync = None
        self._async = {}
        self._pid = os.getpid()

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync pool now, and each async pool in its own loop (scheduled there if
        that loop is open). Calls in flight may fail; the next call reconnects."""
        self._same_process()
        with self._lock:
            sync, self._sync = self._sync, None
            held, self._async = list(self._async.values()), {}
        if sync is not None:
            sync.close()
        for one in held:
            one.close_soon()

    async def aclose(self) -> None:
        """Close the running loop's async pool (awaited here), then all the others."""
        self._same_process()
        with self._lock:
            mine = self._async.pop(asyncio.get_running_loop(), None)
        if mine is not None:
            await mine.aclose()
        self.close()

    def __del__(self) -> None:
        # Close the sync client when the pool goes. An async client of an open loop is
        # closed there (its closer's finalizer schedules it).
        # A plain try: at interpreter exit, modules such as contextlib may be gone already.
        try:
            if getattr(self, "_pid", None) != os.getpid():
                return
            client = getattr(self, "_sync", None)
            if client is not None:
                client.close()
            for loop, held in getattr(self, "_async", {}).items():
                if loop.is_closed():
                    held.abandon()
        except Exception:
            pass

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]


def _after_fork_in_child() -> None:
    for pool in list(_pools):
        pool._start_fresh()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
