"""One embeddings call, ready to send, and its answer read back: no I/O here.

`EmbeddingsRequest.build` validates everything before a request is sent: the parameters the
gateway documents (`model`, `dimensions`, `encoding_format`, `user`), the texts (strings only,
never token arrays; an empty string or a non-string is refused, naming its position; a text
that cannot fit the model's input window is refused naming the limit), the batch size and how
many batches may be in flight. `parse_embeddings` reads one batch's answer: vectors put back
in input order by their `index` whatever order the gateway sent them in, base64 answers
decoded (and float answers accepted whichever was asked), usage, an error object in a 200
answer as the same UpstreamError as chat.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sys
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from skillboss_core.catalog.models import EmbeddingModelInfo, lookup_embedding
from skillboss_core.catalog.tokens import count_text

# EmbeddingInputTooLongError is imported here for the import path it had first.
from skillboss_core.errors import EmbeddingInputTooLongError as EmbeddingInputTooLongError
from skillboss_core.errors import InvalidResponseError
from skillboss_core.wire.cost import Cost, total_cost
from skillboss_core.wire.decode import MODEL, carries_error, metadata_text, reported_error, usage_of
from skillboss_core.wire.options import NO_OPTIONS, RequestOptions
from skillboss_core.wire.params import InvalidParameterError
from skillboss_core.wire.results import Usage

DEFAULT_EMBEDDING_MODEL = "openai/text-embedding-3-small"
# Texts per request: OpenAI's API takes at most 2048 inputs per request; 512 short texts
# keep a request well under its 300k-token cap while needing few round trips.
DEFAULT_BATCH_SIZE = 512
MAX_BATCH_SIZE = 2048
# Batches in flight at once for one call (LangChain `max_concurrency`, LlamaIndex
# `num_workers`): enough to hide the round trip, few enough to stay under rate limits.
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
_ENCODINGS = ("float", "base64")
_ESTIMATE_MARGIN = 1.1
_FIELDS = frozenset({"model", "dimensions", "encoding_format", "user"})


@dataclass(slots=True)
class EmbeddingsResult:
    """Vectors in input order, the model that made them and the usage of all batches."""

    vectors: list[list[float]]
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    # What the call cost: every batch's cost summed (None when one of them is unknown).
    cost: Cost | None = None


def _positive_int(name: str, value: Any, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise InvalidParameterError(f"{name} must be an integer from 1 to {most}, got {value!r}")
    return value


def _check_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - _FIELDS)
    if unknown:
        raise InvalidParameterError(
            f"unknown embeddings parameter {unknown[0]!r}; the gateway documents "
            + ", ".join(sorted(_FIELDS))
        )
    model = values.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidParameterError(f"model must be a non-empty model id, got {model!r}")
    body: dict[str, Any] = {"model": model}
    dimensions = values.get("dimensions")
    if dimensions is not None:
        body["dimensions"] = _positive_int("dimensions", dimensions, 1_000_000)
    encoding = values.get("encoding_format")
    if encoding is not None and encoding not in _ENCODINGS:
        raise InvalidParameterError(
            f"encoding_format must be 'float' or 'base64', got {encoding!r}"
        )
    # base64 unless asked otherwise: a quarter of the bytes of JSON floats, decoded in C.
    body["encoding_format"] = encoding or "base64"
    user = values.get("user")
    if user is not None:
        if not isinstance(user, str):
            raise InvalidParameterError(f"user must be a string, got {user!r}")
        body["user"] = user
    return body


def _check_dimensions(fields: Mapping[str, Any], known: EmbeddingModelInfo) -> None:
    """More dimensions than the model makes can never work; fewer only where it can shorten
    (the catalog knows it for OpenAI's text-embedding-3; elsewhere the gateway decides)."""
    dimensions = fields.get("dimensions")
    if dimensions is None or known.dimensions is None:
        return
    if dimensions > known.dimensions:
        raise InvalidParameterError(
            f"dimensions={dimensions} is more than the {known.dimensions} that "
            f"{fields['model']} makes"
        )
    if (
        dimensions < known.dimensions
        and not known.shortenable_dimensions
        and known.vendor == "openai"
    ):
        raise InvalidParameterError(
            f"{fields['model']} always makes {known.dimensions} dimensions and cannot shorten "
            "them: leave dimensions unset, or use text-embedding-3-small or -large"
        )


def _fits_for_sure(text: str, limit: int) -> bool:
    # Every token covers at least one UTF-8 byte, so a text of at most `limit` bytes fits.
    return len(text) <= limit // 4 or len(text.encode("utf-8")) <= limit


@dataclass(frozen=True, slots=True)
class EmbeddingsRequest:
    """Validated parameters (the body's fields but `input`), how texts are batched and sent."""

    fields: Mapping[str, Any]
    batch_size: int = DEFAULT_BATCH_SIZE
    concurrency: int = DEFAULT_CONCURRENCY
    max_input_tokens: int | None = None
    options: RequestOptions = NO_OPTIONS

    @classmethod
    def build(
        cls,
        values: Mapping[str, Any],
        *,
        batch_size: int | None = None,
        concurrency: int | None = None,
        max_input_tokens: int | None = None,
    ) -> EmbeddingsRequest:
        """Validate before anything is sent; transport options (timeout, total_timeout,
        max_retries, extra_headers, extra_query) among `values` go to `options`.
        `max_input_tokens` is the model's input window (the catalog's), if known."""
        values = {name: value for name, value in values.items() if value is not None}
        options = RequestOptions.take(values)
        fields = _check_values(values)
        known = lookup_embedding(fields["model"])
        if known is not None:
            _check_dimensions(fields, known)
            if max_input_tokens is None:
                max_input_tokens = known.max_input_tokens
        return cls(
            fields=fields,
            batch_size=_positive_int(
                "batch size",
                DEFAULT_BATCH_SIZE if batch_size is None else batch_size,
                MAX_BATCH_SIZE,
            ),
            concurrency=_positive_int(
                "concurrency",
                DEFAULT_CONCURRENCY if concurrency is None else concurrency,
                MAX_CONCURRENCY,
            ),
            max_input_tokens=max_input_tokens,
            options=options,
        )

    @property
    def model(self) -> str:
        return str(self.fields["model"])

    def check_texts(self, texts: Sequence[Any]) -> list[str]:
        """The texts as a list, or a clear error naming the first that cannot be sent."""
        if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
            raise InvalidParameterError(
                f"texts must be a list of strings, got {type(texts).__name__}"
            )
        checked = list(texts)
        for position, text in enumerate(checked):
            if not isinstance(text, str):
                raise InvalidParameterError(
                    f"texts[{position}] is a {type(text).__name__}, not a string: the gateway "
                    "embeds text only (never token ids)"
                )
            if not text:
                raise InvalidParameterError(
                    f"texts[{position}] is empty: the gateway refuses empty inputs; drop it, "
                    "or embed a placeholder such as a single space"
                )
            self._check_length(position, text)
        return checked

    def _check_length(self, position: int, text: str) -> None:
        limit = self.max_input_tokens
        if limit is None or _fits_for_sure(text, limit):
            return
        tokens = count_text(text)
        # The estimate runs a few percent high on English against the cl100k tokenizer
        # text-embedding-3 uses: refuse only past that margin; a text in the margin that does
        # not fit is the gateway's 400, a GatewayContextOverflowError.
        if tokens > limit * _ESTIMATE_MARGIN:
            raise EmbeddingInputTooLongError(
                f"texts[{position}] is about {tokens} tokens, more than the {limit} that "
                f"{self.model} takes in one input: split it into smaller chunks first (the "
                "gateway would refuse it; it is never cut silently)",
                position=position,
                limit=limit,
            )

    def batches(self, texts: Sequence[str]) -> list[Sequence[str]]:
        """Consecutive slices of at most `batch_size` texts."""
        size = self.batch_size
        return [texts[start : start + size] for start in range(0, len(texts), size)]

    def body(self, batch: Sequence[str]) -> dict[str, Any]:
        return {**self.fields, "input": list(batch)}


def _decoded(value: Any, position: int) -> list[float]:
    if isinstance(value, list):
        try:
            return array("d", value).tolist()  # every value a float, checked in C
        except TypeError:
            raise _malformed(
                f"data[{position}].embedding holds a value that is not a number"
            ) from None
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _malformed(f"data[{position}].embedding is neither numbers nor base64") from None
        if len(raw) % 4:
            raise _malformed(f"data[{position}].embedding is not a whole number of float32s")
        floats = array("f")
        floats.frombytes(raw)
        if sys.byteorder != "little":  # the wire is little-endian float32
            floats.byteswap()
        return floats.tolist()
    raise _malformed(f"data[{position}].embedding is missing")


def _malformed(what: str) -> InvalidResponseError:
    return InvalidResponseError(f"The gateway answered embeddings with {what}.")


def parse_embeddings(
    content: bytes, expected: int, dimensions: int | None = None
) -> EmbeddingsResult:
    """One batch's answer, vectors in input order; `expected` is how many texts were sent,
    `dimensions` the vector size asked for (a proxy that drops it must not go unnoticed)."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        preview = content[:120].decode("utf-8", "replace")
        raise InvalidResponseError(
            f"The gateway answered embeddings with a body that is not JSON: {preview!r}"
        ) from None
    if carries_error(data):
        raise reported_error(data)
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise _malformed("no `data` list")
    if len(items) != expected:
        raise _malformed(f"{len(items)} vectors for {expected} texts")
    vectors: list[list[float] | None] = [None] * expected
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise _malformed(f"data[{position}] that is not an object")
        index = item.get("index", position)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < expected:
            raise _malformed(f"data[{position}].index {index!r} outside 0..{expected - 1}")
        if vectors[index] is not None:
            raise _malformed(f"two vectors for index {index}")
        vector = _decoded(item.get("embedding"), position)
        # A NaN or an infinity anywhere makes the sum so (one pass in C).
        if not vector or not math.isfinite(sum(vector)):
            raise _malformed(f"data[{position}].embedding that is empty or not finite")
        if dimensions is not None and len(vector) != dimensions:
            raise _malformed(
                f"{len(vector)} dimensions where dimensions={dimensions} was asked (a proxy "
                "between may have dropped the parameter; it forwards it only for some models)"
            )
        vectors[index] = vector
    return EmbeddingsResult(
        vectors=[vector for vector in vectors if vector is not None],
        model=metadata_text(data, MODEL),
        usage=usage_of(data) or Usage(),
    )


def merged(results: Sequence[EmbeddingsResult]) -> EmbeddingsResult:
    """The batches' results as one, in batch order (each batch is already in input order)."""
    usage = Usage(
        prompt_tokens=sum(result.usage.prompt_tokens for result in results),
        total_tokens=sum(result.usage.total_tokens for result in results),
    )
    return EmbeddingsResult(
        vectors=[vector for result in results for vector in result.vectors],
        model=next((result.model for result in results if result.model), None),
        usage=usage,
        cost=total_cost([result.cost for result in results]),
    )
