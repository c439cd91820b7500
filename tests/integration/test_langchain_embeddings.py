"""SkillBossEmbeddings against the loopback gateway: vectors, order, batching, concurrency,
typed errors, cancellation, event loops, and langchain-tests' standard integration suite.

The scripted gateway answers /v1/embeddings by default with the honest hashed-bag-of-words
vectors of tests/support/embedder.py, so nothing here scripts an answer unless it bends one.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from langchain_skillboss import SkillBossEmbeddings

# langchain-core's classes, or the stand-ins older langchain-core versions get.
from langchain_skillboss import errors as lc_exceptions
from skillboss_core import InvalidParameterError, errors
from tests.support import embedder
from tests.support.embeddings_wire import EmbeddingsOptions
from tests.support.scripted_gateway import Fault, ScriptedGateway

KEY = "sk-lc-embeddings-secret-0000000"
MODEL = "openai/text-embedding-3-small"
TEXTS = [f"note {i}: the {'red' if i % 2 else 'blue'} fox jumps {i}" for i in range(5)]
FAST = {"retry-after-ms": "5"}  # retried at once, by the core's policy unchanged
JSON_TYPE = {"Content-Type": "application/json"}


def make(server: ScriptedGateway, **kwargs: Any) -> SkillBossEmbeddings:
    settings: dict[str, Any] = {"api_key": KEY, "base_url": server.base_url, "max_retries": 0}
    return SkillBossEmbeddings(**{**settings, **kwargs})


def float32(vector: list[float]) -> list[float]:
    """The vector as it travels: float32, both as JSON floats and as base64."""
    return list(struct.unpack(f"<{len(vector)}f", struct.pack(f"<{len(vector)}f", *vector)))


def expected(texts: list[str], dimensions: int = embedder.DEFAULT_DIMENSIONS) -> list[list[float]]:
    return [float32(embedder.embed(text, dimensions)) for text in texts]


def docs_sync(embeddings: SkillBossEmbeddings, texts: list[str]) -> list[list[float]]:
    return embeddings.embed_documents(texts)


def docs_async(embeddings: SkillBossEmbeddings, texts: list[str]) -> list[list[float]]:
    return asyncio.run(embeddings.aembed_documents(texts))


Embed = Callable[[SkillBossEmbeddings, list[str]], list[list[float]]]
STYLES = [docs_sync, docs_async]


def inputs(server: ScriptedGateway) -> list[list[str]]:
    return [r.json["input"] for r in server.requests if r.path.endswith("/embeddings")]


# -- vectors, in order ---------------------------------------------------------------------


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_documents_get_the_embedders_vectors(embed: Embed, gateway_server: ScriptedGateway) -> None:
    vectors = embed(make(gateway_server), TEXTS)
    assert vectors == expected(TEXTS)
    assert all(type(value) is float for value in vectors[0])
    (request,) = gateway_server.requests
    assert request.path == "/v1/embeddings"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.json == {"model": MODEL, "encoding_format": "base64", "input": TEXTS}


def test_a_query_gets_its_vector_sync_and_async(gateway_server: ScriptedGateway) -> None:
    embeddings = make(gateway_server)
    assert embeddings.embed_query(TEXTS[0]) == expected(TEXTS[:1])[0]
    assert asyncio.run(embeddings.aembed_query(TEXTS[1])) == expected(TEXTS[1:2])[0]
    assert inputs(gateway_server) == [TEXTS[:1], TEXTS[1:2]]


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_order_is_kept_when_the_gateway_shuffles_its_answer(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    gateway_server.embeddings = EmbeddingsOptions(shuffle_seed=7)
    assert embed(make(gateway_server), TEXTS) == expected(TEXTS)
    assert embed(make(gateway_server, chunk_size=2), TEXTS) == expected(TEXTS)


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_dimensions_user_and_headers_are_sent(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    embeddings = make(
        gateway_server, dimensions=64, user="u-42", default_headers={"X-Team": "search"}
    )
    vectors = embed(embeddings, TEXTS[:2])
    assert vectors == expected(TEXTS[:2], 64) and len(vectors[0]) == 64
    request = gateway_server.last_request
    assert (request.json["dimensions"], request.json["user"]) == (64, "u-42")
    assert request.headers["x-team"] == "search"


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_base64_decodes_to_the_float_formats_numbers(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    as_base64 = embed(make(gateway_server), TEXTS)
    as_floats = embed(make(gateway_server, encoding_format="float"), TEXTS)
    assert [r.json["encoding_format"] for r in gateway_server.requests] == ["base64", "float"]
    assert as_base64 == as_floats == expected(TEXTS)
    # A proxy that answers floats where base64 was asked is read all the same.
    gateway_server.embeddings = EmbeddingsOptions(ignore_encoding_format=True)
    assert embed(make(gateway_server), TEXTS) == as_floats


# -- batches and concurrency -------------------------------------------------------------


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_chunk_size_two_sends_five_texts_in_three_requests(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    gateway_server.embeddings = EmbeddingsOptions(shuffle_seed=3)
    vectors = embed(make(gateway_server, chunk_size=2), TEXTS)
    assert vectors == expected(TEXTS)
    assert sorted(inputs(gateway_server)) == sorted([TEXTS[0:2], TEXTS[2:4], TEXTS[4:5]])


def test_a_per_call_chunk_size_wins(gateway_server: ScriptedGateway) -> None:
    embeddings = make(gateway_server, chunk_size=2)
    assert embeddings.embed_documents(TEXTS, chunk_size=5) == expected(TEXTS)
    assert asyncio.run(embeddings.aembed_documents(TEXTS, chunk_size=4)) == expected(TEXTS)
    # The async batches are sent at once: compare them in any order.
    sent = inputs(gateway_server)
    assert sent[0] == TEXTS and sorted(sent[1:]) == sorted([TEXTS[:4], TEXTS[4:]])


class InFlight:
    """An embeddings script that answers slowly and counts the requests in flight at once."""

    def __init__(self, seconds: float = 0.15) -> None:
        self.seconds = seconds
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, _body: dict[str, Any]) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.seconds)
        with self._lock:
            self.now -= 1
        return None  # the default vectors


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("max_concurrency", [1, 3])
def test_max_concurrency_bounds_the_requests_in_flight(
    embed: Embed, max_concurrency: int, gateway_server: ScriptedGateway
) -> None:
    counter = InFlight()
    gateway_server.script_embeddings(counter)
    texts = [f"text number {i}" for i in range(7)]
    embeddings = make(gateway_server, chunk_size=1, max_concurrency=max_concurrency)
    assert embed(embeddings, texts) == expected(texts)
    assert len(gateway_server.requests) == 7
    assert counter.most == max_concurrency


# -- typed errors and the one retry policy ------------------------------------------------


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("faults", "error", "family", "requests", "message"),
    [
        (
            [Fault.status(401)],
            errors.GatewayAuthenticationError,
            lc_exceptions.ModelAuthenticationError,
            1,
            "wholesale key.*SKILLBOSS_WHOLESALE_KEY",
        ),
        (
            [Fault.status(402, headers={"x-should-retry": "true"})],
            errors.InsufficientCreditsError,
            lc_exceptions.ModelError,
            1,
            "not retried",
        ),
        (
            [Fault.status(429, headers=FAST)] * 3,
            errors.GatewayRateLimitError,
            lc_exceptions.ModelRateLimitError,
            3,
            "rate limit",
        ),
        (
            [Fault.status(500, headers=FAST)] * 3,
            errors.GatewayServerError,
            lc_exceptions.ModelAPIError,
            3,
            r"\(500\)",
        ),
        (
            [Fault.status(400)],
            errors.GatewayBadRequestError,
            lc_exceptions.ModelInvalidRequestError,
            1,
            "Scripted error 400",
        ),
    ],
    ids=["401", "402", "429-exhausted", "500-exhausted", "400"],
)
def test_errors_are_typed_in_every_family(
    embed: Embed,
    faults: list[Fault],
    error: type[Exception],
    family: type[Exception],
    requests: int,
    message: str,
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.enqueue(*faults)
    with pytest.raises(error, match=message) as caught:
        embed(make(gateway_server, max_retries=2), TEXTS[:2])
    assert isinstance(caught.value, family) and isinstance(caught.value, lc_exceptions.ModelError)
    assert isinstance(caught.value, openai.APIError)
    assert caught.value.is_retryable is (requests > 1)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert len(gateway_server.requests) == requests


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("status", [429, 500])
def test_a_transient_failure_is_retried_then_answered(
    embed: Embed, status: int, gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(Fault.status(status, headers=FAST))
    assert embed(make(gateway_server, max_retries=2), TEXTS[:2]) == expected(TEXTS[:2])
    assert len(gateway_server.requests) == 2


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_an_echoed_key_is_redacted_from_the_error(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    def echo(_body: dict[str, Any]) -> Any:
        error = {"error": {"message": f"bad key Bearer {KEY}", "type": "invalid_request_error"}}
        return 401, JSON_TYPE, json.dumps(error).encode()

    gateway_server.script_embeddings(echo)
    with pytest.raises(errors.GatewayAuthenticationError) as caught:
        embed(make(gateway_server), TEXTS[:1])
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_no_progress_for_timeout_is_a_timeout_error(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    gateway_server.enqueue(Fault.slow(2.0))
    with pytest.raises(errors.GatewayTimeoutError) as caught:
        embed(make(gateway_server, timeout=0.3), TEXTS[:1])
    assert isinstance(caught.value, lc_exceptions.ModelTimeoutError)


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_total_timeout_bounds_the_whole_call_not_each_batch(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script_embeddings(InFlight(seconds=0.3))
    embeddings = make(gateway_server, chunk_size=1, max_concurrency=1, total_timeout=0.8)
    with pytest.raises(errors.GatewayTimeoutError, match="total_timeout") as caught:
        embed(embeddings, TEXTS)  # five batches of 0.3 s, one after another
    assert isinstance(caught.value, lc_exceptions.ModelTimeoutError)
    assert len(gateway_server.requests) < len(TEXTS)


# -- cancellation: a failing batch stops the others ---------------------------------------


def second_fails(body: dict[str, Any]) -> Any:
    """A 400 for the second text's batch; the default vectors otherwise."""
    if body["input"] == TEXTS[1:2]:
        return 400, JSON_TYPE, b'{"error": {"message": "this batch is refused"}}'
    return None


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_a_failing_batch_means_the_later_ones_are_never_sent(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    gateway_server.script_embeddings(second_fails)
    embeddings = make(gateway_server, chunk_size=1, max_concurrency=1)
    with pytest.raises(errors.GatewayBadRequestError, match="this batch is refused") as caught:
        embed(embeddings, TEXTS)
    assert isinstance(caught.value, lc_exceptions.ModelInvalidRequestError)
    assert inputs(gateway_server) == [TEXTS[0:1], TEXTS[1:2]]


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_a_failing_batch_cancels_batches_in_flight_and_queued(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    def first_fails_others_slow(body: dict[str, Any]) -> Any:
        if body["input"] == ["t0"]:
            return 400, JSON_TYPE, b'{"error": {"message": "refused"}}'
        time.sleep(2.0)
        return None

    gateway_server.script_embeddings(first_fails_others_slow)
    texts = [f"t{i}" for i in range(20)]
    began = time.monotonic()
    with pytest.raises(errors.GatewayBadRequestError):
        embed(make(gateway_server, chunk_size=1, max_concurrency=3), texts)
    elapsed = time.monotonic() - began
    # At most the batches in flight (and one that took a freed slot) were sent, not 20.
    assert len(gateway_server.requests) <= 4
    if embed is docs_async:
        assert elapsed < 1.5, "the slow batches were awaited instead of cancelled"


# -- before any request --------------------------------------------------------------------


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_no_texts_no_request(embed: Embed, gateway_server: ScriptedGateway) -> None:
    assert embed(make(gateway_server), []) == []
    assert gateway_server.requests == []


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_an_empty_string_fails_before_any_request(
    embed: Embed, gateway_server: ScriptedGateway
) -> None:
    with pytest.raises(InvalidParameterError, match=r"texts\[2\] is empty") as caught:
        embed(make(gateway_server, chunk_size=1), ["a", "b", "", "d"])
    assert isinstance(caught.value, lc_exceptions.ModelInvalidRequestError)
    assert gateway_server.requests == []


# -- event loops, pickling, closing ------------------------------------------------------


def test_a_second_asyncio_run_works(gateway_server: ScriptedGateway) -> None:
    embeddings = make(gateway_server, chunk_size=2, max_concurrency=2)
    first = asyncio.run(embeddings.aembed_documents(TEXTS))
    second = asyncio.run(embeddings.aembed_documents(TEXTS))
    third = asyncio.run(embeddings.aembed_query(TEXTS[0]))
    assert first == second == expected(TEXTS) and third == first[0]
    assert embeddings.embed_documents(TEXTS) == first  # and the sync pool alongside


def test_pickled_embeddings_call_the_gateway(gateway_server: ScriptedGateway) -> None:
    embeddings = make(gateway_server, dimensions=16)
    before = embeddings.embed_query("before pickling")
    data = pickle.dumps(embeddings)
    assert b"httpx" not in data
    clone = pickle.loads(data)
    assert clone.embed_query("before pickling") == before
    assert gateway_server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


async def test_closing_releases_connections_and_the_next_call_reconnects(
    gateway_server: ScriptedGateway,
) -> None:
    async with make(gateway_server) as embeddings:
        assert await embeddings.aembed_query("one") == expected(["one"])[0]
    assert await embeddings.aembed_query("two") == expected(["two"])[0]
    with embeddings:
        assert embeddings.embed_query("three") == expected(["three"])[0]
    assert embeddings.embed_query("four") == expected(["four"])[0]
    assert gateway_server.connections_opened >= 3


# -- langchain-tests' standard integration suite -----------------------------------------


@pytest.fixture(scope="class")
def embeddings_server() -> Iterator[ScriptedGateway]:
    """One loopback gateway for the whole standard suite, answering honest vectors."""
    with ScriptedGateway(lifetime=120.0) as server:
        yield server


class TestSkillBossEmbeddingsStandard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[SkillBossEmbeddings]:
        return SkillBossEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "api_key": KEY, "max_retries": 0}

    @pytest.fixture
    def model(self, embeddings_server: ScriptedGateway) -> SkillBossEmbeddings:
        """The standard fixture, pointed at the loopback gateway."""
        return SkillBossEmbeddings(
            **self.embedding_model_params, base_url=embeddings_server.base_url
        )
