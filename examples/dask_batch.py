"""Batch work on Dask distributed: SkillBoss answers prompts with `client.map`, and
SkillBossEmbedding embeds a corpus as a `dask.bag`.

Two ways for a model to reach the workers, one each:
- the answers: each worker process builds one SkillBoss on first use (`worker_llm`) from its
  own environment (key, base URL). The recommended way: the key stays where the worker was
  started. The workers of the local cluster this script starts inherit this process's
  environment; on a cluster of several machines set SKILLBOSS_WHOLESALE_KEY where
  `dask worker` runs (a Kubernetes secret, the service's environment file).
- the embeddings: one SkillBossEmbedding built here is pickled into every task, with its
  settings and its key (the pickle must carry the key for the copy to call the gateway).
  Fine inside a cluster that is yours alone; never write such a pickle to disk or a log.

Each worker runs THREADS_PER_WORKER tasks at once, one request each, so the job sends at most
WORKERS x THREADS_PER_WORKER requests at once. A 429 is retried inside the worker that got it
(SkillBoss's own backoff, honouring Retry-After). A 402 (out of credits) is never retried:
`answer_prompts` cancels what is still queued and raises the worker's
`InsufficientCreditsError` on the driver, as itself.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[llama-index]" "dask[distributed]"   # in a clone of skillboss-integrations
    export SKILLBOSS_WHOLESALE_KEY=...
    python dask_batch.py
It starts a Dask cluster of this machine alone (scheduler and workers on 127.0.0.1, no
dashboard) and calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1. On an
existing cluster, pass its scheduler's address to `Client(...)` instead.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import dask.bag
import dask.config
from distributed import Client, LocalCluster

from llama_index_skillboss import SkillBoss, SkillBossEmbedding
from skillboss_core.errors import InsufficientCreditsError

MODEL = "openai/gpt-5.4-mini"
EMBEDDING_MODEL = "openai/text-embedding-3-small"
WORKERS = 2  # worker processes: one model each
THREADS_PER_WORKER = 4  # tasks (so requests) in flight per worker
MAX_RETRIES = 4  # per request, inside the worker: 429s and 5xx back off and retry

PROMPTS = [
    "In one sentence, what is a wholesale key for?",
    "In one sentence, why is a 402 never retried?",
    "In one sentence, what does a 429 ask a client to do?",
    "In one sentence, what is a fallback model?",
]
CORPUS = [
    "An HTTP 402 from the gateway means your wholesale credits ran out.",
    "A 429 asks the client to back off and retry after a while.",
    "Gateway model ids name the vendor first, as in openai/gpt-5.4-mini.",
]


@functools.cache
def worker_llm(model: str) -> SkillBoss:
    """One SkillBoss per worker process and model, from the worker's environment; shared by
    the worker's threads (a model is thread-safe)."""
    return SkillBoss(model=model, temperature=0, max_retries=MAX_RETRIES)


def answer(prompt: str, model: str = MODEL) -> tuple[str, str]:
    """One prompt, answered on a worker: (prompt, answer)."""
    return prompt, worker_llm(model).complete(prompt).text


def embed_partition(texts: Iterable[str], embed_model: SkillBossEmbedding) -> list[list[float]]:
    """The vectors of one partition of the bag, in its order."""
    return embed_model.get_text_embedding_batch(list(texts))


def local_cluster(
    *, workers: int = WORKERS, threads: int = THREADS_PER_WORKER, directory: str | None = None
) -> LocalCluster:
    """A Dask cluster of this machine alone: scheduler and worker processes on 127.0.0.1, no
    dashboard, scratch space under `directory` (Dask's temporary-directory when None); its
    workers inherit this process's environment, the key with it."""
    settings = {} if directory is None else {"temporary-directory": directory}
    with dask.config.set(settings):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            local_directory=directory,
        )


def answer_prompts(
    client: Client, prompts: Sequence[str], *, model: str = MODEL
) -> list[tuple[str, str]]:
    """(prompt, answer) for every prompt, in the prompts' order. On the first failure the
    tasks not yet run are cancelled and the worker's error is raised as itself."""
    futures = client.map(answer, prompts, model=model, pure=False)
    try:
        return list(client.gather(futures))
    except BaseException:
        client.cancel(futures)
        raise


def embed_corpus(
    client: Client, texts: Sequence[str], embed_model: SkillBossEmbedding, partitions: int = 4
) -> list[list[float]]:
    """The vector of every text, in the texts' order: a bag of `partitions` parts, each
    embedded on a worker by a pickled copy of `embed_model` (its settings and key with it)."""
    bag = dask.bag.from_sequence(texts, npartitions=partitions)
    vectors: list[list[float]] = bag.map_partitions(embed_partition, embed_model).compute(
        scheduler=client
    )
    return vectors


def main() -> None:
    with local_cluster() as cluster, Client(cluster) as client:
        try:
            for prompt, reply in answer_prompts(client, PROMPTS):
                print(f"{prompt}\n  -> {reply}")
            embed_model = SkillBossEmbedding(model_name=EMBEDDING_MODEL, embed_batch_size=64)
            for text, vector in zip(CORPUS, embed_corpus(client, CORPUS, embed_model), strict=True):
                print(f"{len(vector)} dimensions: {text}")
        except InsufficientCreditsError as error:
            raise SystemExit(f"The job stopped: {error}") from None


if __name__ == "__main__":
    main()
