"""The embedder behind the scripted gateway's /v1/embeddings: a hashed bag of words.

What made the vectors (recordings from the scripted stand-in quote `DESCRIPTION`): each text
is lower-cased and cut into word tokens (`\\w+`, Unicode-aware); each word is hashed with
BLAKE2b (16-byte digest of its UTF-8 bytes): the first 8 bytes, little-endian, modulo the
dimension count pick a bucket, the low bit of the 9th byte a sign (+1 or -1); the signed counts
are summed per bucket and the vector is L2-normalised. A text without any word (only
punctuation, say) gets the zero vector. `dimensions` hashes into that many buckets directly
(it is not a truncation of the 1536-wide vector).

Why honest and not random: texts sharing words get a higher cosine similarity than unrelated
ones, so retrieval over these vectors is meaningful (a question about France's capital finds
the document about Paris) while staying deterministic across processes and machines (no
Python `hash()`, no seed, no model). It knows nothing of synonyms or word order.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

__all__ = ["DEFAULT_DIMENSIONS", "DESCRIPTION", "cosine", "embed", "words"]

DEFAULT_DIMENSIONS = 1536
DESCRIPTION = (
    "hashed bag of words (lower-cased \\w+ tokens, BLAKE2b bucket and sign, counts, "
    "L2-normalised; tests/support/embedder.py), not a trained model"
)
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The lower-cased word tokens of `text`, in order."""
    return _WORD.findall(text.lower())


def _bucket_and_sign(word: str, dimensions: int) -> tuple[int, float]:
    """Where a word lands and with which sign, from a stable hash."""
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little") % dimensions, -1.0 if digest[8] & 1 else 1.0


def embed(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """The unit-length vector of `text` (all zeros when it has no word)."""
    if dimensions < 1:
        raise ValueError(f"dimensions must be at least 1, not {dimensions}")
    vector = [0.0] * dimensions
    for word in words(text):
        bucket, sign = _bucket_and_sign(word, dimensions)
        vector[bucket] += sign
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity (0.0 when either vector is zero)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0
