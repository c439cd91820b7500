"""Offline estimate of how many tokens a text costs, for budgeting and trimming.

The gateway's default model tokenizes with OpenAI's o200k_base, and shipping that vocabulary
(or downloading it) is too heavy for a count that runs on every trim. So the text is cut the
way o200k_base cuts it before BPE (a word with its leading space or punctuation mark, digits
in threes, punctuation runs, whitespace runs) and each piece is charged by its script and
length: a Latin word is about one token, Cyrillic and Arabic words a token plus a tenth or so
per letter, CJK three quarters of a token per character. The constants were fitted to
o200k_base on man pages, message catalogs, package READMEs, stdlib code, generated tool
schemas and hand-written narrative, casual and formal text; on prose, code and JSON they land
within about 15%. Word frequency is what the estimate cannot see: formal Chinese merges into
fewer tokens than everyday Chinese, so that is where it strays most. Other vendors'
tokenizers differ; the exact count is always the gateway's reported usage.
"""

from __future__ import annotations

import re
import zlib

_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u024f\u1e00-\u1eff"
_CYRILLIC = "\u0400-\u052f"
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_CJK_EXT = "\U00020000-\U0002ffff"
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
# Combining marks that belong inside a word (Python's \w leaves them out, o200k does not).
_MARKS = "\u0300-\u036f\u0591-\u05c7\u0900-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e"

# Per piece class: (pattern of the charged part, free, per_char). A piece of up to `free`
# characters costs one token and each character beyond costs `per_char` more.
_LATIN = (rf"(?:[{_UPPER}]+[{_LOWER}]*|[{_LOWER}]+)(?:'(?:[stdm]|re|ve|ll))?", 2.7, 0.04)
_NON_LATIN = (
    (rf"[{_CYRILLIC}]+", 0.0, 0.09),
    (rf"[{_ARABIC}]+", 0.0, 0.14),
    (rf"[{_CJK}{_CJK_EXT}]+", 0.1, 0.75),  # Chinese and Japanese, kana included
    (rf"[{_HANGUL}]+", 0.2, 0.43),
    (rf"(?:[^\W\d_]|[{_MARKS}])+", 2.8, 0.43),  # Greek, Hebrew, Indic, Thai, ...
)
_DIGITS = (r"\d{1,3}", 3.0, 0.0)
_PUNCTUATION = (r"(?:[^\s\w]|_)+", 0.0, 0.05)
_WHITESPACE = (r"\s*[\r\n]+|\s+(?!\S)|\s+", float("inf"), 0.0)  # what no word absorbed

# One alternative per class, in o200k's order, each with one group: a match's lastindex is
# its class. A word may lead with one character that is neither letter, digit nor newline;
# the non-Latin scripts are only tried past ASCII, which keeps code and JSON fast.
_PIECE = re.compile(
    r"(?:[^\w\r\n]|_)?(?:"
    + f"({_LATIN[0]})|(?=[^\\x00-\\x7f])(?:"
    + "|".join(f"({pattern})" for pattern, _, _ in _NON_LATIN)
    + f"))|({_DIGITS[0]})| ?({_PUNCTUATION[0]})[\\r\\n/]*|({_WHITESPACE[0]})"
)
_CLASSES = (_LATIN, *_NON_LATIN, _DIGITS, _PUNCTUATION, _WHITESPACE)

# Costs are integers in thousandths of a token, so sums are exact in any order and
# `token_pieces` and `count_text` always agree.
_MILLI = 1000
_TABLE_SIZE = 256


def _milli_cost(free: float, per_char: float, length: int) -> int:
    return round(_MILLI * (1.0 + per_char * max(0.0, length - free)))


# _COSTS[class number][length of the charged part], with an unused row 0 (lastindex is 1-based).
_COSTS: tuple[tuple[int, ...], ...] = (
    (),
    *(
        tuple(_milli_cost(free, per_char, length) for length in range(_TABLE_SIZE))
        for _, free, per_char in _CLASSES
    ),
)


def _charge(group: int, length: int) -> int:
    if length < _TABLE_SIZE:
        return _COSTS[group][length]
    _, free, per_char = _CLASSES[group - 1]
    return _milli_cost(free, per_char, length)


def count_text(text: str) -> int:
    """The estimated o200k_base token count of `text`: one regex pass and a table lookup."""
    total = 0
    costs = _COSTS
    for match in _PIECE.finditer(text):
        group = match.lastindex or 0
        start, end = match.span(group)
        length = end - start
        total += costs[group][length] if length < _TABLE_SIZE else _charge(group, length)
    return (total + _MILLI // 2) // _MILLI


def token_pieces(text: str) -> list[str]:
    """`text` cut into as many pieces as `count_text` estimates tokens.

    Fractions carry from piece to piece: each match yields the whole tokens the running
    total passes, its text cut into that many parts (a leading space is dropped, so "hi"
    and " hi" give the same piece). A match worth more whole tokens than it has characters
    (a CJK character or two, with the carry) ends in empty pieces.
    """
    pieces: list[str] = []
    total = 0
    emitted = 0
    costs = _COSTS
    for match in _PIECE.finditer(text):
        group = match.lastindex or 0
        start, end = match.span(group)
        length = end - start
        total += costs[group][length] if length < _TABLE_SIZE else _charge(group, length)
        count = (total + _MILLI // 2) // _MILLI - emitted
        emitted += count
        piece = match.group()
        if piece[0] == " " and not piece.isspace():
            piece = piece[1:]
        if count == 1:
            pieces.append(piece)
        else:
            size = len(piece)
            pieces.extend(piece[size * i // count : size * (i + 1) // count] for i in range(count))
    return pieces


def token_ids(text: str) -> list[int]:
    """Stable pseudo ids, a CRC of each piece: equal pieces get equal ids."""
    return [zlib.crc32(piece.encode("utf-8")) for piece in token_pieces(text)]
