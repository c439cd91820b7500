"""How every example connects: live with a key, otherwise replaying its own cassette.

- SKILLBOSS_WHOLESALE_KEY set: the live gateway (SKILLBOSS_RECORD=live also records).
- No key: replay cassettes/examples/<script>.yaml; no network, no key needed.
- SKILLBOSS_RECORD=local: re-record that cassette against the project's scripted gateway.
The cassette helpers live in tests/support, so the examples run from a clone of the repo.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support when run as a script

from tests.support.cassettes import recording_mode, use_cassette  # noqa: E402

REPLAY_KEY = "replay-dummy-key"
PUBLIC_BASE_URL = "https://api.skillboss.co/v1"


@contextlib.contextmanager
def gateway_mode(script: str, *, url_field: str = "base_url") -> Iterator[dict[str, str]]:
    """Connection keyword arguments for the model, with the right cassette active.

    `url_field` is the model's name for the base URL: LangChain says `base_url`,
    LlamaIndex `api_base`.
    """
    name = Path(script).stem
    cassette = str(ROOT / "cassettes" / "examples" / f"{name}.yaml")
    mode = recording_mode()
    if mode == "local":
        from tests.support.scripted_gateway import ScriptedGateway

        with ScriptedGateway() as server, use_cassette(cassette):
            print(f"Mode: recording {name}.yaml against the scripted local gateway")
            yield {"api_key": REPLAY_KEY, url_field: server.base_url}
    elif os.environ.get("SKILLBOSS_WHOLESALE_KEY"):
        print("Mode: live (SKILLBOSS_WHOLESALE_KEY is set)")
        with use_cassette(cassette) if mode == "live" else contextlib.nullcontext():
            yield {}
    elif mode == "live":
        raise SystemExit("SKILLBOSS_RECORD=live needs SKILLBOSS_WHOLESALE_KEY")
    else:
        print(f"Mode: replay of cassettes/examples/{name}.yaml (offline: no key is set)")
        with use_cassette(cassette):
            yield {"api_key": REPLAY_KEY, url_field: PUBLIC_BASE_URL}
