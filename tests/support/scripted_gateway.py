"""A scripted, deterministic OpenAI-compatible Chat Completions server for tests.

Why it exists: the suites need real HTTP (to record vcrpy cassettes, to run the SDK's own
transport, to inject faults) without network access or keys. It uses only the standard
library, binds to 127.0.0.1 only, runs in daemon threads and shuts itself down after a
request cap or a lifetime, so a forgotten instance can never outlive a test run.

Typical use::

    with ScriptedGateway(flavour="deepseek") as gw:
        gw.enqueue(Fault.status(429, headers={"retry-after": "0"}))
        client = openai.OpenAI(api_key="test", base_url=gw.base_url)
        ...
        assert gw.requests[-1].json["model"] == "deepseek/deepseek-reasoner"
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = [
    "CREATED",
    "DEFAULT_MODELS",
    "FLAVOURS",
    "FLAVOUR_HEADER",
    "LOOPBACK",
    "Fault",
    "RecordedRequest",
    "SchemaFaker",
    "ScriptFn",
    "ScriptResult",
    "ScriptedGateway",
    "completion_for",
    "stream_for",
]

JSON = dict[str, Any]
LOOPBACK = "127.0.0.1"
FLAVOURS = ("openai", "deepseek", "groq", "openrouter", "repeat-ids")
FLAVOUR_HEADER = "x-scripted-flavour"
CREATED = 1_700_000_000
DEFAULT_MODELS = (
    "openai/gpt-5.4-mini",
    "openai/gpt-5.4",
    "reel-31-api",
    "deepseek/deepseek-reasoner",
    "meta-llama/llama-3.3-70b-instruct",
)
HTML_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
DONE = b"data: [DONE]\n\n"
_SNIPPET_CHARS = 60
_ARG_FRAGMENT_CHARS = 8
_MAX_DEPTH = 12

ScriptResult = tuple[int, Mapping[str, str], bytes | Iterable[bytes]]
ScriptFn = Callable[[JSON], ScriptResult | None]
Ending = Literal["done", "drop", "rst"]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, so tests can assert on what the client sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any

    @property
    def flavour(self) -> str | None:
        """The flavour asked for through the request header, if any."""
        return self.headers.get(FLAVOUR_HEADER)


# --------------------------------------------------------------------------- faults

_ERROR_KINDS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "bad_request"),
    401: ("authentication_error", "invalid_api_key"),
    402: ("payment_required", "insufficient_credits"),
    403: ("permission_error", "forbidden"),
    404: ("not_found_error", "model_not_found"),
    408: ("timeout_error", "request_timeout"),
    409: ("conflict_error", "conflict"),
    413: ("invalid_request_error", "request_too_large"),
    422: ("invalid_request_error", "unprocessable_entity"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
    503: ("server_error", "overloaded"),
}


def error_body(status: int, message: str | None = None) -> JSON:
    """An OpenAI-shaped error object, so SDK error mapping sees what real servers send."""
    kind, code = _ERROR_KINDS.get(status, ("server_error", f"http_{status}"))
    text = message or f"Scripted error {status}"
    return {"error": {"message": text, "type": kind, "param": None, "code": code}}


_FAULT_KINDS = frozenset(
    {
        "status",
        "not_json",
        "stream_reset",
        "stream_truncated",
        "stream_error_event",
        "gzip",
        "slow",
        "keepalive_comments",
    }
)


@dataclass(frozen=True)
class Fault:
    """A one-shot misbehaviour consumed by the next request (FIFO, one per request)."""

    kind: str
    status_code: int = 200
    body_json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None
    after_chunks: int | None = None
    message: str = "The upstream provider failed mid-stream."
    error_type: str = "server_error"
    error_code: str | None = "upstream_error"
    seconds: float = 0.0
    hard: bool = False
    padding: bytes = b""

    def __post_init__(self) -> None:
        if self.kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    @classmethod
    def status(
        cls,
        code: int,
        body_json: Any = None,
        headers: Mapping[str, str] | None = None,
        raw_body: bytes | str | None = None,
    ) -> Fault:
        """Answer `code` instead (JSON error body by default, nginx HTML for 502/504)."""
        raw = raw_body.encode() if isinstance(raw_body, str) else raw_body
        if body_json is None and raw is None:
            if code in (502, 504):
                raw = HTML_BAD_GATEWAY
            else:
                body_json = error_body(code)
        return cls(
            "status",
            status_code=code,
            body_json=body_json,
            headers=dict(headers or {}),
            raw_body=raw,
        )

    @classmethod
    def not_json(
        cls, body: bytes = b"upstream said: <b>oops</b>", content_type: str = "application/json"
    ) -> Fault:
        """HTTP 200 whose body is not JSON (content type still claims JSON by default)."""
        return cls("not_json", raw_body=body, headers={"Content-Type": content_type})

    @classmethod
    def stream_reset(cls, after_chunks: int = 2, hard: bool = False) -> Fault:
        """Send `after_chunks` data events then drop the connection mid-body.

        hard=False closes without the chunked terminator (deterministic for clients);
        hard=True also sends a TCP RST (SO_LINGER 0) after a short pause.
        Non-stream requests get half of their body, then the same drop.
        """
        return cls("stream_reset", after_chunks=after_chunks, hard=hard)

    @classmethod
    def stream_truncated(cls, after_chunks: int | None = None) -> Fault:
        """Content chunks but no finish_reason, usage or [DONE]; the body then ends cleanly."""
        return cls("stream_truncated", after_chunks=after_chunks)

    @classmethod
    def stream_error_event(
        cls,
        after_chunks: int = 2,
        message: str = "The upstream provider failed mid-stream.",
        error_type: str = "server_error",
        code: str | None = "upstream_error",
    ) -> Fault:
        """HTTP 200 stream, then `event: error` with an OpenAI error object, then the end.

        Non-stream requests get HTTP 200 with an `{"error": ...}` body, as OpenRouter does.
        """
        return cls(
            "stream_error_event",
            after_chunks=after_chunks,
            message=message,
            error_type=error_type,
            error_code=code,
        )

    @classmethod
    def gzip(cls, padding: bytes = b"\n\n\n         ") -> Fault:
        """Answer normally but gzip the body, with OpenRouter-style whitespace padding first."""
        return cls("gzip", padding=padding)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Sleep before answering normally (for client timeouts)."""
        return cls("slow", seconds=seconds)

    @classmethod
    def keepalive_comments(cls) -> Fault:
        """Stream with a `: ping` comment after every data event."""
        return cls("keepalive_comments")


# --------------------------------------------------------------------------- text helpers

