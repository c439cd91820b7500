"""Shared test set-up: cassette recording/replay for every suite.

Modes, from the SKILLBOSS_RECORD environment variable:
- unset (default, CI): replay only (`record_mode="none"`); a request with no recorded match fails.
- `local`: start the project's scripted gateway on 127.0.0.1 and re-record from it; each
  recorded suite scripts its answers with the `stand_in` fixture.
- `live`: re-record from the real gateway with SKILLBOSS_WHOLESALE_KEY (`make record`).
Cassettes live at cassettes/<test module>/<test>.yaml, requests are matched on what was asked
(tests/support/cassettes.py), and every credential-like header is stripped before anything is
written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.answer_table import Answer, answering
from tests.support.cassettes import (
    RECORD_MODE_ENV,
    recording_mode,
    register_cassette_format,
    vcr_settings,
)
from tests.support.cassettes import (
    record_mode as cassette_record_mode,
)
from tests.support.scripted_gateway import ScriptedGateway

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
DUMMY_KEY = "sk-dummy-replay-key"


@pytest.fixture(scope="session", autouse=True)
def _gateway_environment() -> Iterator[ScriptedGateway | None]:
    """Point every model built without arguments at the right gateway for this mode."""
    mode = recording_mode()
    saved = {
        name: os.environ.get(name) for name in ("SKILLBOSS_BASE_URL", "SKILLBOSS_WHOLESALE_KEY")
    }
    server = None
    if mode == "local":
        server = ScriptedGateway()
        server.start()
        os.environ["SKILLBOSS_BASE_URL"] = server.base_url
        os.environ["SKILLBOSS_WHOLESALE_KEY"] = DUMMY_KEY
    elif mode == "live":
        if not os.environ.get("SKILLBOSS_WHOLESALE_KEY"):
            pytest.exit(f"{RECORD_MODE_ENV}=live needs SKILLBOSS_WHOLESALE_KEY", returncode=2)
        os.environ.pop("SKILLBOSS_BASE_URL", None)
    else:
        os.environ.pop("SKILLBOSS_BASE_URL", None)
        os.environ["SKILLBOSS_WHOLESALE_KEY"] = DUMMY_KEY
    # The SDK must never pick these up instead of ours.
    os.environ.pop("OPENAI_BASE_URL", None)
    yield server
    if server is not None:
        server.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def stand_in(
    _gateway_environment: ScriptedGateway | None,
) -> Iterator[Callable[[Sequence[Answer], str], None]]:
    """`stand_in(table, where)`: when re-recording locally, the scripted gateway answers this
    test from `table` (see tests/support/answer_table.py); otherwise nothing happens."""
    server = _gateway_environment

    def use(table: Sequence[Answer], where: str) -> None:
        if server is not None:
            server.script(answering(table, where))

    yield use
    if server is not None:
        server.script(None)


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """cassettes/<test module>/ at the repository root, for every suite."""
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return vcr_settings()


@pytest.fixture(scope="session")
def record_mode() -> str:
    """pytest-recording reads this: `none` unless re-recording."""
    return cassette_record_mode()


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    register_cassette_format(vcr)


@pytest.fixture
def restore_settings() -> Iterator[None]:
    """Put LlamaIndex's global `Settings.llm` and `Settings.embed_model` back after a test
    that sets them."""
    from llama_index.core import Settings

    saved = Settings._llm, Settings._embed_model
    try:
        yield
    finally:
        Settings._llm, Settings._embed_model = saved
