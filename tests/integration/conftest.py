"""Fixtures for the framework integration tests: scripted loopback gateways, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.scripted_gateway import ScriptedGateway


@pytest.fixture
def gateway_server() -> Iterator[ScriptedGateway]:
    """The gateway every test scripts explicitly (no reliance on its built-in replies)."""
    with ScriptedGateway(lifetime=60.0) as server:
        yield server


@pytest.fixture
def other_server() -> Iterator[ScriptedGateway]:
    """A second gateway, to prove where a copied or reconfigured model sends its requests."""
    with ScriptedGateway(lifetime=60.0) as server:
        yield server