_STOPWORD_TEXT = (
    "a an the and or but if then of to in on at for from by with about as is are was were "
    "be been it its it's this that these those what what's whats which who whom how how's "
    "can could would should will shall do does did please tell me my i i'm you your we our "
    "us give get find show call use check look also now hi hello hey thanks thank return "
    "reply answer respond say write list compute calculate search fetch make let want need "
    "some any there here just only"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_PLACE_KEYS = frozenset(
    {
        "location",
        "city",
        "place",
        "country",
        "region",
        "town",
        "where",
        "destination",
        "origin",
        "address",
        "state",
        "area",
    }
)
_PERSON_KEYS = frozenset({"name", "person", "user", "username", "author", "who", "full_name"})
_FREE_TEXT_KEYS = frozenset(
    {
        "query",
        "q",
        "search",
        "question",
        "prompt",
        "text",
        "input",
        "message",
        "content",
        "topic",
        "statement",
        "term",
        "keywords",
        "answer",
        "response",
        "reply",
        "summary",
        "description",
        "reason",
        "reasoning",
        "explanation",
        "output",
        "result",
        "comment",
    }
)
_EXPR_KEYS = frozenset({"expression", "expr", "formula", "equation", "math"})
_QUOTED = re.compile(r"'([^'\n]+)'|\"([^\"\n]+)\"")
_NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?!\w)")
_CAPITALISED = re.compile(r"\b[A-Z][a-z][\w'\-]*(?:\s+[A-Z][a-z][\w'\-]*)*")
_MATH = re.compile(
    r"-?\d+(?:\.\d+)?(?:\s*(?:[-+*/^x\u00d7]|times|plus|minus|divided by)\s*-?\d+(?:\.\d+)?)+"
)


def message_text(content: Any) -> str:
    """Text of a message content that may be a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = [p.get("text") for p in content if isinstance(p, dict)]
    return " ".join(t for t in texts if isinstance(t, str))


def count_media(content: Any) -> dict[str, int]:
    """How many image / audio / file parts a content list carries."""
    counts = {"image": 0, "audio": 0, "file": 0}
    kinds = {
        "image_url": "image",
        "image": "image",
        "input_image": "image",
        "input_audio": "audio",
        "audio": "audio",
        "file": "file",
        "input_file": "file",
    }
    for part in content if isinstance(content, list) else []:
        kind = kinds.get(part.get("type", "")) if isinstance(part, dict) else None
        if kind:
            counts[kind] += 1
    return counts


def snippet(text: str, limit: int = _SNIPPET_CHARS) -> str:
    """Whitespace-normalised prefix of the user's text, echoed so tests see the prompt."""
    return " ".join(text.split())[:limit]


def approx_tokens(text: str) -> int:
    """Deterministic token estimate: four characters per token, at least one."""
    return max(1, len(text) // 4)


def split_words(text: str) -> list[str]:
    """Word-sized pieces that concatenate back to `text` exactly (stream deltas)."""
    return re.findall(r"\s*\S+|\s+", text)


def _terms(text: str) -> set[str]:
    """Content words of a text, crudely stemmed, for matching prompts against tools."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower())
    return {
        w[:-1] if len(w) > 3 and w.endswith("s") else w
        for w in words
        if len(w) > 2 and w not in _STOPWORDS
    }


def _name_pattern(name: str) -> str:
    """Regex matching a property or tool name written as words, snake or camel case."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    parts = [re.escape(p) for p in spaced.lower().split()]
    return r"\b" + r"[\s_-]?".join(parts) + r"\b" if parts else r"(?!x)x"


def _mentions(name: str, text: str) -> bool:
    """Whether `name` appears as words in `text`."""
    return bool(name) and re.search(_name_pattern(name), text.lower()) is not None


# --------------------------------------------------------------------------- schema faker


def _schema_type(schema: JSON) -> str:
    """The JSON type a schema asks for, inferred when `type` is missing or a list."""
    declared = schema.get("type")
    if isinstance(declared, list):
        concrete = [t for t in declared if t != "null"]
        return str(concrete[0]) if concrete else "null"
    if isinstance(declared, str):
        return declared
    if any(k in schema for k in ("properties", "additionalProperties", "required")):
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "multipleOf")):
        return "number"
    return "string"


def _string_by_name(schema: JSON, key: str, text: str) -> str:
    """A short plausible string chosen from the property's name and format."""
    fmt = str(schema.get("format", ""))
    table: list[tuple[bool, str]] = [
        (fmt == "email" or "email" in key, "user@example.com"),
        (
            fmt in ("uri", "url") or any(k in key for k in ("url", "uri", "link", "website")),
            "https://example.com",
        ),
        (fmt == "date-time" or "datetime" in key or "timestamp" in key, "2024-01-01T12:00:00Z"),
        (fmt == "date" or "date" in key, "2024-01-01"),
        (fmt == "time" or key == "time", "12:00:00"),
        (fmt == "uuid", "00000000-0000-4000-8000-000000000001"),
        ("timezone" in key or key == "tz", "UTC"),
        ("unit" in key, "celsius"),
        ("lang" in key, "en"),
        ("currency" in key, "USD"),
        ("color" in key or "colour" in key, "blue"),
        (key in _PLACE_KEYS, "Paris"),
        (key in _PERSON_KEYS, "Alice"),
        (key in _FREE_TEXT_KEYS, snippet(text) or "example"),
        (key.endswith("id"), "id_1"),
    ]
    for matches, value in table:
        if matches:
            return value
    return f"example {key.replace('_', ' ')}".strip()


def _fit_length(value: str, schema: JSON) -> str:
    """Pad or cut a string to the schema's minLength / maxLength."""
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(value) < low:
        value = value + "x" * (low - len(value))
    if isinstance(high, int) and len(value) > high:
        value = value[:high]
    return value


def _value_after(name: str, text: str) -> str | None:
    """The words written right after a property name ("city: Paris", "name is Bob")."""
    sep = r"\s*(?:[:=]|\b(?:is|was|of|as|be|equals?|named|called)\b)?\s*"
    word = r"[^\s,.;:!?\"'`]+"
    value = rf"(?:\"([^\"]+)\"|'([^']+)'|`([^`]+)`|({word}(?:\s+{word}){{0,3}}))"
    found = re.search(_name_pattern(name) + r"(?![\"'`])" + sep + value, text, re.IGNORECASE)
    if not found:
        return None
    quoted = found.group(1) or found.group(2) or found.group(3)
    if quoted:
        return quoted
    cut = {"and", "or", "but", "with", "then", "please", "in", "on", "at", "for", "from"}
    words: list[str] = []
    for candidate in found.group(4).split():
        if candidate.lower() in cut:
            break
        words.append(candidate)
    return " ".join(words) or None


def _proper_noun(text: str) -> str | None:
    """A capitalised name from the text, preferring ones that do not start a sentence."""
    fallback: str | None = None
    for match in _CAPITALISED.finditer(text):
        words = match.group().split()
        while words and words[0].lower() in _STOPWORDS:
            words.pop(0)
        if not words:
            continue
        before = text[: match.start()].rstrip()
        if before and before[-1] not in ".!?:\n":
            return " ".join(words)
        fallback = fallback or " ".join(words)
    return fallback


