"""A cassette's first line says who answered it, and, when the stand-in made its embedding
vectors, what made them: a hashed bag of words, not a model (tests/support/embedder.py)."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support.cassettes import ORIGIN_PREFIX, OriginYamlSerializer
from tests.support.embedder import DESCRIPTION


def cassette(*uris: str) -> dict[str, Any]:
    interactions = [
        {
            "request": {"method": "POST", "uri": uri, "body": "{}", "headers": {}},
            "response": {"status": {"code": 200, "message": "OK"}, "body": {"string": "{}"}},
        }
        for uri in uris
    ]
    return {"interactions": interactions, "version": 1}


def first_line(data: dict[str, Any]) -> str:
    return OriginYamlSerializer.serialize(data).split("\n", 1)[0]


def test_the_stand_ins_embeddings_say_what_made_the_vectors() -> None:
    line = first_line(
        cassette("http://127.0.0.1/v1/embeddings", "http://127.0.0.1/v1/chat/completions")
    )
    assert line.startswith(ORIGIN_PREFIX + "the project's scripted stand-in")
    assert "not the live gateway" in line
    assert line.endswith(f"; its embeddings are a {DESCRIPTION}.")
    assert "hashed bag of words" in line and "tests/support/embedder.py" in line


def test_a_stand_in_cassette_without_embeddings_says_nothing_of_vectors() -> None:
    line = first_line(cassette("http://127.0.0.1/v1/chat/completions"))
    assert "scripted stand-in" in line and "embeddings" not in line


def test_live_embeddings_are_the_gateways_own() -> None:
    line = first_line(cassette("https://api.skillboss.co/v1/embeddings"))
    assert line == f"{ORIGIN_PREFIX}the live SkillBoss gateway (api.skillboss.co)."


def test_the_first_line_is_a_comment_yaml_ignores() -> None:
    text = OriginYamlSerializer.serialize(cassette("http://127.0.0.1/v1/embeddings"))
    assert text.startswith("# ") and "\n" not in first_line(cassette("http://127.0.0.1/v1/x"))
    assert len(OriginYamlSerializer.deserialize(text)["interactions"]) == 1
    assert yaml.safe_load(text)["interactions"][0]["request"]["uri"].endswith("/embeddings")
