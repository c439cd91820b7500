"""`make demo`: every example, run as a user runs it, and a plain word on where answers come from.

- SKILLBOSS_WHOLESALE_KEY set: each example runs as is, against SKILLBOSS_BASE_URL or the
  public gateway; the first line names the URL (and says so when it is a local server).
- No key: each example replays cassettes/examples/<name>.yaml (demo/replay.py); each section
  says who recorded those answers, read from the cassette itself.
- SKILLBOSS_RECORD=live (a key) or local: re-record the cassettes; `local` starts the
  scripted stand-in on 127.0.0.1 answering from demo/answers.py (and /v1/embeddings with
  its hashed bag of words, tests/support/embedder.py).
Example names as arguments run (or re-record) only those:
`SKILLBOSS_RECORD=local python -m demo.run langchain_rag.py llamaindex_rag.py`.
Exits non-zero if any example fails, so a broken example never passes silently.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from demo.replay import cassette_for
from skillboss_core.config.settings import DEFAULT_BASE_URL
from skillboss_core.security.cleartext import is_loopback
from tests.support.cassettes import ORIGIN_PREFIX, recording_mode

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ORDER = [
    "langchain_quickstart.py",
    "langchain_agent.py",
    "langchain_rag.py",
    "llamaindex_rag.py",
    "llamaindex_agent.py",
    "drop_in_swap.py",
]
# The batch recipes are not run here: they need Ray or Dask, which are not dependencies of
# the distribution, and their requests leave from worker processes, which no cassette around
# the script replays. `make test-distributed` runs them on local clusters.
CLUSTER_RECIPES = ("dask_batch.py", "ray_batch.py")
KEY_ENV = "SKILLBOSS_WHOLESALE_KEY"
BASE_URL_ENV = "SKILLBOSS_BASE_URL"


def recorded_origin(script: Path) -> str:
    """The cassette's own first line: who answered when it was recorded."""
    first = cassette_for(script).read_text(encoding="utf-8").split("\n", 1)[0]
    return first.removeprefix(ORIGIN_PREFIX).rstrip(".") if first.startswith("#") else "unknown"


def live_target(base_url: str) -> str:
    if is_loopback(urlsplit(base_url).hostname or ""):
        return f"{base_url} (a server on this machine, not the public gateway)"
    return base_url


@contextlib.contextmanager
def scripted_stand_in() -> Iterator[dict[str, str]]:
    """The environment that points the examples at the stand-in answering demo/answers.py."""
    from demo.answers import answer
    from tests.support.scripted_gateway import ScriptedGateway

    with ScriptedGateway(lifetime=600) as server:
        server.script(answer)
        yield {KEY_ENV: "recording-placeholder-key", BASE_URL_ENV: server.base_url}


def plan() -> tuple[str, list[str], contextlib.AbstractContextManager[dict[str, str]]]:
    """The headline, the command prefix for each example, and extra environment."""
    replay = [sys.executable, "-m", "demo.replay"]
    mode = recording_mode()
    if mode == "local":
        return "Recording every cassette from the scripted stand-in", replay, scripted_stand_in()
    if mode == "live":
        if not os.environ.get(KEY_ENV):
            raise SystemExit(f"SKILLBOSS_RECORD=live needs {KEY_ENV}")
        target = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        return (
            f"Recording every cassette live, against {target}",
            replay,
            contextlib.nullcontext({}),
        )
    if os.environ.get(KEY_ENV):
        target = live_target(os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL)
        return f"Live: every example calls {target}", [sys.executable], contextlib.nullcontext({})
    headline = (
        "Offline replay: no key is set, so each example replays answers recorded earlier\n"
        "(cassettes/examples/); nothing is sent. Set SKILLBOSS_WHOLESALE_KEY to run them live."
    )
    return headline, replay, contextlib.nullcontext({})


def chosen(names: list[str]) -> list[Path]:
    """The examples to run: those named (in ORDER's order), or every one."""
    unknown = sorted(set(names) - set(ORDER))
    if unknown:
        raise SystemExit(f"no such example: {', '.join(unknown)} (known: {', '.join(ORDER)})")
    return [EXAMPLES / name for name in ORDER if not names or name in names]


def main(argv: list[str] | None = None) -> int:
    scripts = chosen(sys.argv[1:] if argv is None else argv)
    headline, command, environment = plan()
    replaying = command[-1] == "demo.replay" and recording_mode() == "replay"
    if len(scripts) < len(ORDER):
        headline += f"\n(only {', '.join(script.name for script in scripts)})"
    print(f"{headline}\n", flush=True)
    failed = []
    with environment as extra:
        env = {**os.environ, **extra}
        for script in scripts:
            print(f"=== {script.name} ===", flush=True)
            if replaying:
                print(f"(replaying answers recorded from {recorded_origin(script)})", flush=True)
            done = subprocess.run([*command, str(script)], env=env, cwd=ROOT, check=False)
            if done.returncode != 0:
                failed.append(script.name)
            print(flush=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"All {len(scripts)} examples ran.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
