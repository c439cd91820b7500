"""Gateway.embed / aembed against the loopback gateway: batches, concurrency, order, the one
retry policy, typed errors and cancellation, on the same pooled clients as chat."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import openai
import pytest
from pydantic import SecretStr

from skillboss_core import EmbeddingsRequest, Gateway, GatewaySettings, errors
from skillboss_core.wire.embeddings import EmbeddingsResult
from tests.support import embedder
from tests.support.embeddings_wire import EmbeddingsOptions
from tests.support.scripted_gateway import Fault, ScriptedGateway

MODEL = "openai/text-embedding-3-small"
KEY = "sk-embeddings-secret-key-000000"
TEXTS = [f"note {i}: the {'red' if i % 2 else 'blue'} fox {i}" for i in range(10)]
FAST = {"retry-after-ms": "5"}


def gateway(server: ScriptedGateway, **settings: Any) -> Gateway:
    return Gateway(GatewaySettings(api_key=SecretStr(KEY), base_url=server.base_url, **settings))


def build(**values: Any) -> EmbeddingsRequest:
    batch_size = values.pop("batch_size", None)
    concurrency = values.pop("concurrency", None)
    return EmbeddingsRequest.build(
        {"model": MODEL, **values}, batch_size=batch_size, concurrency=concurrency
    )


def embed_sync(gw: Gateway, request: EmbeddingsRequest, texts: list[str]) -> EmbeddingsResult:
    return gw.embed(request, texts)


def embed_async(gw: Gateway, request: EmbeddingsRequest, texts: list[str]) -> EmbeddingsResult:
    return asyncio.run(gw.aembed(request, texts))


STYLES = [embed_sync, embed_async]
Embed = Callable[[Gateway, EmbeddingsRequest, list[str]], EmbeddingsResult]


def sent_inputs(server: ScriptedGateway) -> list[list[str]]:
    return [r.json["input"] for r in server.requests if r.path.endswith("/embeddings")]


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_vectors_are_the_embedders_in_input_order_across_shuffled_batches(embed: Embed) -> None:
    with ScriptedGateway(embeddings=EmbeddingsOptions(shuffle_seed=7)) as server:
        result = embed(gateway(server), build(batch_size=3), TEXTS)
    assert sorted(len(batch) for batch in sent_inputs(server)) == [1, 3, 3, 3]
    assert sorted(text for batch in sent_inputs(server) for text in batch) == sorted(TEXTS)
    expected = [embedder.embed(text) for text in TEXTS]
    assert [pytest.approx(vector, rel=1e-6) for vector in expected] == result.vectors
    assert result.usage.total_tokens == sum(len(embedder.words(text)) for text in TEXTS)


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_float_answers_are_read_whatever_was_asked(embed: Embed) -> None:
    with ScriptedGateway(embeddings=EmbeddingsOptions(ignore_encoding_format=True)) as server:
        result = embed(gateway(server), build(dimensions=64), TEXTS[:2])
    assert server.requests[0].json["encoding_format"] == "base64"
    assert server.requests[0].json["dimensions"] == 64
    assert result.vectors[1] == pytest.approx(embedder.embed(TEXTS[1], 64), rel=1e-6)


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_no_texts_no_request(embed: Embed) -> None:
    with ScriptedGateway() as server:
        assert embed(gateway(server), build(), []).vectors == []
    assert server.requests == []


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("concurrency", [1, 3])
def test_batches_run_concurrently_up_to_the_limit(embed: Embed, concurrency: int) -> None:
    lock, in_flight, most = threading.Lock(), [0], [0]

    def slow(_body: dict[str, Any]) -> None:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.15)
        with lock:
            in_flight[0] -= 1
        return None  # the default vectors

    with ScriptedGateway() as server:
        server.script_embeddings(slow)
        result = embed(gateway(server), build(batch_size=1, concurrency=concurrency), TEXTS[:6])
    assert len(result.vectors) == 6 and len(server.requests) == 6
    assert most[0] == concurrency


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_a_failing_batch_is_raised_and_the_batches_not_sent_are_cancelled(embed: Embed) -> None:
    def second_fails(body: dict[str, Any]) -> Any:
        if body["input"] == TEXTS[1:2]:
            error = {"error": {"message": "no credit left", "type": "insufficient_quota"}}
            return 402, {"Content-Type": "application/json"}, json.dumps(error).encode()
        return None

    with ScriptedGateway() as server:
        server.script_embeddings(second_fails)
        with pytest.raises(errors.InsufficientCreditsError, match="not retried"):
            embed(gateway(server), build(batch_size=1, concurrency=1), TEXTS[:6])
    assert sent_inputs(server) == [TEXTS[0:1], TEXTS[1:2]]


def test_a_failure_cancels_the_async_batches_in_flight() -> None:
    started: list[str] = []

    def slow_unless_first(body: dict[str, Any]) -> Any:
        started.append(body["input"][0])
        if body["input"] == TEXTS[0:1]:
            return 400, {"Content-Type": "application/json"}, b'{"error": {"message": "bad"}}'
        time.sleep(3)
        return None

    with ScriptedGateway() as server:
        server.script_embeddings(slow_unless_first)
        began = time.monotonic()
        with pytest.raises(errors.GatewayBadRequestError):
            embed_async(gateway(server), build(batch_size=1, concurrency=3), TEXTS[:6])
        elapsed = time.monotonic() - began
    assert elapsed < 2.5, "the slow batches were awaited instead of cancelled"
    assert len(started) <= 3


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("faults", "error", "requests", "message"),
    [
        ([Fault.status(401)], errors.GatewayAuthenticationError, 1, "wholesale key"),
        (
            [Fault.status(402, headers={"x-should-retry": "true"})],
            errors.InsufficientCreditsError,
            1,
            "not retried",
        ),
        ([Fault.status(429, headers=FAST)] * 3, errors.GatewayRateLimitError, 3, "rate limit"),
        ([Fault.status(500, headers=FAST)] * 3, errors.GatewayServerError, 3, r"\(500\)"),
        ([Fault.status(503, headers=FAST)] * 3, errors.GatewayCapacityError, 3, "lite-tier"),
        ([Fault.status(429, headers=FAST)], None, 2, ""),
        ([Fault.status(500, headers=FAST), Fault.stream_reset()], None, 3, ""),
    ],
    ids=["401", "402", "429-exhausted", "500-exhausted", "503-exhausted", "429-then-ok", "500"],
)
def test_errors_are_typed_and_retried_by_the_one_policy(
    embed: Embed,
    faults: list[Fault],
    error: type[Exception] | None,
    requests: int,
    message: str,
) -> None:
    with ScriptedGateway() as server:
        server.enqueue(*faults)
        gw = gateway(server, max_retries=2)
        if error is None:
            assert len(embed(gw, build(), TEXTS[:2]).vectors) == 2
        else:
            with pytest.raises(error, match=message) as caught:
                embed(gw, build(), TEXTS[:2])
            assert isinstance(caught.value, openai.APIError)
            assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert len(server.requests) == requests


@pytest.mark.parametrize("embed", STYLES, ids=lambda f: f.__name__)
def test_an_error_in_a_200_answer_is_retried_then_typed(embed: Embed) -> None:
    def overloaded(_body: dict[str, Any]) -> Any:
        error = {"error": {"message": "upstream overloaded", "code": "overloaded"}}
        return 200, {"Content-Type": "application/json"}, json.dumps(error).encode()

    with ScriptedGateway() as server:
        server.script_embeddings(overloaded)
        with pytest.raises(errors.UpstreamError, match="upstream overloaded"):
            embed(gateway(server, max_retries=1), build(), TEXTS[:1])
    assert len(server.requests) == 2


def test_a_silent_embeddings_attempt_times_out_and_is_retried() -> None:
    calls: list[float] = []

    def silent_once(_body: dict[str, Any]) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(2)
        return None

    with ScriptedGateway() as server:
        server.script_embeddings(silent_once)
        result = gateway(server, timeout=0.5, max_retries=1).embed(build(), TEXTS[:1])
    assert len(result.vectors) == 1 and len(calls) == 2


def test_a_second_asyncio_run_reuses_nothing_of_the_closed_loop() -> None:
    with ScriptedGateway() as server:
        gw = gateway(server)
        first = asyncio.run(gw.aembed(build(), TEXTS[:2]))
        second = asyncio.run(gw.aembed(build(), TEXTS[:2]))
    assert first.vectors == second.vectors


def test_bad_texts_fail_before_any_request() -> None:
    with (
        ScriptedGateway() as server,
        pytest.raises(errors.SkillBossError, match=r"texts\[1\] is empty"),
    ):
        gateway(server).embed(build(), ["fine", ""])
    assert server.requests == []


def test_sync_embed_raises_the_first_failure_at_once_and_retries_nothing_after_it() -> None:
    """Batch 1 is refused (402) while batch 0 keeps failing with 503s: the 402 is raised as
    soon as it happens, and batch 0 is not retried after it."""
    batch_zero: list[float] = []

    def script(body: dict[str, Any]) -> Any:
        if body["input"] == TEXTS[1:2]:
            time.sleep(0.2)
            error = {"error": {"message": "no credit left"}}
            return 402, {"Content-Type": "application/json"}, json.dumps(error).encode()
        batch_zero.append(time.monotonic())
        time.sleep(0.5)
        return 503, {"Content-Type": "application/json", "retry-after": "1"}, b"{}"

    with ScriptedGateway() as server:
        server.script_embeddings(script)
        began = time.monotonic()
        with pytest.raises(errors.InsufficientCreditsError):
            gateway(server, max_retries=5).embed(build(batch_size=1, concurrency=2), TEXTS[:2])
        assert time.monotonic() - began < 1.5
        time.sleep(1.5)  # what a retry of batch 0 would have waited for
    assert len(batch_zero) == 1


def test_a_redirect_loop_is_a_typed_error() -> None:
    def loop(_body: dict[str, Any]) -> Any:
        return 307, {"Location": "/v1/embeddings", "Content-Length": "0"}, b""

    with ScriptedGateway() as server:
        server.script_embeddings(loop)
        with pytest.raises(errors.GatewayConnectionError, match="redirect"):
            gateway(server, max_retries=0).embed(build(), TEXTS[:1])
