"""SkillBossEmbedding over real HTTP against the scripted gateway's /v1/embeddings, whose honest
answer is the hashed bag of words of tests/support/embedder.py: texts sharing words get
similar vectors, so retrieval over them means something.

Each behaviour is proved sync and async where LlamaIndex has both: the vectors and their
order, the batching (requests of embed_batch_size, num_workers at once), the typed errors and
which are retried, what a failure leaves unsent, callbacks and instrumentation events, and the
framework machinery that uses an embedding model (VectorStoreIndex, IngestionPipeline).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.base.embeddings.base import Embedding
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.callbacks.schema import EventPayload
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.embedding import (
    EmbeddingEndEvent,
    EmbeddingStartEvent,
)
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.node_parser.text.utils import split_by_regex
from llama_index.core.rate_limiter import BaseRateLimiter
from llama_index.core.schema import MetadataMode
from llama_index.core.storage.kvstore import SimpleKVStore

from llama_index_skillboss import SkillBossEmbedding
from skillboss_core import (
    GatewayAuthenticationError,
    GatewayRateLimitError,
    InsufficientCreditsError,
    InvalidParameterError,
)
from tests.support.embedder import embed
from tests.support.scripted_gateway import (
    EmbeddingsOptions,
    Fault,
    ScriptedGateway,
    ScriptResult,
    error_body,
)

KEY = "sk-embedding-test-0123456789abcdef"
MODEL = "openai/text-embedding-3-small"
Mode = Literal["sync", "async"]
MODES: tuple[Mode, ...] = ("sync", "async")


def embedding(server: ScriptedGateway, **kwargs: Any) -> SkillBossEmbedding:
    settings: dict[str, Any] = {"api_key": KEY, "api_base": server.base_url, "max_retries": 0}
    return SkillBossEmbedding(**{**settings, **kwargs})


def batch(model: SkillBossEmbedding, texts: list[str], mode: Mode) -> list[Embedding]:
    """get_text_embedding_batch, or its async variant in a fresh event loop."""
    if mode == "sync":
        return model.get_text_embedding_batch(texts)
    return asyncio.run(model.aget_text_embedding_batch(texts))


def assert_vectors(
    vectors: Sequence[Embedding], texts: Sequence[str], dimensions: int = 1536
) -> None:
    """Each vector is its own text's (float32 on the wire, hence the tolerance)."""
    assert len(vectors) == len(texts)
    for vector, text in zip(vectors, texts, strict=True):
        assert vector == pytest.approx(embed(text, dimensions), abs=1e-6), text


def inputs(server: ScriptedGateway) -> list[list[str]]:
    """The texts of each embeddings request, in the order the server received them."""
    return [r.json["input"] for r in server.requests if r.path.endswith("/embeddings")]


