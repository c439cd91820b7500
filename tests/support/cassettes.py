"""vcrpy settings shared by every suite and by the examples: scrubbing and JSON matching."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
    """Who answered the requests in a cassette, read from the hosts it recorded."""
    hosts = {urlsplit(i["request"]["uri"]).hostname for i in cassette.get("interactions", [])}
    if hosts and hosts <= set(LOCAL_HOSTS):
        return (
            "the project's scripted stand-in for the gateway (a local test server), "
            "not the live gateway"
        )
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
    """JSON body matching and the origin header, on any vcr.VCR."""
    recorder.register_matcher("json_body", json_body_matcher)
    recorder.register_serializer("yaml", OriginYamlSerializer())


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = _drop_noise_headers(response.get("headers", {}))
    return response


def _prose_normalised(value: Any) -> Any:
    """Tool and schema descriptions with their whitespace collapsed: they come from
    docstrings, whose indentation differs between Python versions (3.13 changed how
    docstrings are stored, and LangChain's tool descriptions show it)."""
    if isinstance(value, dict):
        return {
            key: " ".join(item.split())
            if key == "description" and isinstance(item, str)
            else _prose_normalised(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_prose_normalised(item) for item in value]
    return value


def json_body_matcher(recorded: Any, live: Any) -> None:
    """Match request bodies as JSON (key order, spacing and description whitespace do not
    matter)."""

    def load(request: Any) -> Any:
        body = request.body
        if body is None or body == b"":
            return None
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        try:
            return _prose_normalised(json.loads(body))
        except ValueError:
            return body

    assert load(recorded) == load(live), "request bodies differ"


def vcr_settings() -> dict[str, Any]:
    """Keyword arguments for vcr.VCR / pytest-recording's vcr_config."""
    return {
        "filter_headers": list(SECRET_HEADERS),
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "match_on": ["method", "path", "json_body"],
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
