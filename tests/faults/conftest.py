"""Fixtures for the fault tests: a fresh scripted gateway per test, and response tracking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from skillboss_core.transport.http_library import http as httpx  # the library the SDK runs on
from tests.faults.callers import ANSWER
from tests.support.scripted_gateway import ScriptedGateway


@pytest.fixture
def gateway_server() -> Iterator[ScriptedGateway]:
    """A fresh gateway answering ANSWER (tests/faults/callers.py) to every chat request the
    test does not script otherwise: these tests are about the transport, not the answer."""
    with ScriptedGateway(lifetime=60.0, reply=ANSWER) as server:
        yield server


@pytest.fixture
def opened_responses(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Response]:
    """Every httpx response opened during the test, to prove none is left open."""
    opened: list[httpx.Response] = []
    sync_send = httpx.Client.send
    async_send = httpx.AsyncClient.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = sync_send(self, request, **kwargs)
        opened.append(response)
        return response

    async def asend(
        self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
    ) -> httpx.Response:
        response = await async_send(self, request, **kwargs)
        opened.append(response)
        return response

    monkeypatch.setattr(httpx.Client, "send", send)
    monkeypatch.setattr(httpx.AsyncClient, "send", asend)
    return opened
