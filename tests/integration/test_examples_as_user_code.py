"""The examples are plain user code: run as a user runs them (copied alone into an empty
folder, a key and a URL in the environment, nothing of this repository importable) against a
loopback stand-in answering from demo/answers.py, and importing only what a user has."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.answers import answer
from demo.run import CLUSTER_RECIPES
from tests.support.scripted_gateway import ScriptedGateway

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"
ALL_EXAMPLES = sorted(path.name for path in EXAMPLES_DIR.glob("*.py"))
# The batch recipes need a Ray or Dask cluster: tests/distributed runs them as users do.
EXAMPLES = [name for name in ALL_EXAMPLES if name not in CLUSTER_RECIPES]
# What a recipe imports besides its framework: its cluster library, and the core's errors.
CLUSTER_LIBRARIES = {
    "ray_batch.py": {"ray", "skillboss_core"},
    "dask_batch.py": {"dask", "distributed", "skillboss_core"},
}
OUR_ENV = ("SKILLBOSS_WHOLESALE_KEY", "SKILLBOSS_BASE_URL", "SKILLBOSS_RECORD")

# Runs a script with the repository's test and demo tooling (and vcr) unimportable.
WITHOUT_REPO_TOOLING = (
    "import runpy, sys\n"
    "sys.modules.update(dict.fromkeys(('tests', 'demo', 'vcr', '_gateway_mode')))\n"
    "runpy.run_path({script!r}, run_name='__main__')\n"
)


@pytest.fixture(scope="module")
def examples_stand_in() -> Iterator[ScriptedGateway]:
    with ScriptedGateway() as server:
        server.script(answer)
        yield server


@pytest.mark.parametrize("script", EXAMPLES)
def test_example_runs_when_copied_into_a_project(
    script: str, examples_stand_in: ScriptedGateway, tmp_path: Path
) -> None:
    """Copied alone into an empty folder and run with a key and a URL. The editable install
    puts this repository on the path, so its own tooling is blocked, as if absent."""
    copy = tmp_path / script
    copy.write_text((EXAMPLES_DIR / script).read_text(encoding="utf-8"), encoding="utf-8")
    env = clean_env(
        {
            "SKILLBOSS_WHOLESALE_KEY": "dummy-live-key",
            "SKILLBOSS_BASE_URL": examples_stand_in.base_url,
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_REPO_TOOLING.format(script=script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip(), "the example printed nothing"


@pytest.mark.parametrize("script", ALL_EXAMPLES)
def test_example_imports_only_what_a_user_has(script: str) -> None:
    """The standard library, pydantic, its framework and this distribution: nothing of the
    repository's own tooling (tests, demo, vcr)."""
    tree = ast.parse((EXAMPLES_DIR / script).read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    framework = {"langchain_core", "langchain_skillboss"}
    if script.startswith(("llamaindex", "dask")):
        framework = {"llama_index", "llama_index_skillboss"}
    framework |= CLUSTER_LIBRARIES.get(script, set())
    allowed = framework | {"pydantic", "__future__"} | set(sys.stdlib_module_names)
    assert imported <= allowed, imported - allowed


def clean_env(extra_env: dict[str, str]) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in OUR_ENV}
    env.pop("PYTHONPATH", None)
    return {**env, **extra_env}
