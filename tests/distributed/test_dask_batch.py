"""examples/dask_batch.py on a local Dask cluster bound to 127.0.0.1, against the scripted
gateway (`make test-distributed`; the main venv has no Dask and skips this module).

One cluster for the module, made by the recipe's own `local_cluster` (worker processes, no
dashboard, its directories inside the test's temp dir). Proven on it: every prompt sent with
`client.map` gets its own answer from the workers' SkillBoss models, in order; a 429 is retried
inside the worker; a 402 stops the job (what was still queued is never sent) and reaches the
driver as the core's `InsufficientCreditsError` (what LlamaIndex's SkillBoss raises) with its
status, words and retry verdict; a SkillBossEmbedding pickled into a bag's tasks arrives with
its settings and embeds every text; the key is in no Dask log, file or captured output; the
script runs as a user runs it; and no worker process is left at the end.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("distributed") is None:
    from tests.distributed.conftest import SKIP_REASON

    pytest.skip(SKIP_REASON, allow_module_level=True)

from distributed import Client, LocalCluster

from llama_index_skillboss import SkillBossEmbedding
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

pytestmark = pytest.mark.distributed

dask_batch = import_recipe("dask_batch")


class DaskCluster:
    """The recipe's cluster, a client of it, and where its workers may write."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.cluster: LocalCluster = dask_batch.local_cluster(directory=str(directory))
        self.client = Client(self.cluster)
        self.worker_pids: list[int] = list(self.client.run(os.getpid).values())

    def logs(self) -> str:
        """Every log record the scheduler, the nannies and the workers kept."""
        records = [self.client.get_scheduler_logs(n=10_000)]
        records += self.client.get_worker_logs(n=10_000).values()
        records += self.client.get_worker_logs(n=10_000, nanny=True).values()
        return "\n".join(str(record) for record in records)

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


def unfinished_tasks(dask_scheduler: Any) -> int:
    return sum(task.state not in ("memory", "erred") for task in dask_scheduler.tasks.values())


def running_tasks(dask_worker: Any) -> int:
    """Tasks still on a thread, cancelled ones included (a thread cannot be stopped)."""
    return len(dask_worker.state.executing) + len(dask_worker.state.long_running)


def wait_until_idle(client: Client) -> None:
    """Until the scheduler holds no task still to run and no worker thread runs one
    (bounded), so every request the job will ever send has been sent."""
    deadline = time.monotonic() + 60
    while client.run_on_scheduler(unfinished_tasks) or any(client.run(running_tasks).values()):
        assert time.monotonic() < deadline, "the cluster never went idle"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def dask_cluster(
    worker_environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DaskCluster]:
    """Closed at the end even when a test failed."""
    running = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        yield running
    finally:
        running.close()


def test_the_cluster_is_on_loopback_only(dask_cluster: DaskCluster) -> None:
    """The scheduler and every worker have 127.0.0.1 addresses, and every socket this
    process and the worker processes listen on is on loopback."""
    info = dask_cluster.client.scheduler_info()
    assert info["address"].startswith("tcp://127.0.0.1:")
    assert len(info["workers"]) == dask_batch.WORKERS
    assert all(address.startswith("tcp://127.0.0.1:") for address in info["workers"])
    assert set(dask_cluster.worker_pids) <= set(descendants())
    addresses = listening_addresses([os.getpid(), *descendants()])
    assert addresses and all(is_loopback(address) for address in addresses), addresses


def test_every_prompt_gets_its_own_answer_and_a_429_is_retried_in_the_worker(
    dask_cluster: DaskCluster, gateway: ScriptedGateway, capfd: pytest.CaptureFixture[str]
) -> None:
    prompts = [f"Prompt {i}: what is {i} plus 11?" for i in range(150)]
    limited = {prompts[3], prompts[120]}
    script = Answers(rate_limited_once=limited)
    gateway.script(script)

    rows = dask_batch.answer_prompts(dask_cluster.client, prompts)

    assert rows == [(prompt, answer_for(prompt)) for prompt in prompts]
    # Retried by the model inside the worker, not by Dask re-running a task.
    assert script.seen == {prompt: 2 if prompt in limited else 1 for prompt in prompts}
    chats = [r for r in gateway.requests if r.path.endswith("/chat/completions")]
    assert {r.json["model"] for r in chats} == {dask_batch.MODEL}
    assert KEY not in "".join(capfd.readouterr())


