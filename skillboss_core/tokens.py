"""Offline estimate of how many tokens a text costs, for budgeting and trimming.

The gateway's default model tokenizes with OpenAI's o200k_base, and shipping that vocabulary
(or downloading it) is too heavy for a count that runs on every trim. So the text is split the
way o200k_base splits it before BPE (a word with its leading space or punctuation mark, digits
in threes, punctuation runs, whitespace runs), and each piece is charged by its script and
length: short Latin words are one token, CJK costs most of a token per character, Cyrillic
and Arabic words a token per few letters. The constants were fitted on man pages, message
catalogs, package READMEs and stdlib code, and land within ~15% of o200k_base on prose in
English, Chinese, Japanese, Russian and Arabic, on Python code and on JSON tool schemas.
Other vendors' tokenizers differ; the exact count is always the gateway's reported usage.
"""

from __future__ import annotations

import re
import zlib

_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u024f"
_CYRILLIC = "\u0400-\u052f"
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
# Combining marks that belong inside a word (Python's \w leaves them out, o200k does not).
_MARKS = "\u0300-\u036f\u0591-\u05c7\u0900-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e"
# o200k lets one non-letter, non-digit character (a space, "(", ".", "_") lead a word.
_LEAD = r"(?:[^\w\r\n]|_)?"

# One alternative per piece class, in o200k's order; group i+1 is the part that is charged.
# Each class: (pattern, free, per_char): a piece of up to `free` characters is one token and
# every character beyond costs `per_char` tokens (fitted to o200k_base, see the module doc).
_CLASSES: tuple[tuple[str, float, float], ...] = (
    (_LEAD + rf"((?:[{_UPPER}]*[{_LOWER}]+|[{_UPPER}]+[{_LOWER}]*)(?:'(?:s|t|re|ve|m|ll|d))?)",
     2.6, 0.05),  # Latin words
    (_LEAD + rf"([{_CYRILLIC}]+)", 2.7, 0.18),
    (_LEAD + rf"([{_ARABIC}]+)", 1.9, 0.29),
    (_LEAD + rf"([{_HAN}]+)", 0.9, 0.73),
    (_LEAD + rf"([{_KANA}]+)", 1.6, 0.66),
    (_LEAD + rf"([{_HANGUL}]+)", 0.6, 0.47),
    (_LEAD + rf"((?:[^\W\d_]|[{_MARKS}])+)", 2.2, 0.4),  # Greek, Hebrew, Indic, Thai, ...
    (r"(\d{1,3})", 3.0, 0.0),
    (r" ?((?:[^\s\w]|_)+)[\r\n/]*", 0.8, 0.13),  # punctuation and symbols
    (r"(\s*[\r\n]+|\s+(?!\S)|\s+)", 1e9, 0.0),  # whitespace not absorbed by the next word
)
_PIECE = re.compile("|".join(pattern for pattern, _, _ in _CLASSES))
_TABLE_SIZE = 64


def _cost(free: float, per_char: float, length: int) -> float:
    return 1.0 + per_char * max(0.0, length - free)


# Costs by class (the match's group index) and length, looked up rather than computed.
_COSTS: tuple[tuple[float, ...], ...] = ((),) + tuple(
    tuple(_cost(free, per_char, length) for length in range(_TABLE_SIZE))
    for _, free, per_char in _CLASSES
)
_PARAMS: tuple[tuple[float, float], ...] = ((0.0, 0.0),) + tuple(
    (free, per_char) for _, free, per_char in _CLASSES
)


def _charge(group: int, length: int) -> float:
    if length < _TABLE_SIZE:
        return _COSTS[group][length]
    return _cost(*_PARAMS[group], length)


def count_text(text: str) -> int:
    """The estimated o200k_base token count of `text` (one regex pass, no tokenizer)."""
    total = 0.0
    costs = _COSTS
    for match in _PIECE.finditer(text):
        group = match.lastindex or 0
        length = match.end(group) - match.start(group)
        total += costs[group][length] if length < _TABLE_SIZE else _charge(group, length)
    return int(total + 0.5)


def token_pieces(text: str) -> list[str]:
    """The text cut into as many pieces as `count_text` estimates tokens.

    Fractional costs carry over from piece to piece, so each match yields the number of whole
    tokens the running total crosses, and the match text is cut into that many parts.
    """
    pieces: list[str] = []
    total = 0.0
    emitted = 0
    for match in _PIECE.finditer(text):
        group = match.lastindex or 0
        start, end = match.span()
        total += _charge(group, match.end(group) - match.start(group))
        count = int(total + 0.5) - emitted
        if count <= 0:
            continue
        emitted += count
        piece = text[start:end]
        if not piece.isspace():
            piece = piece.lstrip(" ")
        size = len(piece)
        if count == 1:
            pieces.append(piece)
        else:
            pieces.extend(
                piece[size * i // count : size * (i + 1) // count] or piece[-1:]
                for i in range(count)
            )
    return pieces


def token_ids(text: str) -> list[int]:
    """Stable pseudo ids, a CRC of each piece: equal pieces get equal ids."""
    return [zlib.crc32(piece.encode("utf-8")) for piece in token_pieces(text)]