class Gauge:
    """An embeddings script that holds each request `seconds` and counts how many are in
    flight at once (then lets the default vectors answer)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(self.seconds)
        with self._lock:
            self.active -= 1


TEXTS = [f"chunk number {i} about topic {i % 7}" for i in range(25)]


# -- vectors, order, parameters ---------------------------------------------------------------


def test_query_and_text_embeddings_sync(gateway_server: ScriptedGateway) -> None:
    model = embedding(gateway_server)
    assert_vectors([model.get_query_embedding("Where is Paris?")], ["Where is Paris?"])
    assert_vectors([model.get_text_embedding("Paris is in France.")], ["Paris is in France."])
    body = gateway_server.last_request.json
    assert body == {"model": MODEL, "encoding_format": "base64", "input": ["Paris is in France."]}
    assert gateway_server.last_request.headers["authorization"] == f"Bearer {KEY}"


async def test_query_and_text_embeddings_async(gateway_server: ScriptedGateway) -> None:
    model = embedding(gateway_server)
    assert_vectors([await model.aget_query_embedding("Where is Paris?")], ["Where is Paris?"])
    text = "Paris is in France."
    assert_vectors([await model.aget_text_embedding(text)], [text])
    assert inputs(gateway_server) == [["Where is Paris?"], [text]]


@pytest.mark.parametrize("mode", MODES)
def test_batches_keep_input_order_under_shuffled_answers(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    gateway_server.embeddings = EmbeddingsOptions(shuffle_seed=11)
    model = embedding(gateway_server, embed_batch_size=4, num_workers=2)
    assert_vectors(batch(model, TEXTS, mode), TEXTS)
    sent = inputs(gateway_server)
    assert len(sent) == 7 and all(len(texts) <= 4 for texts in sent)
    assert sorted(t for texts in sent for t in texts) == sorted(TEXTS)


@pytest.mark.parametrize("mode", MODES)
def test_dimensions_and_float_encoding_are_sent(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    model = embedding(gateway_server, dimensions=32, additional_kwargs={"encoding_format": "float"})
    assert_vectors(batch(model, TEXTS[:3], mode), TEXTS[:3], dimensions=32)
    body = gateway_server.last_request.json
    assert (body["dimensions"], body["encoding_format"]) == (32, "float")


def test_float_answers_to_a_base64_request_are_read_too(gateway_server: ScriptedGateway) -> None:
    gateway_server.embeddings = EmbeddingsOptions(ignore_encoding_format=True)
    assert_vectors(embedding(gateway_server).get_text_embedding_batch(TEXTS[:2]), TEXTS[:2])


# -- batches in flight ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("workers", "expected"), [(3, 3), (None, 4), (1, 1)])
def test_batches_run_concurrently_up_to_num_workers(
    gateway_server: ScriptedGateway, mode: Mode, workers: int | None, expected: int
) -> None:
    gauge = Gauge(seconds=0.2)
    gateway_server.script_embeddings(gauge)
    model = embedding(gateway_server, embed_batch_size=2, num_workers=workers)
    texts = TEXTS[:16]
    assert_vectors(batch(model, texts, mode), texts)
    assert gauge.peak == expected
    assert len(inputs(gateway_server)) == 8


@pytest.mark.parametrize("mode", MODES)
def test_ten_thousand_chunks_are_not_one_request_at_a_time(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    gauge = Gauge(seconds=0.1)
    gateway_server.script_embeddings(gauge)
    texts = [f"chunk {i} of the handbook, section {i // 100}" for i in range(10_000)]
    model = embedding(gateway_server, dimensions=8)  # 512 texts a request, 4 at once
    vectors = batch(model, texts, mode)
    assert_vectors(vectors, texts, dimensions=8)
    sent = inputs(gateway_server)
    assert [len(texts) for texts in sent].count(512) == 19 and len(sent) == 20
    assert gauge.peak == 4


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "error"), [(401, GatewayAuthenticationError), (402, InsufficientCreditsError)]
)
def test_auth_and_balance_errors_are_typed_and_never_retried(
    gateway_server: ScriptedGateway, mode: Mode, status: int, error: type[Exception]
) -> None:
    gateway_server.enqueue(Fault.status(status))
    model = embedding(gateway_server, max_retries=2)
    with pytest.raises(error):
        batch(model, TEXTS[:3], mode)
    assert len(gateway_server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [429, 500])
def test_rate_limits_and_server_errors_are_retried(
    gateway_server: ScriptedGateway, mode: Mode, status: int
) -> None:
    gateway_server.enqueue(Fault.status(status, headers={"retry-after": "0"}))
    model = embedding(gateway_server, max_retries=1)
    assert_vectors(batch(model, TEXTS[:3], mode), TEXTS[:3])
    assert len(gateway_server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_a_rate_limit_that_outlasts_the_retries_is_raised_typed(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    gateway_server.enqueue(*[Fault.status(429, headers={"retry-after": "0"})] * 3)
    with pytest.raises(GatewayRateLimitError):
        batch(embedding(gateway_server, max_retries=2), TEXTS[:3], mode)
    assert len(gateway_server.requests) == 3


def test_a_failure_leaves_the_later_groups_unsent(gateway_server: ScriptedGateway) -> None:
    """Sync: nothing after the failing group is sent (its other request may or may not
    have left before the failure: the threads race)."""

    def answer(body: dict[str, Any]) -> ScriptResult | None:
        if body["input"] == [TEXTS[1]]:
            return 401, {"Content-Type": "application/json"}, _error(401)
        time.sleep(0.3)
        return None

    gateway_server.script_embeddings(answer)
    model = embedding(gateway_server, embed_batch_size=1, num_workers=2)
    with pytest.raises(GatewayAuthenticationError):
        model.get_text_embedding_batch(TEXTS[:8])
    time.sleep(0.5)  # a request already on its way is recorded by now
    sent = inputs(gateway_server)
    assert [TEXTS[1]] in sent and all(batch in ([TEXTS[0]], [TEXTS[1]]) for batch in sent)


async def test_a_failure_cancels_the_requests_in_flight(gateway_server: ScriptedGateway) -> None:
    """Async: the sibling still waiting for its answer is cancelled at once, not awaited."""
    release = threading.Event()

    def answer(body: dict[str, Any]) -> ScriptResult | None:
        if body["input"] == [TEXTS[1]]:
            time.sleep(0.2)  # the slow sibling is in flight by then
            return 401, {"Content-Type": "application/json"}, _error(401)
        release.wait(10)
        return None

    gateway_server.script_embeddings(answer)
    model = embedding(gateway_server, embed_batch_size=1, num_workers=2)
    started = time.monotonic()
    try:
        with pytest.raises(GatewayAuthenticationError):
            await model.aget_text_embedding_batch(TEXTS[:8])
        assert time.monotonic() - started < 8, "waited for the sibling's answer"
    finally:
        release.set()
    assert sorted(inputs(gateway_server)) == [[TEXTS[0]], [TEXTS[1]]]


def _error(status: int) -> bytes:
    return json.dumps(error_body(status)).encode()


@pytest.mark.parametrize("mode", MODES)
def test_an_empty_text_is_refused_before_anything_is_sent(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    model = embedding(gateway_server, embed_batch_size=2, num_workers=2)
    with pytest.raises(InvalidParameterError, match=r"texts\[6\] is empty"):
        batch(model, [*TEXTS[:6], "", TEXTS[6]], mode)
    with pytest.raises(InvalidParameterError, match="is empty"):
        if mode == "sync":
            model.get_query_embedding("")
        else:
            asyncio.run(model.aget_query_embedding(""))
    assert gateway_server.requests == []


def test_a_second_asyncio_run_works(gateway_server: ScriptedGateway) -> None:
    model = embedding(gateway_server, embed_batch_size=2)
    for _ in range(2):
        assert_vectors([asyncio.run(model.aget_query_embedding("again"))], ["again"])
        assert_vectors(asyncio.run(model.aget_text_embedding_batch(TEXTS[:5])), TEXTS[:5])


def test_closing_releases_connections_and_the_next_call_reconnects(
    gateway_server: ScriptedGateway,
) -> None:
    with embedding(gateway_server) as model:
        model.get_query_embedding("first")
    assert_vectors([model.get_query_embedding("second")], ["second"])
    asyncio.run(model.aclose())
    assert_vectors([model.get_query_embedding("third")], ["third"])
    assert gateway_server.connections_opened >= 2


# -- callbacks, instrumentation, rate limiter, cache ------------------------------------------


class Collect(BaseEventHandler):
    events: list[BaseEvent] = []

    @classmethod
    def class_name(cls) -> str:
        return "Collect"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def events() -> Iterator[list[BaseEvent]]:
    handler = Collect(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield handler.events
    finally:
        root.event_handlers.remove(handler)


@pytest.mark.parametrize("mode", MODES)
def test_callbacks_and_instrumentation_see_each_group(
    gateway_server: ScriptedGateway, events: list[BaseEvent], mode: Mode
) -> None:
    debug = LlamaDebugHandler()
    model = embedding(
        gateway_server, embed_batch_size=2, num_workers=2, callback_manager=CallbackManager([debug])
    )
    vectors = batch(model, TEXTS[:10], mode)  # groups of 4, 4 and 2 texts
    pairs = debug.get_event_pairs(CBEventType.EMBEDDING)
    assert [len(end.payload[EventPayload.CHUNKS]) for _, end in pairs] == [4, 4, 2]
    assert [t for _, end in pairs for t in end.payload[EventPayload.CHUNKS]] == TEXTS[:10]
    assert [v for _, end in pairs for v in end.payload[EventPayload.EMBEDDINGS]] == vectors
    assert all(start.payload[EventPayload.SERIALIZED] == model.to_payload() for start, _ in pairs)
    starts = [e for e in events if isinstance(e, EmbeddingStartEvent)]
    ends = [e for e in events if isinstance(e, EmbeddingEndEvent)]
    assert [e.model_dict["class_name"] for e in starts] == ["SkillBossEmbedding"] * 3
    assert [c for e in ends for c in e.chunks] == TEXTS[:10]
    assert [v for e in ends for v in e.embeddings] == vectors


@pytest.mark.parametrize("call", ["batch", "abatch", "query", "aquery"])
def test_errors_reach_callback_handlers(gateway_server: ScriptedGateway, call: str) -> None:
    """As with the LLM: the EMBEDDING event ends with the typed error, which is then raised."""
    gateway_server.enqueue(Fault.status(401))
    debug = LlamaDebugHandler()
    model = embedding(gateway_server, callback_manager=CallbackManager([debug]))
    with pytest.raises(GatewayAuthenticationError) as caught:
        if call == "batch":
            model.get_text_embedding_batch(["hello"])
        elif call == "abatch":
            asyncio.run(model.aget_text_embedding_batch(["hello"]))
        elif call == "query":
            model.get_query_embedding("hello")
        else:
            asyncio.run(model.aget_query_embedding("hello"))
    [(_, end)] = debug.get_event_pairs(CBEventType.EMBEDDING)
    assert end.payload is not None
    assert end.payload[EventPayload.EXCEPTION] is caught.value


class CountingLimiter(BaseRateLimiter):
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, num_tokens: int = 0) -> None:
        self.acquired += 1

    async def async_acquire(self, num_tokens: int = 0) -> None:
        self.acquired += 1


@pytest.mark.parametrize("mode", MODES)
def test_the_rate_limiter_is_asked_once_per_request(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    limiter = CountingLimiter()
    model = embedding(gateway_server, embed_batch_size=2, num_workers=2, rate_limiter=limiter)
    batch(model, TEXTS[:9], mode)
    assert limiter.acquired == len(inputs(gateway_server)) == 5


@pytest.mark.parametrize("mode", MODES)
def test_cached_texts_are_not_sent_again(gateway_server: ScriptedGateway, mode: Mode) -> None:
    model = embedding(gateway_server, embed_batch_size=2, embeddings_cache=SimpleKVStore())
    first = batch(model, TEXTS[:4], mode)
    assert len(inputs(gateway_server)) == 2
    again = batch(model, TEXTS[:5], mode)
    assert again[:4] == first
    assert_vectors(again, TEXTS[:5])
    assert inputs(gateway_server)[2:] == [[TEXTS[4]]]


# -- the framework machinery ------------------------------------------------------------------

DOCUMENTS = [
    Document(id_="paris", text="Paris is the capital of France, on the river Seine."),
    Document(id_="python", text="Python is a programming language with a large library."),
    Document(id_="tides", text="Tides rise and fall twice a day with the pull of the moon."),
    Document(id_="bread", text="Bread dough needs flour, water, salt and yeast to rise."),
]
QUESTIONS = [
    ("What is the capital of France?", "paris"),
    ("Which programming language has a large library?", "python"),
    ("Why do tides rise and fall?", "tides"),
    ("What goes in bread dough?", "bread"),
]


@pytest.fixture
def settings_embedding(gateway_server: ScriptedGateway) -> Iterator[SkillBossEmbedding]:
    """SkillBossEmbedding as Settings.embed_model (the line a user writes), restored after."""
    saved = Settings._embed_model
    Settings.embed_model = embedding(gateway_server, embed_batch_size=2, num_workers=2)
    try:
        assert isinstance(Settings.embed_model, SkillBossEmbedding)
        yield Settings.embed_model
    finally:
        Settings._embed_model = saved


def test_a_vector_store_index_retrieves_the_right_document(
    settings_embedding: SkillBossEmbedding, gateway_server: ScriptedGateway
) -> None:
    index = VectorStoreIndex.from_documents(DOCUMENTS)
    assert sorted(t for texts in inputs(gateway_server) for t in texts) == sorted(
        d.text for d in DOCUMENTS
    )
    retriever = index.as_retriever(similarity_top_k=1)
    for question, document in QUESTIONS:
        [found] = retriever.retrieve(question)
        assert found.node.ref_doc_id == document, question


def test_a_vector_store_index_built_and_queried_asynchronously(
    settings_embedding: SkillBossEmbedding,
) -> None:
    index = VectorStoreIndex.from_documents(DOCUMENTS, use_async=True)
    retriever = index.as_retriever(similarity_top_k=1)
    for question, document in QUESTIONS:  # one asyncio.run after another
        [found] = asyncio.run(retriever.aretrieve(question))
        assert found.node.ref_doc_id == document, question


@pytest.mark.parametrize("mode", MODES)
def test_an_ingestion_pipeline_embeds_every_node_in_order(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    model = embedding(gateway_server, embed_batch_size=3, num_workers=2)
    # Sentences found by a regex, not nltk's punkt: this venv's nltk data is hard-linked,
    # which nltk's path guard refuses to read.
    sentences = split_by_regex(r"[^.?!]+[.?!]\s*")
    splitter = SentenceSplitter(chunk_size=50, chunk_overlap=0, chunking_tokenizer_fn=sentences)
    pipeline = IngestionPipeline(transformations=[splitter, model])
    long_document = Document(text=" ".join(d.text for d in DOCUMENTS * 6))
    if mode == "sync":
        nodes = pipeline.run(documents=[long_document])
    else:
        nodes = asyncio.run(pipeline.arun(documents=[long_document]))
    texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
    assert len(nodes) > 6  # more than one group of 3 x 2
    assert_vectors([node.embedding or [] for node in nodes], texts)
    # Requests of one group may arrive in any order; together they are every node's text.
    assert sorted(t for sent in inputs(gateway_server) for t in sent) == sorted(texts)
