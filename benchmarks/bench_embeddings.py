"""The embeddings workload's clients, each behind the same two calls (issue 22).

Every client answers `embed(texts)` (sync) and `aembed(texts)` (on the running event loop),
both returning one `list[float]` per text, in order, as a caller gets them. All send the
same batch size, so every client makes the same requests and reads the same bytes (the
openai SDK asks base64 by default, and so does our core; the gateway answers what is
asked). What differs is the batching loop and how many batches are in flight:

- `openai SDK (raw)`: `client.embeddings.create(model=..., input=batch)` over the batches,
  one after the other in `embed`, and in `aembed` as asyncio tasks with at most
  `concurrency` in flight (an `asyncio.Semaphore`): the same concurrency as ours. It is
  the baseline of both workloads; the async one is the like-for-like comparison.
- `httpx + json (wire floor)`: the SDK's HTTP library, `json.loads` and base64 decoded into
  `array("f")`: reading the wire with nothing on top (sequential / `concurrency` tasks).
- `skillboss_core Gateway`: `Gateway.embed` / `aembed` with `EmbeddingsRequest.build(...,
  batch_size, concurrency)`: `concurrency` batches in flight in both (threads in sync).
- `SkillBossEmbeddings` / `OpenAIEmbeddings` (peer, `check_embedding_ctx_length=False`,
  `chunk_size`): `embed_documents` / `aembed_documents`. The peer sends its batches one
  after the other in both (it has no concurrency setting).
- `SkillBossEmbedding` / `OpenAIEmbedding` (peer, `embed_batch_size`, `num_workers`):
  `get_text_embedding_batch` / `aget_text_embedding_batch`. The peer's sync call is
  sequential; its async one runs `num_workers` batches at once (llama-index's `run_jobs`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from array import array
from collections.abc import Coroutine, Sequence
from typing import Any

from bench_clients import DUMMY_KEY, BenchClient, _transport

EMBED_MODEL = "openai/text-embedding-3-small"
# llama-index's OpenAIEmbedding accepts only OpenAI's own model names (it maps them to
# engines); the benchmark gateway answers any model id the same way.
OPENAI_MODEL = "text-embedding-3-small"

Vectors = list[list[float]]


def texts_for(count: int) -> list[str]:
    """`count` distinct short texts (about 70 characters, no newlines), like RAG chunks."""
    return [
        f"Passage {index}: a short note about topic {index % 97} for the embeddings benchmark."
        for index in range(count)
    ]


def _batches(texts: Sequence[str], size: int) -> list[Sequence[str]]:
    return [texts[start : start + size] for start in range(0, len(texts), size)]


async def _limited(calls: list[Coroutine[Any, Any, Vectors]], concurrency: int) -> Vectors:
    """Every call as a task, at most `concurrency` running at once; vectors in call order."""
    slots = asyncio.Semaphore(concurrency)

    async def one(call: Coroutine[Any, Any, Vectors]) -> Vectors:
        async with slots:
            return await call

    parts = await asyncio.gather(*(one(call) for call in calls))
    return [vector for part in parts for vector in part]


class EmbedClient(BenchClient):
    """Base: built once with the workload's batch size and concurrency."""

    def __init__(self, base_url: str, batch: int, concurrency: int) -> None:
        super().__init__(base_url)
        self.batch = batch
        self.concurrency = concurrency

    def embed(self, texts: list[str]) -> Vectors:
        raise NotImplementedError

    async def aembed(self, texts: list[str]) -> Vectors:
        raise NotImplementedError


