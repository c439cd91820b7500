"""Batch work on Ray: ChatSkillBoss answers a dataset of prompts, SkillBossEmbeddings embeds a
corpus, both with Ray Data `map_batches` over a pool of actors.

Each actor builds one model when it starts and keeps it for every batch it gets (its pooled
connections too); a batch is answered with up to MAX_CONCURRENCY requests in flight, so the
whole job sends at most ACTORS x MAX_CONCURRENCY at once. The actors read the key from their
own environment: on the local cluster this script starts they inherit this process's
environment; on a cluster of several machines set SKILLBOSS_WHOLESALE_KEY where `ray start`
runs on each node. Never in `runtime_env={"env_vars": ...}`: Ray writes a runtime env, values
included, to each node's runtime_env_agent.log.

A 429 is retried inside the actor that got it (ChatSkillBoss's own backoff, honouring
Retry-After). A 402 (out of credits) is never retried: Ray Data stops the dataset at the first
failed batch and this script raises the actor's `InsufficientCreditsError` on the driver
(`raise_original_map_exception`, and the unwrapping in `collect`), so `except
InsufficientCreditsError:` works around a whole job.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[langchain]" "ray[data]"   # in a clone of skillboss-integrations
    export SKILLBOSS_WHOLESALE_KEY=...
    python ray_batch.py
It starts a Ray cluster of this machine alone (every Ray process on 127.0.0.1, no dashboard,
no usage reporting) and calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1. On
an existing cluster, call `ray.init(address="auto")` instead of `start_local_cluster()` (and
see the comment above `import ray`).
"""

from __future__ import annotations

import os

# Ray reads these when it is imported: the cluster this script starts keeps every Ray process
# on 127.0.0.1 (Ray's one-machine mode, its default on macOS and Windows) and reports no
# usage. To join a cluster of several machines instead, delete the first line.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from collections.abc import Sequence
from typing import Any

import ray
import ray.data
import ray.exceptions

from langchain_skillboss import ChatSkillBoss, SkillBossEmbeddings
from skillboss_core.errors import InsufficientCreditsError, SkillBossError

MODEL = "openai/gpt-5.4-mini"
EMBEDDING_MODEL = "openai/text-embedding-3-small"
ACTORS = 2  # actors in each pool: one model each
MAX_CONCURRENCY = 4  # requests in flight per actor
BATCH_SIZE = 16  # rows an actor gets at a time
MAX_RETRIES = 4  # per request, inside the actor: 429s and 5xx back off and retry

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


class Answerer:
    """One ChatSkillBoss per actor, built from the actor's environment (key, base URL)."""

    def __init__(self, model: str = MODEL, max_concurrency: int = MAX_CONCURRENCY) -> None:
        self.llm = ChatSkillBoss(model=model, temperature=0, max_retries=MAX_RETRIES)
        self.max_concurrency = max_concurrency

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        prompts = [str(prompt) for prompt in batch["prompt"]]
        answers = self.llm.batch(prompts, config={"max_concurrency": self.max_concurrency})
        return {"prompt": prompts, "answer": [answer.text for answer in answers]}


class Embedder:
    """One SkillBossEmbeddings per actor; it batches and parallelises its own requests."""

    def __init__(self, model: str = EMBEDDING_MODEL) -> None:
        self.embeddings = SkillBossEmbeddings(model=model, max_retries=MAX_RETRIES)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(text) for text in batch["text"]]
        return {"text": texts, "vector": self.embeddings.embed_documents(texts)}


def start_local_cluster(temp_dir: str | None = None, num_cpus: int | None = None) -> None:
    """A Ray cluster of this machine alone (on 127.0.0.1: see the top of this file), no
    dashboard, its logs under `temp_dir` (Ray's default /tmp/ray when None). Its workers
    inherit this process's environment, the key with it."""
    ray.init(
        address="local",
        num_cpus=num_cpus or max(os.cpu_count() or 1, ACTORS),
        include_dashboard=False,
        _temp_dir=temp_dir,
    )


def raise_errors_as_they_are() -> None:
    """Ray Data wraps an actor's exception in its UserCodeException unless told not to; a
    dataset reads this setting when it is created."""
    ray.data.DataContext.get_current().raise_original_map_exception = True


def collect(dataset: ray.data.Dataset) -> list[dict[str, Any]]:
    """Every row; a SkillBoss error from an actor is raised here as itself (with Ray's
    worker traceback as its cause), not wrapped in Ray's RayTaskError."""
    try:
        return dataset.take_all()
    except ray.exceptions.RayTaskError as error:
        if isinstance(error.cause, SkillBossError):
            raise error.cause from error
        raise


def answer_prompts(
    prompts: Sequence[str],
    *,
    model: str = MODEL,
    actors: int = ACTORS,
    max_concurrency: int = MAX_CONCURRENCY,
    batch_size: int = BATCH_SIZE,
) -> list[tuple[str, str]]:
    """(prompt, answer) for every prompt, in no particular order: each row keeps its prompt."""
    raise_errors_as_they_are()
    dataset = ray.data.from_items([{"prompt": prompt} for prompt in prompts])
    answered = dataset.map_batches(
        Answerer,
        fn_constructor_kwargs={"model": model, "max_concurrency": max_concurrency},
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=batch_size,
    )
    return [(row["prompt"], row["answer"]) for row in collect(answered)]


def embed_corpus(
    texts: Sequence[str],
    *,
    model: str = EMBEDDING_MODEL,
    actors: int = ACTORS,
    batch_size: int = 64,
) -> list[tuple[str, list[float]]]:
    """(text, vector) for every text, in no particular order."""
    raise_errors_as_they_are()
    dataset = ray.data.from_items([{"text": text} for text in texts])
    embedded = dataset.map_batches(
        Embedder,
        fn_constructor_kwargs={"model": model},
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=batch_size,
    )
    return [(row["text"], [float(x) for x in row["vector"]]) for row in collect(embedded)]


def main() -> None:
    start_local_cluster()
    try:
        for prompt, answer in sorted(answer_prompts(PROMPTS)):
            print(f"{prompt}\n  -> {answer}")
        for text, vector in sorted(embed_corpus(CORPUS)):
            print(f"{len(vector)} dimensions: {text}")
    except InsufficientCreditsError as error:
        raise SystemExit(f"The job stopped: {error}") from None
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
