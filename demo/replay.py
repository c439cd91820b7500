"""Runs one example inside its cassette: `python -m demo.replay examples/<name>.py`.

The examples are plain user code (a key from SKILLBOSS_WHOLESALE_KEY, the public gateway or
SKILLBOSS_BASE_URL); replaying or recording their answers happens here, around them, so they
need nothing from this repository. With SKILLBOSS_RECORD unset the cassette is replayed (no
network, a placeholder key); with SKILLBOSS_RECORD=local or live it is re-recorded from
whatever gateway the environment points at.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

from skillboss_core.config.settings import DEFAULT_BASE_URL
from tests.support.cassettes import recording_mode, use_cassette

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes" / "examples"
# Replay never sends anything; the model only needs a key to build its request.
PLACEHOLDER_KEY = "replay-placeholder-key"


def cassette_for(script: Path) -> Path:
    return CASSETTES / f"{script.stem}.yaml"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m demo.replay examples/<name>.py", file=sys.stderr)
        return 2
    script = Path(argv[0]).resolve()
    if recording_mode() == "replay":
        os.environ["SKILLBOSS_WHOLESALE_KEY"] = PLACEHOLDER_KEY
        os.environ["SKILLBOSS_BASE_URL"] = DEFAULT_BASE_URL
    sys.argv = [str(script)]
    sys.path.insert(0, str(script.parent))
    with use_cassette(str(cassette_for(script))):
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