class RawEmbed(EmbedClient):
    """The openai SDK as documented, over the batches: in sequence, or `concurrency` tasks."""

    name, label, family = "raw", "openai SDK (raw)", "reference"

    def __init__(self, base_url: str, batch: int, concurrency: int) -> None:
        super().__init__(base_url, batch, concurrency)
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=DUMMY_KEY)
        self.aclient = openai.AsyncOpenAI(base_url=base_url, api_key=DUMMY_KEY)

    def embed(self, texts: list[str]) -> Vectors:
        vectors: Vectors = []
        for batch in _batches(texts, self.batch):
            response = self.client.embeddings.create(model=EMBED_MODEL, input=list(batch))
            vectors.extend(item.embedding for item in response.data)
        return vectors

    async def aembed(self, texts: list[str]) -> Vectors:
        async def one(batch: Sequence[str]) -> Vectors:
            response = await self.aclient.embeddings.create(model=EMBED_MODEL, input=list(batch))
            return [item.embedding for item in response.data]

        return await _limited(
            [one(batch) for batch in _batches(texts, self.batch)], self.concurrency
        )


class FloorEmbed(EmbedClient):
    """The SDK's HTTP library, json.loads and base64 into array('f'): nothing on top."""

    name, label, family = "floor", "httpx + json (wire floor)", "reference"

    def __init__(self, base_url: str, batch: int, concurrency: int) -> None:
        super().__init__(base_url, batch, concurrency)
        httpx = _transport()
        self.label = f"{httpx.__name__} + json (wire floor)"
        self.url = base_url + "/embeddings"
        self.headers = {"content-type": "application/json", "authorization": "Bearer x"}
        self.client = httpx.Client()
        self.aclient = httpx.AsyncClient()

    def _body(self, batch: Sequence[str]) -> bytes:
        body = {"model": EMBED_MODEL, "input": list(batch), "encoding_format": "base64"}
        return json.dumps(body).encode()

    @staticmethod
    def _vectors(content: bytes) -> Vectors:
        out = []
        for item in json.loads(content)["data"]:
            floats = array("f")
            floats.frombytes(base64.b64decode(item["embedding"]))
            out.append(floats.tolist())
        return out

    def embed(self, texts: list[str]) -> Vectors:
        vectors: Vectors = []
        for batch in _batches(texts, self.batch):
            response = self.client.post(self.url, content=self._body(batch), headers=self.headers)
            vectors.extend(self._vectors(response.content))
        return vectors

    async def aembed(self, texts: list[str]) -> Vectors:
        async def one(batch: Sequence[str]) -> Vectors:
            response = await self.aclient.post(
                self.url, content=self._body(batch), headers=self.headers
            )
            return self._vectors(response.content)

        return await _limited(
            [one(batch) for batch in _batches(texts, self.batch)], self.concurrency
        )


class CoreEmbed(EmbedClient):
    """skillboss_core.Gateway.embed / aembed: the core both adapters stand on."""

    name, label, family = "core", "skillboss_core Gateway", "reference"

    def __init__(self, base_url: str, batch: int, concurrency: int) -> None:
        super().__init__(base_url, batch, concurrency)
        from pydantic import SecretStr

        from skillboss_core import Gateway, GatewaySettings
        from skillboss_core.wire.embeddings import EmbeddingsRequest

        self.gateway = Gateway(GatewaySettings(api_key=SecretStr(DUMMY_KEY), base_url=base_url))
        self.request = EmbeddingsRequest.build(
            {"model": EMBED_MODEL}, batch_size=batch, concurrency=concurrency
        )

    def embed(self, texts: list[str]) -> Vectors:
        return self.gateway.embed(self.request, texts).vectors

    async def aembed(self, texts: list[str]) -> Vectors:
        return (await self.gateway.aembed(self.request, texts)).vectors


class _LangChainEmbed(EmbedClient):
    family = "langchain"
    model: Any = None

    def embed(self, texts: list[str]) -> Vectors:
        return self.model.embed_documents(texts)  # type: ignore[no-any-return]

    async def aembed(self, texts: list[str]) -> Vectors:
        return await self.model.aembed_documents(texts)  # type: ignore[no-any-return]


