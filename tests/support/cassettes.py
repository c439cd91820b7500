"""vcrpy settings shared by the recorded suites and the examples: scrubbing and matching."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.support.embedder import DESCRIPTION as EMBEDDER_DESCRIPTION
from tests.support.wire import message_text

RECORD_MODE_ENV = "SKILLBOSS_RECORD"
PUBLIC_HOST = "api.skillboss.co"
LOCAL_HOSTS = ("127.0.0.1", "localhost")

# Headers that can carry a credential or identify an account: never written to a cassette.
SECRET_HEADERS = (
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
)
# Headers that vary per machine or run and carry nothing a replay needs.
_NOISE_HEADERS = ("host", "date", "user-agent")
# Patterns that look like a key; the cassette scan test fails on any match.
KEY_PATTERNS = (
    re.compile(r"Bearer\s+[A-Za-z0-9_\-\.]{8,}"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\bsb[-_](?:live|wholesale)[-_][A-Za-z0-9]{8,}", re.IGNORECASE),
)


def recording_mode() -> str:
    """`replay` (default), `local` (scripted server) or `live` (the real gateway)."""
    mode = os.environ.get(RECORD_MODE_ENV, "").strip().lower()
    return mode if mode in ("local", "live") else "replay"


def _drop_noise_headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value
        for name, value in headers.items()
        if name.lower() not in SECRET_HEADERS
        and name.lower() not in _NOISE_HEADERS
        and not name.lower().startswith("x-stainless")
    }


def _scrub_request(request: Any) -> Any:
    """Drop secrets and SDK noise. The host recorded is the one really answered (a local
    server keeps its address, without the port that changes every run): a reader of the
    cassette sees where its answers came from, and replay matches on the path only."""
    request.headers = _drop_noise_headers(dict(request.headers))
    parts = urlsplit(request.uri)
    if parts.hostname in LOCAL_HOSTS:
        request.uri = urlunsplit((parts.scheme, parts.hostname, parts.path, parts.query, ""))
    return request


def cassette_origin(cassette: dict[str, Any]) -> str:
    """Who answered the requests in a cassette, read from the hosts it recorded, and, when
    the stand-in answered embeddings requests, what made its vectors (not a model)."""
    uris = [urlsplit(i["request"]["uri"]) for i in cassette.get("interactions", [])]
    hosts = {uri.hostname for uri in uris}
    if hosts and hosts <= set(LOCAL_HOSTS):
        origin = (
            "the project's scripted stand-in for the gateway (a local test server), "
            "not the live gateway"
        )
        if any(uri.path.rstrip("/").endswith("/embeddings") for uri in uris):
            origin += f"; its embeddings are a {EMBEDDER_DESCRIPTION}"
        return origin
    if hosts == {PUBLIC_HOST}:
        return f"the live SkillBoss gateway ({PUBLIC_HOST})"
    return "hosts: " + ", ".join(sorted(str(host) for host in hosts))


ORIGIN_PREFIX = "# Recorded from "


class OriginYamlSerializer:
    """vcrpy's YAML, under a first line that says who answered (YAML ignores comments)."""

    @staticmethod
    def serialize(cassette: dict[str, Any]) -> str:
        from vcr.serializers import yamlserializer

        header = f"{ORIGIN_PREFIX}{cassette_origin(cassette)}.\n"
        return header + str(yamlserializer.serialize(cassette))

    @staticmethod
    def deserialize(text: str) -> Any:
        from vcr.serializers import yamlserializer

        return yamlserializer.deserialize(text)


def register_cassette_format(recorder: Any) -> None:
    """Matching on what was asked, and the origin header, on any vcr.VCR."""
    recorder.register_matcher("asked", asked_matcher)
    recorder.register_serializer("yaml", OriginYamlSerializer())


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = _drop_noise_headers(response.get("headers", {}))
    return response


# Request options that change what an answer looks like (its length, its parts, its usage
# chunk, whether it must call a tool): part of what a request asks.
ANSWER_SHAPING = (
    "stop",
    "n",
    "logprobs",
    "top_logprobs",
    "tool_choice",
    "parallel_tool_calls",
    "max_tokens",
    "max_completion_tokens",
    "reasoning_effort",
)


def _parts(content: Any) -> list[Any]:
    """Each content part's type, and a digest of what a non-text part carries."""
    if not isinstance(content, list):
        return []
    parts: list[Any] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        carried = {key: value for key, value in part.items() if key not in ("type", "text")}
        digest = hashlib.sha256(json.dumps(carried, sort_keys=True).encode()).hexdigest()[:12]
        parts.append(kind if kind == "text" else (kind, digest))
    return parts