def _math_expression(text: str) -> str | None:
    """An arithmetic expression from the text, with spelled operators turned into symbols."""
    found = _MATH.search(text)
    if not found:
        return None
    expr = found.group()
    for spelled, symbol in (
        ("divided by", "/"),
        ("times", "*"),
        ("plus", "+"),
        ("minus", "-"),
        ("\u00d7", "*"),
        ("x", "*"),
    ):
        expr = expr.replace(spelled, f" {symbol} ")
    return " ".join(expr.split())


class SchemaFaker:
    """Builds an instance valid against a JSON schema, borrowing values from the prompt.

    Why: tool arguments and structured outputs must validate client-side and should carry
    something from the prompt so tests can tell the prompt reached the "model".
    """

    def __init__(self, root: Any, text: str = "") -> None:
        self._root: JSON = root if isinstance(root, dict) else {}
        self._text = text
        self._numbers = [(m.start(), m.group()) for m in _NUMBER.finditer(text)]
        self._used: set[int] = set()

    def generate(self) -> Any:
        """An instance of the root schema."""
        return self._value(self._root, "", 0)

    def generate_object(self) -> JSON:
        """An instance of the root schema, forced to be an object (tool arguments)."""
        root = dict(self._resolve(self._root))
        root.setdefault("type", "object")
        value = self._value(root, "", 0)
        return value if isinstance(value, dict) else {}

    # -- structure

    def _resolve(self, schema: Any) -> JSON:
        """Follow local `$ref`s (#/$defs/..., #/definitions/...), keeping sibling keywords."""
        current: JSON = schema if isinstance(schema, dict) else {}
        for _ in range(32):
            ref = current.get("$ref")
            if not isinstance(ref, str):
                return current
            siblings = {k: v for k, v in current.items() if k != "$ref"}
            current = {**self._lookup(ref), **siblings}
        return {}

    def _lookup(self, ref: str) -> JSON:
        """The schema a JSON pointer reference names inside the root document."""
        node: Any = self._root
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            key = part.replace("~1", "/").replace("~0", "~")
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    def _value(self, schema: Any, name: str, depth: int) -> Any:
        """Dispatch on the schema's combinators first, then on its type."""
        resolved = self._resolve(schema)
        if "const" in resolved:
            return resolved["const"]
        enum = resolved.get("enum")
        if isinstance(enum, list) and enum:
            return self._enum(enum)
        for key in ("anyOf", "oneOf"):
            branches = resolved.get(key)
            if isinstance(branches, list) and branches:
                return self._value(self._branch(branches), name, depth + 1)
        if isinstance(resolved.get("allOf"), list):
            return self._value(self._merge(resolved), name, depth + 1)
        return self._typed(resolved, name, depth)

    def _typed(self, schema: JSON, name: str, depth: int) -> Any:
        """Generate a value for a schema without combinators."""
        kind = _schema_type(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind in ("integer", "number"):
            return self._number(schema, name, integer=kind == "integer")
        if kind == "boolean":
            default = schema.get("default")
            return default if isinstance(default, bool) else _mentions(name, self._text)
        if kind == "null":
            return None
        return self._string(schema, name)

    def _branch(self, branches: list[Any]) -> JSON:
        """The first anyOf/oneOf branch that is not plain null."""
        for branch in branches:
            resolved = self._resolve(branch)
            if _schema_type(resolved) != "null" or "const" in resolved or "enum" in resolved:
                return resolved
        return self._resolve(branches[0])

    def _merge(self, schema: JSON) -> JSON:
        """Flatten allOf into one schema (properties and required are unioned)."""
        merged: JSON = {k: v for k, v in schema.items() if k != "allOf"}
        props: JSON = dict(merged.get("properties") or {})
        required: list[Any] = list(merged.get("required") or [])
        for part in schema["allOf"]:
            branch = self._resolve(part)
            props.update(branch.get("properties") or {})
            required += [r for r in branch.get("required") or [] if r not in required]
            for key, value in branch.items():
                merged.setdefault(key, value)
        merged.update({"properties": props, "required": required} if props else {})
        return merged

    def _object(self, schema: JSON, depth: int) -> JSON:
        """Required properties, plus optional ones the prompt mentions (near the top)."""
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        listed = schema.get("required")
        required = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else None
        wanted = (
            list(props)
            if required is None
            else [p for p in props if p in required or (depth < 3 and _mentions(p, self._text))]
            + [r for r in required if r not in props]
        )
        if depth >= _MAX_DEPTH:
            wanted = [p for p in wanted if required and p in required]
        return {p: self._value(props.get(p, {}), p, depth + 1) for p in wanted}

    def _array(self, schema: JSON, name: str, depth: int) -> list[Any]:
        """One item (or minItems) near the top, minItems deeper down to end recursion."""
        prefix = schema.get("prefixItems")
        items = schema.get("items", {})
        if isinstance(prefix, list) or isinstance(items, list):
            tuple_items = prefix if isinstance(prefix, list) else items
            return [self._value(s, name, depth + 1) for s in tuple_items]
        low = schema.get("minItems")
        count = max(low if isinstance(low, int) else 0, 1 if depth < 4 else 0)
        high = schema.get("maxItems")
        count = min(count, high) if isinstance(high, int) else count
        item_name = name[:-1] if name.endswith("s") and len(name) > 3 else name
        return [self._value(items, item_name, depth + 1) for _ in range(count)]

    # -- scalars

    def _enum(self, values: list[Any]) -> Any:
        """The enum member the prompt names, else the first one."""
        lowered = self._text.lower()
        for value in values:
            if (
                isinstance(value, str)
                and value
                and re.search(rf"\b{re.escape(value.lower())}\b", lowered)
            ):
                return value
        return values[0]

    def _string(self, schema: JSON, name: str) -> str:
        """Prompt-derived text when the name suggests it, else a plausible default."""
        key = name.lower()
        value = self._string_from_text(key, name)
        default = schema.get("default")
        if value is None and isinstance(default, str):
            value = default
        if value is None:
            value = _string_by_name(schema, key, self._text)
        return _fit_length(value, schema)

    def _string_from_text(self, key: str, name: str) -> str | None:
        """A string taken from the prompt, or None when the prompt has nothing fitting."""
        if key in _EXPR_KEYS and (expr := _math_expression(self._text)):
            return expr
        if _mentions(name, self._text) and (after := _value_after(name, self._text)):
            return after
        if key in _PLACE_KEYS or key in _PERSON_KEYS:
            return _proper_noun(self._text)
        if key.endswith("name") and (quoted := _QUOTED.search(self._text)):
            # "a customer named '你好啊集团'": the quoted words are the name (any script).
            return next(group for group in quoted.groups() if group)
        return None

    def _number(self, schema: JSON, name: str, *, integer: bool) -> int | float:
        """A number named in the prompt, else the next unused one, else default/minimum/1."""
        found = self._number_after(name) or self._next_number()
        default = schema.get("default")
        if found is not None:
            value: float = float(found)
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            value = float(default)
        else:
            value = 1.0
        value = _clamp(value, schema)
        if integer or (found is not None and "." not in found and value.is_integer()):
            return int(value)
        return value

    def _number_after(self, name: str) -> str | None:
        """The first number written shortly after the property name, marked as used."""
        if not _mentions(name, self._text):
            return None
        found = re.search(
            _name_pattern(name) + r"\D{0,16}?(-?\d+(?:\.\d+)?)", self._text, flags=re.IGNORECASE
        )
        if not found:
            return None
        self._used.add(found.start(1))
        return found.group(1)

    def _next_number(self) -> str | None:
        """The first number in the prompt no other property has taken yet."""
        for position, text in self._numbers:
            if position not in self._used:
                self._used.add(position)
                return text
        return None


def _clamp(value: float, schema: JSON) -> float:
    """Respect minimum/maximum (inclusive and numeric exclusive forms) and multipleOf."""
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(low, (int, float)) and value < low:
        value = float(low)
    if isinstance(ex_low, (int, float)) and not isinstance(ex_low, bool) and value <= ex_low:
        value = float(ex_low) + 1
    if isinstance(high, (int, float)) and value > high:
        value = float(high)
    if isinstance(ex_high, (int, float)) and not isinstance(ex_high, bool) and value >= ex_high:
        value = float(ex_high) - 1
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0 and value % step:
        value = float(step) * (value // step + 1)
    return value


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class ToolCall:
    """One generated function call."""

    id: str
    name: str
    arguments: str


@dataclass
class Reply:
    """What the scripted model decided to say, before it is rendered as JSON or SSE."""

    content: str | None
    finish_reason: str = "stop"
    refusal: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: str | None = None


@dataclass(frozen=True)
class Conversation:
    """The facts about a message list that the decision rules look at."""

    last_role: str
    user_text: str
    media: dict[str, int]
    tool_results: list[str]
    has_prior_assistant: bool
    any_user_refuses: bool
    all_text: str

    @classmethod
    def from_messages(cls, messages: Sequence[Any]) -> Conversation:
        """Summarise the messages (non-dict entries are ignored)."""
        msgs = [m for m in messages if isinstance(m, dict)]
        users = [m for m in msgs if m.get("role") == "user"]
        last_user = users[-1] if users else {}
        trailing: list[str] = []
        for msg in reversed(msgs):
            if msg.get("role") != "tool":
                break
            trailing.insert(0, message_text(msg.get("content")))
        return cls(
            last_role=str(msgs[-1].get("role", "")) if msgs else "",
            user_text=message_text(last_user.get("content")),
            media=count_media(last_user.get("content")),
            tool_results=trailing,
            has_prior_assistant=any(m.get("role") == "assistant" for m in msgs),
            any_user_refuses=any("REFUSE" in message_text(m.get("content")) for m in users),
            all_text="\n".join(message_text(m.get("content")) for m in msgs),
        )


def _tool_spec(tool: Any) -> JSON:
    """The function definition of a tool entry (nested `function` or flattened)."""
    if not isinstance(tool, dict):
        return {}
    inner = tool.get("function")
    return inner if isinstance(inner, dict) else tool


def _forced_name(choice: Any) -> str | None:
    """The function name tool_choice forces, if it forces one."""
    if isinstance(choice, dict):
        inner = choice.get("function")
        name = inner.get("name") if isinstance(inner, dict) else choice.get("name")
        return name if isinstance(name, str) else None
    return None


def _tool_score(spec: JSON, text: str) -> int:
    """How well a tool's name and description match the text (name mention wins)."""
    words = f"{spec.get('name', '')} {spec.get('description', '')}"
    score = len(_terms(words) & _terms(text))
    return score + (10 if _mentions(str(spec.get("name", "")), text) else 0)


def _best(specs: list[JSON], text: str, exclude: int | None = None) -> int:
    """Index of the best-scoring tool for `text` (ties go to the earlier tool)."""
    ranked = sorted(range(len(specs)), key=lambda i: (-_tool_score(specs[i], text), i))
    return next(i for i in ranked if i != exclude)


def choose_tools(
    specs: list[JSON], text: str, forced: str | None, parallel: bool
) -> list[tuple[JSON, str]]:
    """Which tools to call, each with the part of the prompt its arguments come from."""
    if forced is not None:
        named = [s for s in specs if s.get("name") == forced]
        return [(named[0] if named else {"name": forced}, text)]
    first = _best(specs, text)
    segments = [s for s in re.split(r"\band\b", text, flags=re.IGNORECASE) if s.strip()]
    mentioned = sorted(
        (m.start(), i)
        for i, s in enumerate(specs)
        if (m := re.search(_name_pattern(str(s.get("name", ""))), text.lower()))
    )
    if not parallel or len(specs) < 2:
        return [(specs[first], text)]
    if len(mentioned) >= 2:
        picks = [mentioned[0][1], mentioned[1][1]]
        return [(specs[i], _segment_for(specs[i], segments, text)) for i in picks]
    if len(segments) >= 2:
        return _split_between(specs, segments[0], " and ".join(segments[1:]))
    return [(specs[first], text)]


def _split_between(specs: list[JSON], head: str, rest: str) -> list[tuple[JSON, str]]:
    """Two distinct tools for the two halves of a prompt, matched the better way round."""
    head_first = (_best(specs, head), -1)
    head_first = (head_first[0], _best(specs, rest, exclude=head_first[0]))
    rest_second = _best(specs, rest)
    rest_first = (_best(specs, head, exclude=rest_second), rest_second)

    def total(pair: tuple[int, int]) -> int:
        return _tool_score(specs[pair[0]], head) + _tool_score(specs[pair[1]], rest)

    one, two = max((head_first, rest_first), key=total)  # ties keep the head-first reading
    return [(specs[one], head), (specs[two], rest)]


def _segment_for(spec: JSON, segments: list[str], text: str) -> str:
    """The " and "-separated part of the prompt that talks about this tool."""
    if len(segments) < 2:
        return text
    return max(segments, key=lambda s: _tool_score(spec, s))


def _tool_reply(body: JSON, conv: Conversation, n: int) -> Reply | None:
    """Rule 1: call tools when the turn belongs to the model and tools are allowed."""
    specs = [_tool_spec(t) for t in body.get("tools") or []]
    specs = [s for s in specs if isinstance(s.get("name"), str)]
    choice = body.get("tool_choice")
    if not specs or choice == "none":
        return None
    forced = _forced_name(choice)
    insists = choice == "required" or forced is not None
    if not (conv.last_role == "user" or (insists and conv.last_role != "tool")):
        return None
    parallel = body.get("parallel_tool_calls") is not False
    calls = [
        ToolCall(
            id=f"call_{n}_{i}",
            name=str(spec.get("name")),
            arguments=json.dumps(
                SchemaFaker(spec.get("parameters"), hint).generate_object(),
                separators=(",", ":"),
                ensure_ascii=False,
            ),
        )
        for i, (spec, hint) in enumerate(choose_tools(specs, conv.user_text, forced, parallel))
    ]
    return Reply(content=None, finish_reason="tool_calls", tool_calls=calls)


def _tool_result_reply(body: JSON, conv: Conversation) -> Reply | None:
    """Rule 2: after tool messages, report what the tools returned."""
    if conv.last_role != "tool":
        return None
    return _limit(Reply(content="The result is: " + "; ".join(conv.tool_results)), body)


def _refusal_reply(conv: Conversation) -> Reply | None:
    """Rule 4 (checked before structured output so refusals can be tested with it)."""
    if not conv.any_user_refuses:
        return None
    return Reply(content=None, refusal="I can't help with that.")


def _mentioned_keys(text: str) -> list[str]:
    """Keys a prompt asks a JSON object to have: quoted names, or names after "keys"."""
    quoted = re.findall(r"[\"'`]([A-Za-z_][A-Za-z0-9_]*)[\"'`]", text)
    if quoted:
        return list(dict.fromkeys(quoted))
    ident = r"[A-Za-z_][A-Za-z0-9_]*"
    listed = rf"{ident}(?:\s*(?:,\s*(?:and\s+)?|\band\s+){ident})*"
    found = re.search(rf"\b(?:keys?|fields?|properties)\b\s*:?\s*({listed})", text, re.I)
    if not found:
        return []
    names = re.findall(ident, found.group(1))
    return list(dict.fromkeys(n for n in names if n.lower() != "and"))


def _format_reply(body: JSON, conv: Conversation) -> Reply | None:
    """Rule 3: structured output for json_schema / json_object response formats."""
    fmt = body.get("response_format")
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        instance = SchemaFaker(schema, conv.user_text).generate()
        return Reply(content=json.dumps(instance, ensure_ascii=False))
    if fmt.get("type") == "json_object":
        keys = _mentioned_keys(conv.all_text) or ["answer"]
        numeric = {
            "age",
            "count",
            "number",
            "total",
            "year",
            "score",
            "amount",
            "price",
            "population",
            "quantity",
            "n",
        }
        schema = {
            "type": "object",
            "required": keys,
            "properties": {
                k: {"type": "integer" if k.lower() in numeric else "string"} for k in keys
            },
        }
        instance = SchemaFaker(schema, conv.user_text).generate_object()
        return Reply(content=json.dumps(instance, ensure_ascii=False))
    return None


def _text_reply(body: JSON, conv: Conversation) -> Reply:
    """Rule 5: a short deterministic sentence echoing the prompt."""
    if re.search(r"\bcount\b", conv.user_text, re.IGNORECASE):
        return _limit(Reply(content="1 2 3 4 5"), body)
    parts: list[str] = []
    if conv.has_prior_assistant:
        parts.append("Following up on my earlier answer.")
    if conv.user_text.strip():
        parts.append(f"You said: {snippet(conv.user_text)}")
    for kind, verb, noun in (
        ("image", "see", "image"),
        ("audio", "hear", "audio clip"),
        ("file", "read", "file"),
    ):
        count = conv.media[kind]
        if count:
            parts.append(f"I {verb} {count} {noun}{'' if count == 1 else 's'}.")
    return _limit(Reply(content=" ".join(parts) or "Hello! How can I help you today?"), body)


def _limit(reply: Reply, body: JSON) -> Reply:
    """Honour `stop` (cut before the first stop string) and max_(completion_)tokens."""
    text = reply.content
    if text is None:
        return reply
    stops = body.get("stop")
    stop_list = [stops] if isinstance(stops, str) else stops if isinstance(stops, list) else []
    cuts = [text.find(s) for s in stop_list if isinstance(s, str) and s and s in text]
    if cuts:
        text = text[: min(cuts)]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    words = text.split()
    if isinstance(limit, int) and 0 < limit < len(words):
        return replace(reply, content=" ".join(words[:limit]), finish_reason="length")
    return replace(reply, content=text)


def wants_reasoning(body: JSON) -> bool:
    """Reasoning models (by id) and requests that set a reasoning effort think aloud."""
    model = str(body.get("model", "")).lower()
    effort = body.get("reasoning_effort")
    asked = (effort is not None and effort != "none") or isinstance(body.get("reasoning"), dict)
    return "reason" in model or "deepseek" in model or asked


def reasoning_field(model: str, flavour: str) -> str:
    """DeepSeek says `reasoning_content`; OpenRouter and Groq say `reasoning`."""
    if flavour == "deepseek":
        return "reasoning_content"
    if flavour in ("groq", "openrouter"):
        return "reasoning"
    return "reasoning_content" if "deepseek" in model.lower() else "reasoning"


def decide(body: JSON, n: int) -> Reply:
    """Apply the decision rules in order and attach reasoning when the model would."""
    conv = Conversation.from_messages(body.get("messages") or [])
    reply = (
        _tool_reply(body, conv, n)
        or _tool_result_reply(body, conv)
        or _refusal_reply(conv)
        or _format_reply(body, conv)
        or _text_reply(body, conv)
    )
    if wants_reasoning(body):
        topic = snippet(conv.user_text) or "the conversation"
        names = ", ".join(c.name for c in reply.tool_calls)
        plan = f"call {names}" if names else "answer briefly"
        reply.reasoning = f"The user asked about: {topic}. I should {plan}."
    return reply


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Meta:
    """Per-response constants shared by the JSON and SSE renderers."""

    id: str
    created: int
    model: str
    flavour: str
    logprobs: bool
    top_logprobs: int
    include_usage: bool

    @classmethod
    def for_body(cls, body: JSON, n: int, flavour: str, created: int) -> Meta:
        """Read the rendering options out of a request body."""
        options = body.get("stream_options")
        top = body.get("top_logprobs")
        return cls(
            id=f"chatcmpl-{n}",
            created=created,
            model=str(body.get("model", "")),
            flavour=flavour,
            logprobs=body.get("logprobs") is True,
            top_logprobs=top if isinstance(top, int) else 0,
            include_usage=isinstance(options, dict) and options.get("include_usage") is True,
        )


def usage_for(body: JSON, reply: Reply) -> JSON:
    """Approximate but deterministic usage, including cached and reasoning token details."""
    prompt_text = Conversation.from_messages(body.get("messages") or []).all_text
    for extra in ("tools", "response_format"):
        if body.get(extra):
            prompt_text += json.dumps(body[extra])
    prompt = approx_tokens(prompt_text)
    visible = (reply.content or "") + (reply.refusal or "")
    visible += "".join(c.arguments for c in reply.tool_calls)
    text_tokens = approx_tokens(visible)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if reply.finish_reason == "length" and isinstance(limit, int):
        text_tokens = min(text_tokens, limit)
    reasoning = approx_tokens(reply.reasoning) if reply.reasoning else 0
    completion = text_tokens + reasoning
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": prompt // 2 if prompt >= 32 else 0,
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def logprob_entries(pieces: list[str], first_index: int, top: int) -> list[JSON]:
    """Logprob records for tokens; logprob is -0.1 * (1-based token index)."""
    entries: list[JSON] = []
    for offset, token in enumerate(pieces):
        value = round(-0.1 * (first_index + offset), 6)
        alternatives = [{"token": token, "logprob": value, "bytes": list(token.encode())}]
        alternatives += [
            {"token": f"alt{j}", "logprob": round(value - j, 6), "bytes": list(f"alt{j}".encode())}
            for j in range(1, top)
        ]
        entries.append(
            {
                "token": token,
                "logprob": value,
                "bytes": list(token.encode()),
                "top_logprobs": alternatives[:top],
            }
        )
    return entries


def _message(reply: Reply, meta: Meta) -> JSON:
    """The assistant message of a non-stream completion."""
    message: JSON = {
        "role": "assistant",
        "content": reply.content,
        "refusal": reply.refusal,
        "annotations": [],
    }
    if reply.reasoning:
        message[reasoning_field(meta.model, meta.flavour)] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in reply.tool_calls
        ]
    return message


def completion_json(body: JSON, reply: Reply, meta: Meta) -> JSON:
    """A full chat.completion object (n > 1 repeats the same choice)."""
    logprobs = None
    if meta.logprobs:
        logprobs = {
            "content": logprob_entries(split_words(reply.content or ""), 1, meta.top_logprobs),
            "refusal": None,
        }
    wanted = body.get("n")
    count = wanted if isinstance(wanted, int) and wanted > 1 else 1
    usage = usage_for(body, reply)
    if count > 1:
        usage["completion_tokens"] *= count
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "system_fingerprint": "fp_scripted",
        "service_tier": "default",
        "choices": [
            {
                "index": i,
                "message": _message(reply, meta),
                "logprobs": logprobs,
                "finish_reason": reply.finish_reason,
            }
            for i in range(count)
        ],
        "usage": usage,
    }


