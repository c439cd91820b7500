"""Our clients behind a real OpenAI-compatible proxy: LiteLLM's, on 127.0.0.1, in front of the
scripted gateway (`make test-proxy`; the main venv has no litellm and skips this module).
The clients: the core's Gateway (embed, aembed, complete, stream), LangChain's
SkillBossEmbeddings and LlamaIndex's SkillBossEmbedding, each given the proxy's URL and key.

What holds through the proxy, as on our own loopback server: vectors in input order while
the upstream shuffles its answers, base64 and float answers decoded to the same numbers (bit
for bit those the upstream sent), cosine retrieval finding the right document (by hand, in
LangChain's InMemoryVectorStore, in a LlamaIndex VectorStoreIndex), chat answered whole and
streamed, and every upstream failure arriving as the core's typed error with the upstream's
words in it.

What LiteLLM itself does (recorded here, LiteLLM version in tests/proxy/requirements.txt):
- order: it passes `data` through in the upstream's order (each item keeping its `index`),
  so re-ordering by index stays the client's job;
- encoding_format: forwarded as asked; a base64 answer is passed on as base64 strings, a
  float answer as floats;
- dimensions: forwarded only when the upstream model's name contains "text-embedding-3";
  for any other name LiteLLM refuses the request itself (400, "UnsupportedParamsError",
  nothing sent upstream), or with `drop_params: true` silently drops `dimensions` (the
  upstream's full-length vectors come back), or with
  `allowed_openai_params: ["dimensions"]` forwards it;
- errors: an upstream 400, 401 and 402 keep their status and are not retried (404 too, seen
  by hand; a 403 is retried twice), the upstream's message quoted inside LiteLLM's
  ("litellm.BadRequestError: OpenAIException - Error code: 400 - <upstream words> ...
  LiteLLM: model group '...' failed ..."). 429 and 5xx are retried by LiteLLM itself (its
  router retries the openai SDK's call, which retries too): a brief 429 never reaches the
  client, a persistent one does, as a 429, after several upstream requests (9 in most runs).
  After a 401 (not after a 429 or 402) a model group of one deployment is cooled down for
  5 s: calls meanwhile get a 429 "No deployments available" without reaching the upstream.
- the proxy's own key check (a master key, no database) answers a wrong key with 400 "No
  connected db." before any upstream request, not with 401.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest

# Only whether litellm is installed: importing it here would make this process fetch
# LiteLLM's model-cost table from the internet (the proxy's own process is told not to).
if importlib.util.find_spec("litellm") is None:
    pytest.skip("the proxy suite runs in .venv-proxy: make test-proxy", allow_module_level=True)

import httpx
import openai
from pydantic import SecretStr

from skillboss_core import (
    ChatRequest,
    EmbeddingsRequest,
    EmbeddingsResult,
    Gateway,
    GatewaySettings,
    errors,
)
from tests.proxy.litellm_proxy import MASTER_KEY, UPSTREAM_KEY, LiteLLMProxy
from tests.proxy.models import CHAT_MODEL, EMBED_MODEL, OTHER_EMBED_MODEL
from tests.support import embedder
from tests.support.embeddings_wire import EmbeddingsOptions
from tests.support.scripted_gateway import Fault, RecordedRequest, ScriptedGateway
from tests.support.wire import Reply, error_body

# The proxy's start-up (10 to 25 s, more on a busy machine) counts toward the first test.
pytestmark = pytest.mark.timeout(300)

TEXTS = [f"note {i}: the {'red' if i % 2 else 'blue'} fox number {i}" for i in range(10)]
DOCUMENTS = [
    "Paris is the capital of France and sits on the Seine.",
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar in plants.",
    "The Pacific is the largest and deepest ocean on Earth.",
    "A sourdough bread rises with wild yeast and lactic acid bacteria.",
]
QUERIES = {
    "What is the capital of France?": 0,
    "How do plants turn sunlight into sugar?": 1,
    "Which ocean is the largest?": 2,
    "What makes sourdough bread rise?": 3,
}


def core(proxy: LiteLLMProxy, *, key: str = MASTER_KEY, max_retries: int = 0) -> Gateway:
    """The core's gateway client pointed at the proxy. No retries of its own by default: what
    reaches the client is what the proxy answered, not our retry loop's doing."""
    return Gateway(
        GatewaySettings(
            api_key=SecretStr(key),
            base_url=f"{proxy.url}/v1",
            max_retries=max_retries,
            timeout=60.0,
        )
    )