def _calls(message: dict[str, Any]) -> list[Any]:
    """An assistant turn's tool calls: names and arguments (as JSON values), not their ids."""
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        try:
            arguments = json.loads(function.get("arguments") or "null")
        except ValueError:
            arguments = function.get("arguments")
        calls.append((function.get("name"), arguments))
    return calls


def _tool(tool: Any) -> Any:
    """A tool's name and the names of its parameters (not their prose)."""
    function = tool.get("function", {}) if isinstance(tool, dict) else {}
    parameters = function.get("parameters") or {}
    names = sorted(parameters.get("properties") or {}) if isinstance(parameters, dict) else []
    return (function.get("name"), names)


def _asked_embeddings(body: dict[str, Any]) -> dict[str, Any]:
    """What an embeddings request asks: the model, the texts in order, exactly (a vector is a
    function of its exact text; one string is a list of one), the dimensions, and how the
    vectors travel (absent is "float", the API's default): a base64 answer replayed to a float
    request would decode as garbage. Left out: `user`, key order and spacing."""
    texts = body.get("input")
    return {
        "model": body.get("model"),
        "input": [texts] if isinstance(texts, str) else texts,
        "dimensions": body.get("dimensions"),
        "encoding_format": body.get("encoding_format") or "float",
    }


def asked(request: Any) -> Any:
    """What a request asks, which is what replay matches on: the model; streaming and its
    usage chunk; each message's role, name, text, media parts and tool calls; the tools and
    their parameters; the answer format; the options that shape an answer (ANSWER_SHAPING).
    Left out, so the adapters may change them without a re-record: ids (tool-call ids are
    random in some suites), descriptions and schema details, key order and whitespace.
    An embeddings body (`input`, no `messages`) asks what `_asked_embeddings` says."""
    raw = request.body
    if raw is None or raw == b"":
        return None
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if not isinstance(body, dict):
        return body
    if "input" in body and "messages" not in body:
        return _asked_embeddings(body)
    messages = body.get("messages")
    messages = messages if isinstance(messages, list) else []
    tools = body.get("tools")
    tools = tools if isinstance(tools, list) else []
    answer_format = body.get("response_format")
    answer_format = answer_format if isinstance(answer_format, dict) else {}
    stream_options = body.get("stream_options")
    stream_options = stream_options if isinstance(stream_options, dict) else {}
    return {
        "model": body.get("model"),
        "stream": body.get("stream") is True,
        "usage_chunk": stream_options.get("include_usage") is True,
        "messages": [
            (
                m.get("role"),
                m.get("name"),
                " ".join(message_text(m.get("content")).split()),
                _parts(m.get("content")),
                _calls(m),
            )
            for m in messages
            if isinstance(m, dict)
        ],
        "tools": sorted((_tool(tool) for tool in tools), key=repr),
        "format": (answer_format.get("type"), answer_format.get("json_schema", {}).get("name")),
        "options": {key: body[key] for key in ANSWER_SHAPING if key in body},
    }


def asked_matcher(recorded: Any, live: Any) -> None:
    """vcrpy matcher: the two requests ask the same thing (see `asked`)."""
    assert asked(recorded) == asked(live), "the requests ask different things"


def vcr_settings() -> dict[str, Any]:
    """Keyword arguments for vcr.VCR / pytest-recording's vcr_config."""
    return {
        "filter_headers": list(SECRET_HEADERS),
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "match_on": ["method", "path", "asked"],
        "allow_playback_repeats": True,
        "decode_compressed_response": True,
        "record_mode": record_mode(),
    }


def record_mode() -> str:
    """vcrpy's mode: replay only, or delete and re-record the cassette ("rewrite")."""
    return "none" if recording_mode() == "replay" else "rewrite"


def use_cassette(path: str) -> Any:
    """The suites' cassette settings for code outside pytest (the examples).

    `allow_playback_repeats` belongs to use_cassette, not to vcr.VCR; a re-record starts
    from an empty file ("rewrite" is pytest-recording's word for that).
    """
    import vcr

    settings = vcr_settings()
    repeats = settings.pop("allow_playback_repeats")
    if settings["record_mode"] == "rewrite":
        settings["record_mode"] = "all"
        Path(path).unlink(missing_ok=True)
    recorder = vcr.VCR(**settings)
    register_cassette_format(recorder)
    return recorder.use_cassette(path, allow_playback_repeats=repeats)
