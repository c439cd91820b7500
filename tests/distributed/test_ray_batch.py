"""examples/ray_batch.py on a local Ray cluster bound to 127.0.0.1, against the scripted gateway
(`make test-distributed`; the main venv has no Ray and skips this module).

One cluster for the module, started by the recipe's own `start_local_cluster` (dashboard and
usage reporting off, its temp dir and HOME inside the test's temp dir). Proven on it: every
prompt of a Ray Data job gets its own answer from an actor pool of ChatSkillBoss models, and
every text its own vector from SkillBossEmbeddings; a 429 is retried inside the actor; a 402
stops the job and reaches the driver as ChatSkillBoss's `SkillBossInsufficientCreditsError`
(also the core's `InsufficientCreditsError`) with its status, words and retry verdict; the key
is in no Ray log and no captured output; the script runs as a user runs it; and nothing of the
cluster is left running at the end.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("ray") is None:
    from tests.distributed.conftest import SKIP_REASON

    pytest.skip(SKIP_REASON, allow_module_level=True)

from langchain_skillboss import errors as lc
from skillboss_core import errors as core
from tests.distributed.conftest import (
    EXAMPLES,
    KEY,
    Answers,
    answer_for,
    descendants,
    files_holding,
    import_recipe,
    is_loopback,
    listening_addresses,
    processes_using,
    wait_until_gone,
)
from tests.support.embedder import embed
from tests.support.scripted_gateway import ScriptedGateway

# Before Ray: the recipe sets what Ray reads when it is imported (loopback only, no usage
# reporting).
ray_batch = import_recipe("ray_batch")

import ray  # noqa: E402
import ray.data  # noqa: E402
import ray.exceptions  # noqa: E402

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def ray_cluster(
    worker_environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The recipe's local cluster, its logs under the returned temp dir; shut down at the
    end even when a test failed."""
    temp_dir = tmp_path_factory.mktemp("ray")
    ray_batch.start_local_cluster(str(temp_dir), num_cpus=2)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        yield temp_dir
    finally:
        ray.shutdown()


def assert_no_key_in(output: str) -> None:
    assert KEY not in output, "the key reached captured output"


def test_the_cluster_is_on_loopback_only(ray_cluster: Path) -> None:
    """Every socket a Ray process of the cluster listens on is on 127.0.0.1."""
    assert [node["NodeManagerAddress"] for node in ray.nodes()] == ["127.0.0.1"]
    processes = descendants()
    assert any("raylet" in command for command in processes.values()), processes
    addresses = listening_addresses(processes)
    assert addresses and all(is_loopback(address) for address in addresses), addresses


def test_every_prompt_gets_its_own_answer_and_a_429_is_retried_in_the_actor(
    ray_cluster: Path, gateway: ScriptedGateway, capfd: pytest.CaptureFixture[str]
) -> None:
    prompts = [f"Prompt {i}: what is {i} times 7?" for i in range(150)]
    limited = {prompts[5], prompts[88]}
    script = Answers(rate_limited_once=limited)
    gateway.script(script)

    rows = ray_batch.answer_prompts(prompts, batch_size=10)

    assert sorted(prompt for prompt, _ in rows) == sorted(prompts)
    assert all(answer == answer_for(prompt) for prompt, answer in rows)
    # The 429s were retried by the model inside the actor, not by Ray re-running a batch:
    # those prompts reached the gateway twice and every other prompt once.
    assert script.seen == {prompt: 2 if prompt in limited else 1 for prompt in prompts}
    chats = [r for r in gateway.requests if r.path.endswith("/chat/completions")]
    assert {r.json["model"] for r in chats} == {ray_batch.MODEL}
    assert_no_key_in("".join(capfd.readouterr()))