def build(model: str = EMBED_MODEL, **values: Any) -> EmbeddingsRequest:
    batch_size = values.pop("batch_size", None)
    concurrency = values.pop("concurrency", None)
    return EmbeddingsRequest.build(
        {"model": model, **values}, batch_size=batch_size, concurrency=concurrency
    )


def embed_sync(gateway: Gateway, request: EmbeddingsRequest, texts: list[str]) -> EmbeddingsResult:
    with gateway:
        return gateway.embed(request, texts)


def embed_async(gateway: Gateway, request: EmbeddingsRequest, texts: list[str]) -> EmbeddingsResult:
    async def run() -> EmbeddingsResult:
        async with gateway:
            return await gateway.aembed(request, texts)

    return asyncio.run(run())


STYLES = [embed_sync, embed_async]
Embed = Callable[[Gateway, EmbeddingsRequest, list[str]], EmbeddingsResult]


def embedding_requests(server: ScriptedGateway) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path.endswith("/embeddings")]


def expected(texts: Sequence[str], dimensions: int = embedder.DEFAULT_DIMENSIONS) -> list[Any]:
    """The upstream's vectors for `texts` (float32 on the wire, hence approx)."""
    return [pytest.approx(embedder.embed(text, dimensions), rel=1e-6) for text in texts]


def raw_embeddings(proxy: LiteLLMProxy, body: dict[str, Any]) -> httpx.Response:
    """One POST /v1/embeddings to the proxy, bypassing our client, to see its wire answer."""
    return httpx.post(
        f"{proxy.url}/v1/embeddings",
        json=body,
        headers={"Authorization": f"Bearer {MASTER_KEY}"},
        timeout=60.0,
        trust_env=False,
    )


# -- order, encodings, retrieval ------------------------------------------------------------


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_vectors_keep_input_order_while_the_upstream_shuffles(
    proxy: LiteLLMProxy, upstream: ScriptedGateway, embed: Embed
) -> None:
    upstream.embeddings = EmbeddingsOptions(shuffle_seed=11)
    result = embed(core(proxy), build(batch_size=3, concurrency=2), TEXTS)
    assert result.vectors == expected(TEXTS)
    sent = embedding_requests(upstream)
    assert sorted(len(r.json["input"]) for r in sent) == [1, 3, 3, 3]
    # The proxy sends the SkillBoss id unchanged, with its own upstream key (never ours).
    assert {r.json["model"] for r in sent} == {EMBED_MODEL}
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {UPSTREAM_KEY}"}
    assert result.usage.total_tokens == sum(len(embedder.words(t)) for t in TEXTS)


def test_litellm_passes_the_upstream_order_through(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    """Recorded: LiteLLM does not sort `data`; without re-ordering by index a client would
    pair texts with the wrong vectors."""
    upstream.embeddings = EmbeddingsOptions(shuffle_seed=11)
    answer = raw_embeddings(
        proxy, {"model": EMBED_MODEL, "input": TEXTS[:4], "encoding_format": "float"}
    )
    assert answer.status_code == 200, answer.text
    indexes = [item["index"] for item in answer.json()["data"]]
    assert sorted(indexes) == [0, 1, 2, 3] and indexes != [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("asked", "upstream_answers_floats", "proxy_sends"),
    [
        ("base64", False, str),
        ("float", False, list),
        ("base64", True, list),  # an upstream that ignores encoding_format
    ],
    ids=["base64", "float", "base64-answered-with-floats"],
)
@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_base64_and_float_answers_decode_to_the_same_vectors(
    proxy: LiteLLMProxy,
    upstream: ScriptedGateway,
    embed: Embed,
    asked: str,
    upstream_answers_floats: bool,
    proxy_sends: type,
) -> None:
    upstream.embeddings = EmbeddingsOptions(
        shuffle_seed=5, ignore_encoding_format=upstream_answers_floats
    )
    result = embed(core(proxy), build(encoding_format=asked, batch_size=2), TEXTS[:5])
    assert result.vectors == expected(TEXTS[:5])
    assert {r.json["encoding_format"] for r in embedding_requests(upstream)} == {asked}
    # What the proxy puts on the wire: the upstream's encoding, passed on.
    answer = raw_embeddings(
        proxy, {"model": EMBED_MODEL, "input": TEXTS[:1], "encoding_format": asked}
    )
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json()["data"][0]["embedding"], proxy_sends)


