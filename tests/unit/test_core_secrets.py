"""Which names look like secrets, how a key must look, and how echoed keys are redacted."""

from __future__ import annotations

import pytest

from skillboss_core.security.keys import (
    MASK,
    key_problem,
    looks_secret,
    looks_secret_header,
    masked_headers,
    public_headers,
)
from skillboss_core.security.redact import REDACTED, redact

KEY = "sk-unit-secret-0123456789abcdef"


@pytest.mark.parametrize(
    "name",
    ["key", "api_key", "openai_api_key", "apikey", "API_KEY", "client_secret", "password"],
)
def test_secret_like_parameter_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["prompt_cache_key", "max_tokens", "model", "seed"])
def test_request_parameters_are_not_secret_like(name: str) -> None:
    assert not looks_secret(name)


@pytest.mark.parametrize(
    "name",
    ["Authorization", "Proxy-Authorization", "X-Api-Key", "api-key", "X-Auth-Token", "Cookie"],
)
def test_secret_like_header_names(name: str) -> None:
    assert looks_secret_header(name)


@pytest.mark.parametrize("name", ["X-Trace", "User-Agent", "Accept", "X-Request-Id"])
def test_plain_header_names(name: str) -> None:
    assert not looks_secret_header(name)


def test_headers_are_masked_for_show_and_dropped_for_dumps() -> None:
    headers = {"X-Api-Key": KEY, "X-Trace": "t"}
    assert masked_headers(headers) == {"X-Api-Key": MASK, "X-Trace": "t"}
    assert public_headers(headers) == {"X-Trace": "t"}
    assert public_headers({"Authorization": KEY}) is None
    assert masked_headers(None) is None and public_headers(None) is None


@pytest.mark.parametrize("key", [KEY, "", "sk-x"])
def test_well_formed_keys(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (f"{KEY}\n", "trailing newline"),
        (f"{KEY}\r\n", "trailing newline"),
        (f"\t{KEY}", "whitespace"),
        (f"{KEY[:5]}\n{KEY[5:]}", "inside"),
        (f"{KEY[:5]}\u00e9{KEY[5:]}", "inside"),
    ],
)
def test_malformed_keys_are_described_without_the_key(key: str, words: str) -> None:
    problem = key_problem(key)
    assert problem is not None and words in problem and KEY[5:] not in problem


def test_redact_walks_text_and_bodies() -> None:
    body = {"error": {"message": f"bad key {KEY}", "seen": ["Bearer other-token.123", 3]}}
    cleaned = redact(body, [KEY])
    assert cleaned == {
        "error": {"message": f"bad key {REDACTED}", "seen": [f"Bearer {REDACTED}", 3]}
    }
    assert redact(f"Authorization: bearer {KEY}", []) == f"Authorization: bearer {REDACTED}"


def test_short_values_are_not_redacted_everywhere() -> None:
    assert redact("the model answered", ["the"]) == "the model answered"