def test_a_402_stops_the_job_and_reaches_the_driver_typed(
    ray_cluster: Path,
    gateway: ScriptedGateway,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    prompts = [f"Question {i}: name a colour." for i in range(400)]
    script = Answers(out_of_credit={prompts[0]})
    gateway.script(script)

    with pytest.raises(core.InsufficientCreditsError) as caught:
        ray_batch.answer_prompts(prompts, batch_size=10)

    error = caught.value
    assert type(error) is lc.SkillBossInsufficientCreditsError
    assert isinstance(error, lc.ModelError)
    assert error.status_code == 402 and error.is_retryable is False
    assert "Insufficient wholesale balance" in error.message and "[redacted]" in error.message
    assert str(error).startswith(error.message)  # Ray Data appends its retry note
    assert error.body["message"] == (
        "Insufficient wholesale balance (you sent Authorization: Bearer [redacted])"
    )
    assert KEY not in str(error) and KEY not in repr(error) and KEY not in repr(error.body)
    assert isinstance(error.__cause__, ray.exceptions.RayTaskError)  # the worker's traceback
    assert script.seen[prompts[0]] == 1  # never retried
    # The job stopped: once its actors have given their CPUs back, most prompts were never
    # sent (a job that went on would hold them until every prompt was answered). The error's
    # traceback holds the job, and so its actors, until it is dropped; Ray Data also logs it
    # with that traceback, which pytest's log capture (two handlers) keeps.
    del error, caught
    for handler in logging.getLogger().handlers:
        if isinstance(handler, type(caplog.handler)):
            handler.clear()
    gc.collect()
    deadline = time.monotonic() + 60
    while ray.available_resources().get("CPU", 0) < ray.cluster_resources()["CPU"]:
        assert time.monotonic() < deadline, "the failed job's actors never stopped"
        time.sleep(0.1)
    assert sum(script.seen.values()) < len(prompts) / 2
    assert_no_key_in("".join(capfd.readouterr()))


def test_the_corpus_is_embedded_text_by_text(
    ray_cluster: Path, gateway: ScriptedGateway, capfd: pytest.CaptureFixture[str]
) -> None:
    texts = [f"Document {i} is about topic {i % 7} and colour {i % 5}." for i in range(90)]

    rows = ray_batch.embed_corpus(texts, batch_size=16)

    assert sorted(text for text, _ in rows) == sorted(texts)
    for text, vector in rows:
        assert vector == pytest.approx(embed(text), abs=1e-6), text
    embeddings = [r for r in gateway.requests if r.path.endswith("/embeddings")]
    assert {r.json["model"] for r in embeddings} == {ray_batch.EMBEDDING_MODEL}
    assert_no_key_in("".join(capfd.readouterr()))


def test_runtime_env_values_are_written_to_ray_logs(ray_cluster: Path) -> None:
    """Why the recipe and the README keep the key out of `runtime_env`: Ray's runtime-env
    agent logs the env vars it sets, values included (a canary here, never the key)."""
    canary = "canary-value-written-by-ray-5d1e"

    @ray.remote
    def read_canary() -> str | None:
        return os.environ.get("SKILLBOSS_CANARY")

    task = read_canary.options(runtime_env={"env_vars": {"SKILLBOSS_CANARY": canary}})
    assert ray.get(task.remote(), timeout=120) == canary
    assert any(
        path.name.startswith("runtime_env_agent") for path in files_holding(ray_cluster, canary)
    )


def test_the_key_is_in_no_ray_log_and_the_cluster_stops(ray_cluster: Path) -> None:
    """After the jobs above (answers, a 402 echoing the key, embeddings): every file Ray wrote
    is free of the key, though the actors' error logs are among them; then shutdown leaves
    no Ray process behind."""
    assert files_holding(ray_cluster, "Insufficient wholesale balance"), "no error was logged"
    assert files_holding(ray_cluster, KEY) == []
    processes = descendants()
    assert processes, "no Ray process to stop"
    ray.shutdown()
    assert wait_until_gone(processes) == []


def test_the_script_runs_as_a_user_runs_it(
    worker_environment: dict[str, str],
    gateway: ScriptedGateway,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """`python ray_batch.py` with the key and the URL in its environment: its own local
    cluster (temp dir under RAY_TMPDIR, here the test's), the classes pickled by value."""
    gateway.script(Answers())
    tmp_path = tmp_path_factory.mktemp("m")  # short: Ray's socket paths must fit 107 bytes
    env = {**os.environ, "RAY_TMPDIR": str(tmp_path)}
    env.pop("PYTHONPATH")  # nothing of this repository's examples on the path: a user's script
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "ray_batch.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=150,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for prompt in ray_batch.PROMPTS:
        assert f"{prompt}\n  -> {answer_for(prompt)}" in done.stdout
    assert done.stdout.count("1536 dimensions: ") == len(ray_batch.CORPUS)
    assert KEY not in done.stdout + done.stderr
    assert files_holding(tmp_path, KEY) == []
    assert wait_until_gone(processes_using(tmp_path)) == []