def test_proxied_vectors_equal_the_upstreams_own(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    """Bit for bit: the proxy neither rounds nor re-encodes the numbers."""
    for encoding in ("base64", "float"):
        request = build(encoding_format=encoding)
        through_proxy = embed_sync(core(proxy), request, TEXTS[:3])
        direct = Gateway(
            GatewaySettings(api_key=SecretStr(UPSTREAM_KEY), base_url=upstream.base_url)
        )
        assert through_proxy.vectors == embed_sync(direct, request, TEXTS[:3]).vectors


def nearest(query: list[float], documents: list[list[float]]) -> int:
    return max(range(len(documents)), key=lambda i: embedder.cosine(query, documents[i]))


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_retrieval_finds_the_right_document(proxy: LiteLLMProxy, embed: Embed) -> None:
    documents = embed(core(proxy), build(), DOCUMENTS).vectors
    queries = embed(core(proxy), build(), list(QUERIES)).vectors
    assert [nearest(q, documents) for q in queries] == list(QUERIES.values())
    # Unit vectors from the proxy, as from the upstream.
    assert all(math.isclose(math.hypot(*v), 1.0, rel_tol=1e-5) for v in documents)


# -- dimensions -------------------------------------------------------------------------------


def test_dimensions_reach_the_upstream_for_a_text_embedding_3_name(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    result = embed_sync(core(proxy), build(dimensions=64), TEXTS[:3])
    assert [r.json.get("dimensions") for r in embedding_requests(upstream)] == [64]
    assert result.vectors == expected(TEXTS[:3], 64)


def test_dimensions_for_another_name_are_refused_by_litellm(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    """LiteLLM's OpenAI provider takes `dimensions` only for names holding "text-embedding-3":
    for any other it refuses the call itself, a 400 naming the way out (drop_params)."""
    with pytest.raises(errors.GatewayBadRequestError) as raised:
        embed_sync(core(proxy), build(OTHER_EMBED_MODEL, dimensions=64), TEXTS[:2])
    assert embedding_requests(upstream) == []
    assert raised.value.status_code == 400 and not raised.value.is_retryable
    message = str(raised.value)
    assert "(400)" in message and "dimensions" in message and "drop_params" in message


def test_a_proxy_that_drops_dimensions_is_noticed(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    """With `drop_params: true` LiteLLM sends no `dimensions`, and the model's full-length
    vectors (1536 where 64 were asked) come back: the core refuses them, typed, instead of
    handing vectors of the wrong size to a vector store."""
    with pytest.raises(errors.InvalidResponseError, match="1536 dimensions where dimensions=64"):
        embed_sync(core(proxy), build(f"{OTHER_EMBED_MODEL}-drop", dimensions=64), TEXTS[:2])
    sent = embedding_requests(upstream)
    assert len(sent) == 1 and "dimensions" not in sent[0].json


def test_allowed_openai_params_forwards_dimensions_for_another_name(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    result = embed_sync(core(proxy), build(f"{OTHER_EMBED_MODEL}-allow", dimensions=64), TEXTS[:2])
    sent = embedding_requests(upstream)
    assert [(r.json["model"], r.json.get("dimensions")) for r in sent] == [(OTHER_EMBED_MODEL, 64)]
    assert result.vectors == expected(TEXTS[:2], 64)


# -- typed errors -----------------------------------------------------------------------------


def test_a_wrong_proxy_key_is_refused_before_the_upstream(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    """Recorded: a LiteLLM proxy with a master key and no database answers any other key
    with 400 "No connected db." (it would look the key up among its virtual keys), not 401.
    So it arrives as a GatewayBadRequestError whose words say nothing about the key; a proxy
    with a database answers an unknown key with 401 (GatewayAuthenticationError)."""
    wrong = "sk-not-the-proxy-master-key-0000"
    with pytest.raises(errors.GatewayBadRequestError) as raised:
        embed_sync(core(proxy, key=wrong), build(), TEXTS[:1])
    assert embedding_requests(upstream) == []
    assert raised.value.status_code == 400 and not raised.value.is_retryable
    message = str(raised.value)
    assert "(400)" in message and "No connected db" in message and wrong not in message


def test_an_upstream_401_is_an_authentication_error(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    """The proxy's upstream key is wrong: the upstream's 401 arrives as a 401, its words
    quoted, after one upstream request."""
    with pytest.raises(errors.GatewayAuthenticationError) as raised:
        embed_sync(core(proxy), build("errors/upstream-key"), TEXTS[:1])
    assert len(embedding_requests(upstream)) == 1
    assert raised.value.status_code == 401 and not raised.value.is_retryable
    message = str(raised.value)
    assert "(401)" in message and "Incorrect API key provided" in message

    # Recorded: after a 401 LiteLLM cools the deployment down (5 s by default), and calls
    # meanwhile get a 429 "No deployments available" without reaching the upstream: a
    # retryable GatewayRateLimitError, where the cause is a key only a retry cannot fix.
    with pytest.raises(errors.GatewayRateLimitError) as cooling:
        embed_sync(core(proxy), build("errors/upstream-key"), TEXTS[:1])
    assert len(embedding_requests(upstream)) == 1
    assert cooling.value.status_code == 429 and cooling.value.is_retryable
    assert "No deployments available" in str(cooling.value)
    # With a retry-after of the cooldown's length: a retry of ours waits it out, then gets
    # the 401 again.
    assert cooling.value.retry_after == 5.0


def test_an_upstream_402_is_insufficient_credits(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    upstream.enqueue(Fault.status(402, error_body(402, "Wholesale balance is 0.00 USD")))
    with pytest.raises(errors.InsufficientCreditsError) as raised:
        embed_sync(core(proxy), build("errors/402"), TEXTS[:1])
    assert len(embedding_requests(upstream)) == 1  # LiteLLM does not retry a 402
    assert isinstance(raised.value, openai.APIStatusError)
    assert raised.value.status_code == 402 and not raised.value.is_retryable
    message = str(raised.value)
    assert "(402)" in message and "Wholesale balance is 0.00 USD" in message
    assert "Top up" in message


def test_an_upstream_400_is_a_bad_request_error(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    words = "input[0] is not a language this model reads"
    upstream.enqueue(Fault.status(400, error_body(400, words)))
    with pytest.raises(errors.GatewayBadRequestError) as raised:
        embed_sync(core(proxy), build("errors/400"), TEXTS[:1])
    assert len(embedding_requests(upstream)) == 1
    assert isinstance(raised.value, openai.BadRequestError)
    assert raised.value.status_code == 400 and not raised.value.is_retryable
    assert words in str(raised.value)


def test_a_brief_upstream_429_is_absorbed_by_litellms_own_retries(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    """Our client does not retry here (max_retries=0): the success is LiteLLM's retrying."""
    upstream.enqueue(Fault.status(429), Fault.status(429))
    result = embed_sync(core(proxy), build("errors/429-brief"), TEXTS[:2])
    assert result.vectors == expected(TEXTS[:2])
    assert len(embedding_requests(upstream)) == 3


def test_a_persistent_upstream_429_arrives_as_a_rate_limit_error(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    upstream.enqueue(*[Fault.status(429, error_body(429, "Slow down: 3 requests/min"))] * 50)
    with pytest.raises(errors.GatewayRateLimitError) as raised:
        embed_sync(core(proxy), build("errors/429-persistent"), TEXTS[:1])
    tries = len(embedding_requests(upstream))
    # LiteLLM's router retried (2 retries, LiteLLM's default), each of its attempts the
    # openai SDK's, itself retrying: 9 upstream requests for our one in most runs (a few
    # more at times), about 9 s. With our default max_retries=2 on top: three times that.
    assert tries >= 3, tries
    assert isinstance(raised.value, openai.RateLimitError)
    assert raised.value.status_code == 429 and raised.value.is_retryable
    message = str(raised.value)
    assert "(429)" in message and "Slow down: 3 requests/min" in message
    # A lone deployment is not cooled down after 429s (LiteLLM would block all its traffic).


def test_a_context_overflow_behind_the_proxy_is_still_recognised(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    words = (
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130512 tokens."
    )
    body = error_body(400, words)
    body["error"]["code"] = "context_length_exceeded"
    upstream.enqueue(Fault.status(400, body))
    request = ChatRequest.build(
        {"model": "errors/chat-overflow"}, [{"role": "user", "content": "a long chat"}]
    )
    with core(proxy) as gateway, pytest.raises(errors.GatewayContextOverflowError) as raised:
        gateway.complete(request)
    assert "maximum context length" in str(raised.value)
    assert isinstance(raised.value, openai.BadRequestError)


# -- chat ---------------------------------------------------------------------------------------


def chat(question: str) -> ChatRequest:
    return ChatRequest.build({"model": CHAT_MODEL}, [{"role": "user", "content": question}])


def test_chat_completes_through_the_proxy(proxy: LiteLLMProxy, upstream: ScriptedGateway) -> None:
    upstream.queue(Reply("Paris is the capital of France."))
    with core(proxy) as gateway:
        result = gateway.complete(chat("What is the capital of France?"))
    assert result.content == "Paris is the capital of France."
    assert result.finish_reason == "stop"
    assert result.usage is not None and result.usage.total_tokens > 0
    sent = upstream.last_request.json
    assert (sent["model"], upstream.last_request.last_user_text) == (
        CHAT_MODEL,
        "What is the capital of France?",
    )


def test_chat_streams_through_the_proxy(proxy: LiteLLMProxy, upstream: ScriptedGateway) -> None:
    upstream.queue(Reply("One, two, three, four, five."))
    with core(proxy) as gateway:
        stream = gateway.stream(chat("Count to five"))
        chunks = list(stream)
    assert "".join(c.text for c in chunks) == "One, two, three, four, five."
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1 and usage[0].completion_tokens > 0
    assert stream.answer.text == "One, two, three, four, five."
    assert upstream.last_request.json["stream"] is True


# -- the LangChain adapter ----------------------------------------------------------------------


def langchain_embeddings(proxy: LiteLLMProxy, **fields: Any) -> Any:
    adapter = pytest.importorskip("langchain_skillboss")
    return adapter.SkillBossEmbeddings(
        api_key=MASTER_KEY, base_url=f"{proxy.url}/v1", max_retries=0, **fields
    )


def test_langchain_embeddings_keep_order_and_retrieve(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    from langchain_core.vectorstores import InMemoryVectorStore

    upstream.embeddings = EmbeddingsOptions(shuffle_seed=3)
    embeddings = langchain_embeddings(proxy, chunk_size=3, max_concurrency=2)
    assert embeddings.embed_documents(TEXTS) == expected(TEXTS)
    assert asyncio.run(embeddings.aembed_query(TEXTS[4])) == expected(TEXTS[4:5])[0]
    store = InMemoryVectorStore.from_texts(DOCUMENTS, embeddings)
    for question, index in QUERIES.items():
        assert store.similarity_search(question, k=1)[0].page_content == DOCUMENTS[index]


def test_langchain_embeddings_raise_the_typed_402(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    upstream.enqueue(Fault.status(402, error_body(402, "Wholesale balance is 0.00 USD")))
    embeddings = langchain_embeddings(proxy, model="langchain/402")
    with pytest.raises(errors.InsufficientCreditsError, match=r"Wholesale balance is 0\.00 USD"):
        embeddings.embed_documents(TEXTS[:2])
    assert len(embedding_requests(upstream)) == 1


# -- the LlamaIndex adapter ----------------------------------------------------------------------


def llamaindex_embedding(proxy: LiteLLMProxy, **fields: Any) -> Any:
    adapter = pytest.importorskip("llama_index_skillboss")
    return adapter.SkillBossEmbedding(
        api_key=MASTER_KEY, api_base=f"{proxy.url}/v1", max_retries=0, **fields
    )


def test_llamaindex_embedding_keeps_order_and_retrieves(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    upstream.embeddings = EmbeddingsOptions(shuffle_seed=9)
    embedding = llamaindex_embedding(proxy, embed_batch_size=3, num_workers=2)
    assert embedding.get_text_embedding_batch(TEXTS) == expected(TEXTS)
    assert asyncio.run(embedding.aget_text_embedding_batch(TEXTS)) == expected(TEXTS)
    assert embedding.get_query_embedding(TEXTS[7]) == expected(TEXTS[7:8])[0]
    nodes = [TextNode(text=text) for text in DOCUMENTS]
    retriever = VectorStoreIndex(nodes, embed_model=embedding).as_retriever(similarity_top_k=1)
    for question, index in QUERIES.items():
        assert retriever.retrieve(question)[0].node.get_content() == DOCUMENTS[index]


def test_llamaindex_embedding_raises_the_typed_402(
    proxy: LiteLLMProxy, upstream: ScriptedGateway
) -> None:
    upstream.enqueue(Fault.status(402, error_body(402, "Wholesale balance is 0.00 USD")))
    embedding = llamaindex_embedding(proxy, model="llamaindex/402")
    with pytest.raises(errors.InsufficientCreditsError, match=r"Wholesale balance is 0\.00 USD"):
        embedding.get_text_embedding_batch(TEXTS[:2])
    assert len(embedding_requests(upstream)) == 1


# -- last: the proxy stayed on this machine -----------------------------------------------------


def test_the_proxy_reached_for_nothing_outside_loopback(proxy: LiteLLMProxy) -> None:
    """Every URL the proxy tried outside 127.0.0.1 went to the trap its HTTP(S)_PROXY names."""
    assert proxy.trap is not None
    assert proxy.trap.hits == [], json.dumps(proxy.trap.hits)
