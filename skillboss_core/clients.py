"""Lazily built, reused openai SDK clients that speak to the gateway and nothing else.

One sync client per pool; one async client per running event loop, so `asyncio.run`
twice never meets a connection pool bound to a closed loop. The pool pickles as settings
only: clients are recreated on first use after unpickling (process pools, Ray workers).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import openai

from skillboss_core._http import http
from skillboss_core.errors import map_status_error
from skillboss_core.settings import GatewaySettings

# Bounded in total; every connection may stay alive, or httpcore closes the extras while
# requests are still queued for them (churn under bursts wider than the keep-alive limit).
_LIMITS = http.Limits(max_connections=200, max_keepalive_connections=200)
_NEVER_RETRIED = frozenset({400, 401, 402, 403, 404, 422})


class _GatewayClientMixin:
    """Maps statuses to typed errors and keeps OpenAI-only headers away from the gateway."""

    organization: str | None
    project: str | None

    def _forget_openai_identity(self) -> None:
        # The SDK fills these from OPENAI_ORG_ID / OPENAI_PROJECT_ID; they mean nothing here.
        self.organization = None
        self.project = None

    def _should_retry(self, response: Any) -> bool:
        # 402 (and other caller errors) cannot succeed on retry, whatever x-should-retry says.
        if response.status_code in _NEVER_RETRIED:
            return False
        return bool(super()._should_retry(response))  # type: ignore[misc]

    def _make_status_error(
        self, err_msg: str, *, body: object, response: Any
    ) -> openai.APIStatusError:
        return map_status_error(err_msg, body=body, response=response)


class _SyncGatewayClient(_GatewayClientMixin, openai.OpenAI):
    pass


class _AsyncGatewayClient(_GatewayClientMixin, openai.AsyncOpenAI):
    pass


def _sdk_kwargs(settings: GatewaySettings) -> dict[str, Any]:
    return {
        "api_key": settings.require_api_key(),
        # Always explicit: the SDK would otherwise read OPENAI_BASE_URL.
        "base_url": settings.base_url,
        "timeout": settings.timeout,
        "max_retries": settings.max_retries,
        "default_headers": settings.headers(),
    }


def build_sync_client(settings: GatewaySettings) -> openai.OpenAI:
    """A sync SDK client on a connection pool of our own."""
    pool = http.Client(timeout=settings.timeout, limits=_LIMITS, follow_redirects=True)
    client = _SyncGatewayClient(http_client=pool, **_sdk_kwargs(settings))
    client._forget_openai_identity()
    return client


def build_async_client(settings: GatewaySettings) -> openai.AsyncOpenAI:
    """An async SDK client on a connection pool bound to the running event loop."""
    pool = http.AsyncClient(timeout=settings.timeout, limits=_LIMITS, follow_redirects=True)
    client = _AsyncGatewayClient(http_client=pool, **_sdk_kwargs(settings))
    client._forget_openai_identity()
    return client


class ClientPool:
    """Holds the SDK clients for one set of settings; safe to share across threads and loops."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._sync: openai.OpenAI | None = None
        # A plain dict: each client references its loop, so weak keys would never expire.
        # Clients of closed loops are dropped whenever a new loop asks for one.
        self._async: dict[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = {}

    def sync_client(self) -> openai.OpenAI:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = build_sync_client(self.settings)
                client = self._sync
        return client

    def async_client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            with self._lock:
                client = self._async.get(loop)
                if client is None:
                    for stale in [known for known in self._async if known.is_closed()]:
                        del self._async[stale]
                    client = build_async_client(self.settings)
                    self._async[loop] = client
        return client

    def close(self) -> None:
        """Close the sync pool; async pools close with their event loops."""
        with self._lock:
            if self._sync is not None:
                self._sync.close()
                self._sync = None

    def __del__(self) -> None:
        # The SDK does not close an http client it was handed; do it when the pool goes.
        # A plain try: at interpreter exit, modules such as contextlib may be gone already.
        client = getattr(self, "_sync", None)
        if client is not None:
            try:  # noqa: SIM105 (contextlib may be torn down at exit)
                client.close()
            except Exception:
                pass

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]
