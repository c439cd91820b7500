"""Fixtures of the proxy suite: the scripted gateway upstream, LiteLLM's proxy in front of it.

One proxy for the whole module (it takes about 25 s to start); each test starts from a clean
upstream (no faults, replies, scripts or recorded requests). A failing test's report ends
with the tail of the proxy's log. Nothing here imports litellm: in the main venv the test
module skips itself before any fixture runs.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.proxy.litellm_proxy import UPSTREAM_KEY, LiteLLMProxy, OutboundTrap
from tests.proxy.models import deployments
from tests.support.embeddings_wire import EmbeddingsOptions
from tests.support.scripted_gateway import ScriptedGateway


@pytest.fixture(scope="module")
def upstream() -> Iterator[ScriptedGateway]:
    """The scripted gateway, accepting only the proxy's upstream key."""
    server = ScriptedGateway(api_key=UPSTREAM_KEY, lifetime=1200.0)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def trap() -> Iterator[OutboundTrap]:
    """Where the proxy's HTTP(S)_PROXY points: records any call outside 127.0.0.1."""
    outbound = OutboundTrap().start()
    yield outbound
    outbound.stop()


@pytest.fixture(scope="module")
def proxy(
    upstream: ScriptedGateway, trap: OutboundTrap, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiteLLMProxy]:
    """LiteLLM's proxy on 127.0.0.1, every model group calling `upstream`."""
    workdir: Path = tmp_path_factory.mktemp("litellm-proxy")
    running = LiteLLMProxy(upstream.base_url, deployments(), workdir, trap=trap).start()
    print(f"\nLiteLLM proxy ready in {running.startup_seconds:.1f} s at {running.url}")
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _clean_upstream(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with nothing scripted or recorded upstream and ends with no handler
    crash there."""
    if "upstream" not in request.fixturenames:
        yield
        return
    server: ScriptedGateway = request.getfixturevalue("upstream")
    server.clear()
    server.embeddings = EmbeddingsOptions()
    server.errors.clear()
    yield
    assert server.errors == [], "the scripted gateway crashed:\n" + "\n".join(server.errors)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, None, None]:
    """A failing test's report ends with the tail of the proxy's log."""
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("proxy")
    if report.failed and isinstance(running, LiteLLMProxy):
        report.sections.append(("LiteLLM proxy log (tail)", running.log_tail()))