def test_a_402_stops_the_job_and_reaches_the_driver_typed(
    dask_cluster: DaskCluster, gateway: ScriptedGateway, capfd: pytest.CaptureFixture[str]
) -> None:
    prompts = [f"Question {i}: name a fruit." for i in range(600)]
    script = Answers(out_of_credit={prompts[0]})
    gateway.script(script)

    with pytest.raises(core.InsufficientCreditsError) as caught:
        dask_batch.answer_prompts(dask_cluster.client, prompts)

    error = caught.value
    assert type(error) is core.InsufficientCreditsError
    assert error.status_code == 402 and error.is_retryable is False
    assert str(error) == error.message and "Insufficient wholesale balance" in str(error)
    assert error.body["message"] == (
        "Insufficient wholesale balance (you sent Authorization: Bearer [redacted])"
    )
    assert KEY not in str(error) and KEY not in repr(error) and KEY not in repr(error.body)
    assert script.seen[prompts[0]] == 1  # never retried
    # The job stopped: once nothing is left on the cluster, most prompts were never sent
    # (without the cancel every one would be, before the cluster went idle).
    wait_until_idle(dask_cluster.client)
    assert sum(script.seen.values()) < len(prompts) / 2
    assert KEY not in "".join(capfd.readouterr())


def test_a_pickled_embedding_model_arrives_with_its_settings(
    dask_cluster: DaskCluster, gateway: ScriptedGateway, capfd: pytest.CaptureFixture[str]
) -> None:
    texts = [f"Note {i} mentions city {i % 9} and river {i % 4}." for i in range(60)]
    model = SkillBossEmbedding(
        model_name=dask_batch.EMBEDDING_MODEL, dimensions=64, embed_batch_size=5
    )

    vectors = dask_batch.embed_corpus(dask_cluster.client, texts, model, partitions=4)

    assert len(vectors) == len(texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert vector == pytest.approx(embed(text, 64), abs=1e-6), text
    asked = [r.json for r in gateway.requests if r.path.endswith("/embeddings")]
    assert {(body["model"], body["dimensions"]) for body in asked} == {
        (dask_batch.EMBEDDING_MODEL, 64)
    }
    assert max(len(body["input"]) for body in asked) == 5  # its embed_batch_size
    assert sorted(text for body in asked for text in body["input"]) == sorted(texts)
    assert KEY not in "".join(capfd.readouterr())


def test_the_key_is_in_no_dask_log_and_the_workers_stop(dask_cluster: DaskCluster) -> None:
    """After the jobs above (a 402 echoing the key among them): the log records Dask kept
    and every file under its directories are free of the key, though the failed task is
    logged; then closing leaves no worker process behind."""
    logs = dask_cluster.logs()
    assert "InsufficientCreditsError" in logs, "the failed task was not logged"
    assert KEY not in logs
    assert any(path.is_file() for path in dask_cluster.directory.rglob("*")), "nothing written"
    assert files_holding(dask_cluster.directory, KEY) == []
    temporary = Path(os.environ["DASK_TEMPORARY_DIRECTORY"])
    assert files_holding(temporary, KEY) == []
    processes = descendants()
    dask_cluster.close()
    assert wait_until_gone(processes) == []


def test_the_script_runs_as_a_user_runs_it(
    worker_environment: dict[str, str], gateway: ScriptedGateway, tmp_path: Path
) -> None:
    """`python dask_batch.py` with the key and the URL in its environment: its own local
    cluster, the functions pickled by value from __main__."""
    gateway.script(Answers())
    env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(tmp_path)}  # its scratch, checked below
    env.pop("PYTHONPATH")  # nothing of this repository's examples on the path: a user's script
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "dask_batch.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for prompt in dask_batch.PROMPTS:
        assert f"{prompt}\n  -> {answer_for(prompt)}" in done.stdout
    assert done.stdout.count("1536 dimensions: ") == len(dask_batch.CORPUS)
    assert KEY not in done.stdout + done.stderr
    assert any(path.is_file() for path in tmp_path.rglob("*")), "the cluster wrote nothing here"
    assert files_holding(tmp_path, KEY) == []
    assert wait_until_gone(processes_using(tmp_path)) == []