class SkillBossEmbeddingsClient(_LangChainEmbed):
    name, label, peer = "lc_embeddings", "SkillBossEmbeddings", "lc_openai_embeddings"

    def __init__(self, base_url: str, batch: int, concurrency: int) -> None:
        super().__init__(base_url, batch, concurrency)
        from langchain_skillboss import SkillBossEmbeddings

        self.model = SkillBossEmbeddings(
            model=EMBED_MODEL,
            api_key=DUMMY_KEY,
            base_url=base_url,
            chunk_size=batch,
            max_concurrency=concurrency,
        )


class OpenAIEmbeddingsClient(_LangChainEmbed):
    name, label = "lc_openai_embeddings", "OpenAIEmbeddings (peer)"

    def __init__(self, base_url: str, batch: int, concurrency: int) -> None:
        super().__init__(base_url, batch, concurrency)
        from langchain_openai import OpenAIEmbeddings

        # check_embedding_ctx_length=False: send the texts (no tiktoken pass), as ours does.
        self.model = OpenAIEmbeddings(
            model=EMBED_MODEL,
            api_key=DUMMY_KEY,
            base_url=base_url,
            check_embedding_ctx_length=False,
            chunk_size=batch,
        )


class _LlamaIndexEmbed(EmbedClient):
    family = "llama_index"
    model: Any = None

    def embed(self, texts: list[str]) -> Vectors:
        return self.model.get_text_embedding_batch(texts)  # type: ignore[no-any-return]

    async def aembed(self, texts: list[str]) -> Vectors:
        return await self.model.aget_text_embedding_batch(texts)  # type: ignore[no-any-return]


class SkillBossEmbeddingClient(_LlamaIndexEmbed):
    name, label, peer = "li_embedding", "SkillBossEmbedding", "li_openai_embedding"

    def __init__(self, base_url: str, batch: int, concurrency: int) -> None:
        super().__init__(base_url, batch, concurrency)
        from llama_index_skillboss import SkillBossEmbedding

        self.model = SkillBossEmbedding(
            model_name=EMBED_MODEL,
            api_key=DUMMY_KEY,
            api_base=base_url,
            embed_batch_size=batch,
            num_workers=concurrency,
        )


class OpenAIEmbeddingClient(_LlamaIndexEmbed):
    name, label = "li_openai_embedding", "OpenAIEmbedding (peer)"

    def __init__(self, base_url: str, batch: int, concurrency: int) -> None:
        super().__init__(base_url, batch, concurrency)
        from llama_index.embeddings.openai import OpenAIEmbedding

        self.model = OpenAIEmbedding(
            model=OPENAI_MODEL,
            api_key=DUMMY_KEY,
            api_base=base_url,
            embed_batch_size=batch,
            num_workers=concurrency,
        )


EMBED_ALL: list[Any] = [
    RawEmbed,
    FloorEmbed,
    CoreEmbed,
    SkillBossEmbeddingsClient,
    OpenAIEmbeddingsClient,
    SkillBossEmbeddingClient,
    OpenAIEmbeddingClient,
]
EMBED_NAMES = [factory.name for factory in EMBED_ALL]
OURS = ("core", "lc_embeddings", "li_embedding")
PEERS = ("lc_openai_embeddings", "li_openai_embedding")


def build_embed_clients(
    base_url: str, batch: int, concurrency: int, only: set[str] | None = None
) -> tuple[list[EmbedClient], list[str]]:
    """The embeddings clients that can be built here, and a note for each that cannot."""
    os.environ.setdefault("SKILLBOSS_WHOLESALE_KEY", DUMMY_KEY)
    os.environ["SKILLBOSS_BASE_URL"] = base_url
    clients: list[EmbedClient] = []
    notes: list[str] = []
    for factory in EMBED_ALL:
        if only and factory.name not in only:
            continue
        try:
            clients.append(factory(base_url, batch, concurrency))
        except Exception as exc:  # an adapter not written yet, a peer not installed
            notes.append(f"skipped {factory.label}: {type(exc).__name__}: {exc}")
    return clients, notes
