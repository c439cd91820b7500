"""How the scripted gateway answers POST /v1/embeddings (OpenAI-compatible), and refuses.

Unlike chat, nothing needs scripting: an embedding has no answer to invent, it is a
deterministic function of the text (tests/support/embedder.py), so the honest answer is the
default. Tests bend it with `EmbeddingsOptions` (a disordered `data`, floats where base64 was
asked, a smaller batch cap), replace it with `ScriptedGateway.script_embeddings(fn)`, or break
it with `ScriptedGateway.enqueue(Fault...)`, which applies to every path alike.

Vectors go on the wire as float32, as OpenAI's do: JSON floats are float32 values, and base64
is their little-endian bytes, so both encodings decode to the same numbers.
"""

from __future__ import annotations

import base64
import random
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.support.embedder import DEFAULT_DIMENSIONS, embed, words
from tests.support.wire import JSON, error_body

__all__ = [
    "MAX_INPUTS",
    "EmbeddingsOptions",
    "decode_embedding",
    "embeddings_answer",
    "embeddings_json",
    "embeddings_problem",
]

# OpenAI's cap on the inputs of one request.
MAX_INPUTS = 2048
_FIELDS = frozenset({"model", "input", "dimensions", "encoding_format", "user"})
_INVALID_INPUT = (
    "'$.input' is invalid. Please check the API reference: "
    "https://platform.openai.com/docs/api-reference."
)


@dataclass(frozen=True)
class EmbeddingsOptions:
    """How the scripted gateway bends its embeddings answers (defaults: the honest answer).

    shuffle_seed: when set, `data` comes in a seeded shuffled order (never the sent order when
        there are two or more inputs), each item keeping its right `index`: clients must
        re-order by index.
    ignore_encoding_format: answer JSON floats even when base64 was asked, as some proxies do.
    max_inputs: more inputs in one request get a 400 naming this limit.
    """

    shuffle_seed: int | None = None
    ignore_encoding_format: bool = False
    max_inputs: int = MAX_INPUTS


def _float32(vector: Sequence[float]) -> tuple[float, ...]:
    """The vector rounded to float32, as it travels."""
    return struct.unpack(f"<{len(vector)}f", struct.pack(f"<{len(vector)}f", *vector))


def decode_embedding(value: Sequence[float] | str) -> list[float]:
    """The floats of one `embedding` field, JSON floats or base64 little-endian float32."""
    if isinstance(value, str):
        raw = base64.b64decode(value)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return [float(v) for v in value]


def _problem(message: str, param: str | None) -> JSON:
    body = error_body(400, message)
    body["error"]["param"] = param
    return body


def embeddings_problem(body: Any, options: EmbeddingsOptions) -> JSON | None:
    """The 400 error body OpenAI would give this request, or None when it is acceptable.

    Refused: a body that is not a JSON object, a missing model, a missing input, an input
    that is an empty list, holds an empty string or anything but strings (token arrays
    included: SkillBoss documents strings only), more than `max_inputs` inputs, dimensions
    that are not an integer from 1 to 1536, an encoding_format other than float or base64,
    and any field the API does not document.
    """
    if not isinstance(body, dict):
        return _problem("We could not parse the JSON body of your request.", None)
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        return _problem(f"Unrecognized request argument supplied: {unknown[0]}", unknown[0])
    if not isinstance(body.get("model"), str) or not body["model"]:
        return _problem("you must provide a model parameter", "model")
    if "input" not in body:
        return _problem("'input' is a required property", "input")
    texts = body["input"]
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts:
        return _problem(f"{_INVALID_INPUT} (input must be a string or a non-empty list)", "input")
    if not all(isinstance(t, str) and t for t in texts):
        return _problem(f"{_INVALID_INPUT} (every input must be a non-empty string)", "input")
    if len(texts) > options.max_inputs:
        message = (
            f"Too many inputs: {len(texts)}. The max number of inputs is {options.max_inputs}."
        )
        return _problem(message, "input")
    dimensions = body.get("dimensions")
    if dimensions is not None and (
        not isinstance(dimensions, int)
        or isinstance(dimensions, bool)
        or not 1 <= dimensions <= DEFAULT_DIMENSIONS
    ):
        message = f"Invalid 'dimensions': {dimensions!r}; expected an integer from 1 to 1536."
        return _problem(message, "dimensions")
    if body.get("encoding_format") not in (None, "float", "base64"):
        message = (
            f"Invalid value for 'encoding_format': {body['encoding_format']!r}. "
            "Supported values are: 'float' and 'base64'."
        )
        return _problem(message, "encoding_format")
    return None


def _order(count: int, seed: int | None) -> list[int]:
    """The order `data` is written in: as sent, or a seeded shuffle that is never as sent."""
    order = list(range(count))
    if seed is None or count < 2:
        return order
    random.Random(seed).shuffle(order)
    return order[1:] + order[:1] if order == sorted(order) else order


def embeddings_json(body: JSON, options: EmbeddingsOptions) -> JSON:
    """The honest answer to an acceptable request (see `embeddings_problem`)."""
    texts: list[str] = [body["input"]] if isinstance(body["input"], str) else body["input"]
    dimensions = body.get("dimensions") or DEFAULT_DIMENSIONS
    as_base64 = body.get("encoding_format") == "base64" and not options.ignore_encoding_format
    data: list[JSON] = []
    for index in _order(len(texts), options.shuffle_seed):
        vector = _float32(embed(texts[index], dimensions))
        packed = struct.pack(f"<{len(vector)}f", *vector)
        encoded = base64.b64encode(packed).decode() if as_base64 else list(vector)
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    # A non-empty text is at least one token, as with a real tokenizer.
    tokens = sum(max(1, len(words(t))) for t in texts)
    return {
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def embeddings_answer(body: Any, options: EmbeddingsOptions) -> tuple[int, JSON]:
    """(status, JSON body) for an embeddings request: the answer or the refusal."""
    problem = embeddings_problem(body, options)
    return (400, problem) if problem is not None else (200, embeddings_json(body, options))