@dataclass(frozen=True)
class Event:
    """One SSE event; `final` marks finish/usage/[DONE] events (dropped by truncation)."""

    data: bytes
    is_data: bool = True
    final: bool = False


def sse(obj: Any, final: bool = False) -> Event:
    """A `data:` event carrying compact JSON."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return Event(b"data: " + text.encode() + b"\n\n", final=final)


def comment(text: str) -> Event:
    """An SSE comment line, which clients must ignore."""
    return Event(b": " + text.encode() + b"\n\n", is_data=False)


class _Chunks:
    """Builds chat.completion.chunk objects sharing one response's metadata."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.openai_like = meta.flavour in ("openai", "groq", "repeat-ids")

    def chunk(self, delta: JSON, finish: str | None = None, logprobs: Any = None) -> JSON:
        """One chunk with a single choice."""
        obj: JSON = {
            "id": self.meta.id,
            "object": "chat.completion.chunk",
            "created": self.meta.created,
            "model": self.meta.model,
            "system_fingerprint": "fp_scripted",
            "choices": [
                {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            ],
        }
        if self.meta.include_usage and self.openai_like:
            obj["usage"] = None
        return obj

    def usage_chunk(self, usage: JSON) -> JSON:
        """The trailing usage chunk (OpenRouter keeps a choice with an empty delta)."""
        obj = self.chunk({})
        obj["choices"] = []
        if self.meta.flavour == "openrouter":
            obj["choices"] = [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "finish_reason": None,
                    "logprobs": None,
                }
            ]
        obj["usage"] = usage
        return obj


