"""The embeddings request and answer (skillboss_core.wire.embeddings): checked before sending,
read back in input order whatever order and encoding the gateway chose (no I/O)."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from skillboss_core.errors import InvalidResponseError, UpstreamError
from skillboss_core.wire.embeddings import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CONCURRENCY,
    MAX_BATCH_SIZE,
    EmbeddingInputTooLongError,
    EmbeddingsRequest,
    EmbeddingsResult,
    merged,
    parse_embeddings,
)
from skillboss_core.wire.params import InvalidParameterError
from skillboss_core.wire.results import Usage

MODEL = "openai/text-embedding-3-small"


def request(**values: Any) -> EmbeddingsRequest:
    batch_size = values.pop("batch_size", None)
    concurrency = values.pop("concurrency", None)
    return EmbeddingsRequest.build(
        {"model": MODEL, **values}, batch_size=batch_size, concurrency=concurrency
    )


def packed(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def answer(*items: dict[str, Any], usage: dict[str, int] | None = None) -> bytes:
    body: dict[str, Any] = {"object": "list", "data": list(items), "model": MODEL}
    if usage is not None:
        body["usage"] = usage
    return json.dumps(body).encode()


def test_the_body_holds_the_documented_fields_and_asks_for_base64() -> None:
    built = request(dimensions=256, user="u-1", timeout=5, max_retries=1)
    assert built.body(["a", "b"]) == {
        "model": MODEL,
        "dimensions": 256,
        "encoding_format": "base64",
        "user": "u-1",
        "input": ["a", "b"],
    }
    assert (built.options.timeout, built.options.max_retries) == (5.0, 1)
    assert request(encoding_format="float").body(["a"])["encoding_format"] == "float"
    assert (request().batch_size, request().concurrency) == (
        DEFAULT_BATCH_SIZE,
        DEFAULT_CONCURRENCY,
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"model": ""}, "model must be a non-empty model id"),
        ({"dimensions": 0}, "dimensions must be an integer from 1"),
        ({"dimensions": "256"}, "dimensions must be an integer from 1"),
        ({"dimensions": 4096}, "more than the 1536 that openai/text-embedding-3-small makes"),
        ({"encoding_format": "int8"}, "encoding_format must be 'float' or 'base64'"),
        ({"user": 7}, "user must be a string"),
        ({"temperature": 0}, "unknown embeddings parameter 'temperature'"),
        ({"batch_size": MAX_BATCH_SIZE + 1}, "batch size must be an integer from 1 to 2048"),
        ({"batch_size": 0}, "batch size must be an integer from 1 to 2048"),
        ({"concurrency": 0}, "concurrency must be an integer from 1 to 64"),
        ({"timeout": -1}, "timeout must be a positive"),
    ],
)
def test_bad_values_fail_before_sending(values: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        request(**values)


def test_a_model_that_cannot_shorten_refuses_dimensions() -> None:
    with pytest.raises(InvalidParameterError, match="cannot shorten"):
        EmbeddingsRequest.build({"model": "text-embedding-ada-002", "dimensions": 256})
    # An unknown model: the gateway decides.
    EmbeddingsRequest.build({"model": "someone/new-embedder", "dimensions": 256})


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["fine", ""], r"texts\[1\] is empty"),
        (["fine", 42], r"texts\[1\] is a int, not a string"),
        ([[1, 2, 3]], r"texts\[0\] is a list, not a string: .*never token ids"),
        ("one string", "texts must be a list of strings, got str"),
    ],
)
def test_texts_that_cannot_be_sent_are_named(texts: Any, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        request().check_texts(texts)


def test_a_text_past_the_models_window_is_refused_naming_the_limit() -> None:
    long = "word " * 10000  # about 10000 tokens; the catalog says 8191
    with pytest.raises(EmbeddingInputTooLongError, match="more than the 8191") as caught:
        request().check_texts(["short", long])
    assert (caught.value.position, caught.value.limit) == (1, 8191)
    assert isinstance(caught.value, InvalidParameterError)
    # Within the window (and for a model the catalog does not know): sent as it is.
    assert request().check_texts(["word " * 7000]) == ["word " * 7000]
    unknown = EmbeddingsRequest.build({"model": "someone/new-embedder"})
    assert unknown.check_texts([long]) == [long]


def test_texts_are_batched_in_order() -> None:
    texts = [str(i) for i in range(5)]
    assert request(batch_size=2).batches(texts) == [["0", "1"], ["2", "3"], ["4"]]
    assert request().batches([]) == []


def test_vectors_come_back_in_input_order_whatever_order_they_were_sent_in() -> None:
    content = answer(
        {"index": 2, "embedding": [2.0, 2.5]},
        {"index": 0, "embedding": [0.0, 0.5]},
        {"index": 1, "embedding": packed([1.0, 1.5])},
        usage={"prompt_tokens": 6, "total_tokens": 6},
    )
    result = parse_embeddings(content, 3)
    assert result.vectors == [[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]
    assert all(type(x) is float for vector in result.vectors for x in vector)
    assert (result.model, result.usage.total_tokens) == (MODEL, 6)


def test_base64_and_float_answers_give_the_same_vectors() -> None:
    vector = [0.1, -0.25, 3.5e-8, 1.0]
    as_floats = parse_embeddings(answer({"index": 0, "embedding": vector}), 1).vectors[0]
    as_base64 = parse_embeddings(answer({"index": 0, "embedding": packed(vector)}), 1).vectors[0]
    assert as_base64 == pytest.approx(as_floats, rel=1e-6)


@pytest.mark.parametrize(
    ("content", "expected", "message"),
    [
        (b"<html>portal</html>", 1, "not JSON"),
        (answer({"index": 0, "embedding": [1.0]}), 2, "1 vectors for 2 texts"),
        (answer({"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}), 2, "two"),
        (answer({"index": 5, "embedding": [1.0]}), 1, r"index 5 outside 0\.\.0"),
        (answer({"index": 0, "embedding": "%%%"}), 1, "neither numbers nor base64"),
        (answer({"index": 0, "embedding": base64.b64encode(b"abc").decode()}), 1, "float32"),
        (answer({"index": 0, "embedding": ["x"]}), 1, "not a number"),
        (answer({"index": 0, "embedding": []}), 1, "empty or not finite"),
        (answer({"index": 0}), 1, "missing"),
        (json.dumps({"data": "nope"}).encode(), 1, "no `data` list"),
    ],
)
def test_an_answer_that_is_not_vectors_is_a_typed_error(
    content: bytes, expected: int, message: str
) -> None:
    with pytest.raises(InvalidResponseError, match=message):
        parse_embeddings(content, expected)


def test_vectors_of_another_size_than_asked_are_refused() -> None:
    content = answer({"index": 0, "embedding": [0.5] * 8})
    with pytest.raises(InvalidResponseError, match="8 dimensions where dimensions=4 was asked"):
        parse_embeddings(content, 1, dimensions=4)
    assert len(parse_embeddings(content, 1, dimensions=8).vectors[0]) == 8


def test_nan_in_an_answer_is_refused() -> None:
    content = b'{"data": [{"index": 0, "embedding": [0.5, NaN]}]}'
    with pytest.raises(InvalidResponseError, match="not finite"):
        parse_embeddings(content, 1)


def test_an_error_object_in_a_200_answer_is_the_providers_error() -> None:
    content = json.dumps({"error": {"message": "upstream overloaded", "code": "overloaded"}})
    with pytest.raises(UpstreamError, match="upstream overloaded") as caught:
        parse_embeddings(content.encode(), 1)
    assert caught.value.code == "overloaded"


def test_batches_merge_in_order_with_their_usage() -> None:
    first = EmbeddingsResult([[1.0]], MODEL, Usage(prompt_tokens=2, total_tokens=2))
    second = EmbeddingsResult([[2.0], [3.0]], None, Usage(prompt_tokens=3, total_tokens=3))
    result = merged([first, second])
    assert result.vectors == [[1.0], [2.0], [3.0]]
    assert (result.model, result.usage.prompt_tokens, result.usage.total_tokens) == (MODEL, 5, 5)
    assert merged([]).vectors == []