def _tool_call_deltas(calls: list[ToolCall], flavour: str) -> list[JSON]:
    """Tool-call deltas in the shape each flavour streams them."""
    deltas: list[JSON] = []
    for i, call in enumerate(calls):
        head: JSON = {
            "index": i,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        if flavour == "groq":
            head["function"]["arguments"] = call.arguments
            deltas.append({"tool_calls": [head]})
            continue
        deltas.append({"tool_calls": [head]})
        for start in range(0, len(call.arguments), _ARG_FRAGMENT_CHARS):
            fragment = call.arguments[start : start + _ARG_FRAGMENT_CHARS]
            item: JSON = {"index": i, "function": {"arguments": fragment}}
            if flavour == "repeat-ids":
                item = {
                    "index": i,
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": fragment},
                }
            deltas.append({"tool_calls": [item]})
    return deltas


def stream_events(body: JSON, reply: Reply, meta: Meta) -> list[Event]:
    """The whole SSE conversation for a streamed reply, flavour quirks included."""
    chunks = _Chunks(meta)
    usage = usage_for(body, reply)
    first: JSON = {"role": "assistant", "content": ""}
    if chunks.openai_like:
        first["refusal"] = None
    events = [sse(chunks.chunk(first)), comment("keep-alive")]
    field_name = reasoning_field(meta.model, meta.flavour)
    events += [sse(chunks.chunk({field_name: p})) for p in split_words(reply.reasoning or "")]
    for index, piece in enumerate(split_words(reply.content or ""), start=1):
        logprobs = None
        if meta.logprobs:
            logprobs = {
                "content": logprob_entries([piece], index, meta.top_logprobs),
                "refusal": None,
            }
        events.append(sse(chunks.chunk({"content": piece}, logprobs=logprobs)))
    events += [sse(chunks.chunk({"refusal": p})) for p in split_words(reply.refusal or "")]
    events += [sse(chunks.chunk(d)) for d in _tool_call_deltas(reply.tool_calls, meta.flavour)]
    finish = chunks.chunk({}, finish=reply.finish_reason)
    if meta.flavour == "deepseek" and meta.include_usage:
        finish["usage"] = usage
    events.append(sse(finish, final=True))
    if meta.include_usage and meta.flavour != "deepseek":
        events.append(sse(chunks.usage_chunk(usage), final=True))
    if meta.flavour == "openrouter":
        events = _interleave(events, "OPENROUTER PROCESSING", every=3, lead=True)
    return [*events, Event(DONE, final=True)]


def _interleave(events: list[Event], text: str, every: int, lead: bool = False) -> list[Event]:
    """Insert a comment event after every `every` data events (and optionally first)."""
    out = [comment(text)] if lead else []
    seen = 0
    for event in events:
        out.append(event)
        seen += event.is_data
        if event.is_data and seen % every == 0:
            out.append(comment(text))
    return out


def completion_for(
    body: JSON, *, n: int = 1, flavour: str = "openai", created: int = CREATED
) -> JSON:
    """The non-stream answer the gateway would give to `body` (no server needed)."""
    return completion_json(body, decide(body, n), Meta.for_body(body, n, flavour, created))


def stream_for(body: JSON, *, n: int = 1, flavour: str = "openai", created: int = CREATED) -> bytes:
    """The SSE body the gateway would stream for `body` (no server needed)."""
    meta = Meta.for_body(body, n, flavour, created)
    return b"".join(e.data for e in stream_events(body, decide(body, n), meta))


# --------------------------------------------------------------------------- responses


@dataclass
class Response:
    """What the handler will write: a fixed body or a stream, and how the body ends."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    events: list[Event] | None = None
    stream: Iterable[bytes] | None = None
    gzip: bool = False
    padding: bytes = b""
    ending: Ending = "done"

    def pieces(self) -> Iterable[bytes] | None:
        """The stream's pieces, or None for a fixed body."""
        if self.events is not None:
            return [e.data for e in self.events]
        return self.stream


def json_response(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A fixed JSON body."""
    body = json.dumps(obj, ensure_ascii=False).encode()
    return Response(status, {"Content-Type": "application/json", **(headers or {})}, body)


def _cut_events(events: list[Event], after: int | None, keep_final: bool) -> list[Event]:
    """The events up to the `after`-th data event (None: all), optionally without finals."""
    kept: list[Event] = []
    seen = 0
    for event in events:
        if event.final and not keep_final:
            break
        if event.is_data and after is not None and seen >= after:
            break
        kept.append(event)
        seen += event.is_data
    return kept


def apply_fault(response: Response, fault: Fault) -> Response:
    """Reshape a normal answer according to a stream/encoding fault."""
    events = response.events
    if fault.kind == "gzip":
        return replace(response, gzip=True, padding=b"" if events is not None else fault.padding)
    if fault.kind == "keepalive_comments" and events is not None:
        return replace(response, events=_interleave(events, "ping", every=1))
    if fault.kind in ("stream_reset", "stream_truncated") and events is None:
        return replace(response, ending="drop")
    if fault.kind == "stream_reset" and events is not None:
        cut = _cut_events(events, fault.after_chunks, keep_final=True)
        return replace(response, events=cut, ending="rst" if fault.hard else "drop")
    if fault.kind == "stream_truncated" and events is not None:
        return replace(response, events=_cut_events(events, fault.after_chunks, keep_final=False))
    if fault.kind == "stream_error_event":
        error = {
            "error": {"message": fault.message, "type": fault.error_type, "code": fault.error_code}
        }
        if events is None:
            return json_response(200, error)
        payload = json.dumps(error, separators=(",", ":")).encode()
        cut = _cut_events(events, fault.after_chunks, keep_final=False)
        return replace(response, events=[*cut, Event(b"event: error\ndata: " + payload + b"\n\n")])
    return response


def fault_response(fault: Fault) -> Response:
    """A response that replaces the answer entirely (status / not_json faults)."""
    if fault.kind == "not_json":
        return Response(200, dict(fault.headers), fault.raw_body or b"")
    if fault.raw_body is not None:
        kind = "text/html" if fault.raw_body.lstrip().startswith(b"<") else "text/plain"
        return Response(fault.status_code, {"Content-Type": kind, **fault.headers}, fault.raw_body)
    return json_response(fault.status_code, fault.body_json, fault.headers)


def script_response(result: ScriptResult) -> Response:
    """A response built from a `gw.script(fn)` result."""
    status, headers, payload = result
    if isinstance(payload, (bytes, bytearray)):
        return Response(status, dict(headers), bytes(payload))
    return Response(status, dict(headers), stream=payload)


# --------------------------------------------------------------------------- http layer


class _Server(ThreadingHTTPServer):
    """Loopback-only threading server that reports handler crashes to its gateway."""

    daemon_threads = True
    # Bursts of hundreds of concurrent connects must queue, not be reset by a full backlog.
    request_queue_size = 1024
    block_on_close = False

    def __init__(self, gateway: ScriptedGateway) -> None:
        self.gateway = gateway
        super().__init__((LOOPBACK, 0), _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup HTTPServer does (no network here)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients hanging up; keep other tracebacks for the test to inspect."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            self.gateway._record_error(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, asks the gateway for a Response and writes it out."""

    protocol_version = "HTTP/1.1"
    server_version = "ScriptedGateway/1.0"
    sys_version = ""
    timeout = 60

    @property
    def gateway(self) -> ScriptedGateway:
        """The owning gateway."""
        assert isinstance(self.server, _Server)
        return self.server.gateway

    def setup(self) -> None:
        """Count and track each connection (so stop() can close idle keep-alives)."""
        super().setup()
        self.gateway._connection_opened(self.connection)

    def finish(self) -> None:
        """Forget the connection whatever happened to it."""
        try:
            super().finish()
        finally:
            self.gateway._connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """GET entry point."""
        self._dispatch()

    def do_POST(self) -> None:
        """POST entry point."""
        self._dispatch()

    def _dispatch(self) -> None:
        """Record, answer, write."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        raw = self._read_body(headers)
        response = self.gateway._handle(self.command, self.path, headers, raw)
        self._write(response)

    def _read_body(self, headers: Mapping[str, str]) -> bytes:
        """The request body, by Content-Length or chunked transfer encoding."""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(parts)
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _write(self, response: Response) -> None:
        """Write status, headers and body; then end the body the way the response says."""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.gzip:
            self.send_header("Content-Encoding", "gzip")
        pieces = response.pieces()
        if pieces is None:
            self._write_fixed(response)
        else:
            self._write_stream(response, pieces)
        if response.ending != "done":
            self.close_connection = True
        if response.ending == "rst":
            time.sleep(0.05)
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)

    def _write_fixed(self, response: Response) -> None:
        """A Content-Length body (half of it when the response is to be dropped)."""
        payload = response.padding + response.body
        if response.gzip:
            payload = gzip.compress(payload, mtime=0)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload if response.ending == "done" else payload[: len(payload) // 2])

    def _write_stream(self, response: Response, pieces: Iterable[bytes]) -> None:
        """Chunked transfer encoding, one HTTP chunk per piece, flushed as it goes."""
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        packer = zlib.compressobj(6, zlib.DEFLATED, 31) if response.gzip else None
        for piece in pieces:
            if packer is not None:
                piece = packer.compress(piece) + packer.flush(zlib.Z_SYNC_FLUSH)
            self._chunk(piece)
        if response.ending == "done":
            if packer is not None:
                self._chunk(packer.flush())
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        """One HTTP/1.1 chunk (empty data would end the body, so it is skipped)."""
        if data:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()


# --------------------------------------------------------------------------- gateway


class ScriptedGateway:
    """The scripted OpenAI-compatible server: start/stop it or use it as a context manager.

    Why the caps: a test that forgets to stop it must not leave a server running, so it
    stops itself after `max_requests` requests, after `lifetime` seconds, or after
    `idle_timeout` seconds without requests (if set).
    """

    def __init__(
        self,
        *,
        flavour: str = "openai",
        host: str = LOOPBACK,
        max_requests: int = 10_000,
        lifetime: float = 300.0,
        idle_timeout: float | None = None,
        created: int = CREATED,
        models: Sequence[str] = DEFAULT_MODELS,
        api_key: str | None = None,
    ) -> None:
        if host != LOOPBACK:
            raise ValueError(f"ScriptedGateway binds to {LOOPBACK} only, not {host!r}")
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}; expected one of {FLAVOURS}")
        self.flavour = flavour
        self.host = host
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.idle_timeout = idle_timeout
        self.created = created
        self.models = tuple(models)
        self.api_key = api_key
        # Extra fields for a model's /models entry (a window, supported parameters, ...).
        self.model_details: dict[str, JSON] = {}
        self.requests: list[RecordedRequest] = []
        self.connections_opened = 0
        self.peak_open_connections = 0
        self.errors: list[str] = []
        self.stop_reason: str | None = None
        self._faults: deque[Fault] = deque()
        self._script: ScriptFn | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._open: set[socket.socket] = set()
        self._completions = 0
        self._served = 0
        self._active = 0
        self._started_at = 0.0
        self._last_activity = 0.0
        self._port = 0

    # -- lifecycle

    def start(self) -> ScriptedGateway:
        """Bind an ephemeral loopback port and serve from daemon threads."""
        if self._server is not None or self._stopped.is_set():
            raise RuntimeError("a ScriptedGateway can be started once")
        self._server = _Server(self)
        self._port = int(self._server.server_address[1])
        self._started_at = self._last_activity = time.monotonic()
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"scripted-gateway-{self._port}",
                daemon=True,
            ),
            threading.Thread(
                target=self._watch, name=f"scripted-watchdog-{self._port}", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, reason: str = "stopped") -> None:
        """Stop serving and close open connections; safe to call twice or from any thread."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            self.stop_reason = self.stop_reason or reason
            self._stopped.set()
            self._wake.set()
        server.shutdown()
        server.server_close()
        self._drop_connections()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def __enter__(self) -> ScriptedGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server still accepts requests."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The ephemeral port (0 before start)."""
        return self._port

    @property
    def url(self) -> str:
        """Root URL, without the /v1 prefix."""
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """What to give an OpenAI client as base_url."""
        return f"{self.url}/v1"

    # -- scripting

    def enqueue(self, *faults: Fault) -> None:
        """Queue faults; each following request consumes one, in order."""
        with self._lock:
            self._faults.extend(faults)

    @property
    def pending_faults(self) -> int:
        """Faults not consumed yet."""
        return len(self._faults)

    def script(self, fn: ScriptFn | None) -> ScriptFn | None:
        """Override chat answers with fn(request_json) -> (status, headers, body) or None.

        Returning None falls back to the normal answer; script(None) removes the override.
        Usable as a decorator.
        """
        self._script = fn
        return fn

    def clear(self) -> None:
        """Forget recorded requests, pending faults and the script override."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self._script = None

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request (IndexError when none)."""
        return self.requests[-1]

    # -- internals used by the handler

    def _connection_opened(self, conn: socket.socket) -> None:
        with self._lock:
            self.connections_opened += 1
            self._open.add(conn)
            self.peak_open_connections = max(self.peak_open_connections, len(self._open))

    def _connection_closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.discard(conn)

    def _record_error(self, text: str) -> None:
        """Keep unexpected handler tracebacks so tests can assert there were none."""
        with self._lock:
            self.errors.append(text)

    def _drop_connections(self) -> None:
        """Shut down kept-alive sockets so their handler threads return."""
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _watch(self) -> None:
        """Stop the server when a cap is reached (runs in its own daemon thread)."""
        while not self._stopped.is_set():
            self._wake.wait(0.1)
            self._wake.clear()
            reason = self._expired()
            if reason:
                self.stop(reason)
                return

    def _expired(self) -> str | None:
        """Which cap, if any, has been reached."""
        now = time.monotonic()
        if self._served >= self.max_requests and self._active == 0:
            return "request cap"
        if now - self._started_at > self.lifetime:
            return "lifetime"
        idle = self.idle_timeout
        if idle is not None and self._active == 0 and now - self._last_activity > idle:
            return "idle"
        return None

    def _handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Response:
        """Record the request and produce the response, never raising."""
        request = RecordedRequest(method, path, headers, raw, _parse(raw))
        with self._lock:
            over = self._served >= self.max_requests
            if not over:
                self._served += 1
                self.requests.append(request)
            self._active += 1
            self._last_activity = time.monotonic()
        try:
            if over:
                return json_response(
                    503, error_body(503, "scripted gateway request cap"), {"Connection": "close"}
                )
            return self._respond(request)
        except Exception:
            self._record_error(traceback.format_exc())
            return json_response(500, error_body(500, "scripted gateway crashed"))
        finally:
            with self._lock:
                self._active -= 1
                self._last_activity = time.monotonic()
            if self._served >= self.max_requests:
                self._wake.set()

    def _respond(self, request: RecordedRequest) -> Response:
        """Apply the next fault (if any) around the normal answer."""
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.kind in ("status", "not_json"):
            return fault_response(fault)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        response = self._answer(request)
        return apply_fault(response, fault) if fault is not None else response

    def _answer(self, request: RecordedRequest) -> Response:
        """Route a request to the models list or the chat completion."""
        if self.api_key is not None and request.headers.get("authorization") != (
            f"Bearer {self.api_key}"
        ):
            return json_response(401, error_body(401, "Incorrect API key provided."))
        route = request.path.split("?", 1)[0].rstrip("/")
        route = route[3:] if route.startswith("/v1/") else route
        if request.method == "GET" and route == "/models":
            return json_response(
                200, {"object": "list", "data": [self._model(m) for m in self.models]}
            )
        if request.method == "GET" and route.startswith("/models/"):
            name = route[len("/models/") :]
            if name in self.models:
                return json_response(200, self._model(name))
            return json_response(404, error_body(404, f"The model `{name}` does not exist"))
        if request.method == "POST" and route == "/chat/completions":
            return self._chat(request)
        return json_response(404, error_body(404, f"No route for {request.method} {route}"))

    def _model(self, name: str) -> JSON:
        """One /models entry."""
        owner = name.split("/", 1)[0] if "/" in name else "skillboss"
        entry = {"id": name, "object": "model", "created": self.created, "owned_by": owner}
        return {**entry, **self.model_details.get(name, {})}

    def _chat(self, request: RecordedRequest) -> Response:
        """Validate the body, honour a script override, then answer as the scripted model."""
        body = request.json if isinstance(request.json, dict) else None
        script = self._script
        if script is not None and (result := script(body or {})) is not None:
            return script_response(result)
        problem = _validate(request.json)
        if problem:
            return json_response(400, error_body(400, problem))
        assert body is not None
        flavour = request.headers.get(FLAVOUR_HEADER, self.flavour)
        if flavour not in FLAVOURS:
            return json_response(400, error_body(400, f"unknown flavour {flavour!r}"))
        with self._lock:
            self._completions += 1
            n = self._completions
        reply = decide(body, n)
        meta = Meta.for_body(body, n, flavour, self.created)
        extra = {"x-request-id": f"req_scripted_{n}"}
        if body.get("stream") is True:
            headers = {
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                **extra,
            }
            return Response(200, headers, events=stream_events(body, reply, meta))
        return json_response(200, completion_json(body, reply, meta), extra)


def _parse(raw: bytes) -> Any:
    """The request body as JSON, or None when it is empty or not JSON."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _validate(body: Any) -> str | None:
    """The 400 message a real server would give for a malformed request, if any."""
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    return None
