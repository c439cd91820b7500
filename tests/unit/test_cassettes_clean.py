"""Every committed cassette is free of credentials and key-shaped strings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.cassettes import KEY_PATTERNS, SECRET_HEADERS

CASSETTES = sorted((Path(__file__).resolve().parents[2] / "cassettes").rglob("*.yaml"))


def test_there_are_cassettes_to_scan() -> None:
    assert CASSETTES, "no cassettes found: the replay suites would test nothing"


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cassette_holds_no_key(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for pattern in KEY_PATTERNS:
        assert not pattern.search(text), f"{path} contains something key-shaped: {pattern.pattern}"
    data = yaml.safe_load(text) or {}
    for interaction in data.get("interactions", []):
        for side in ("request", "response"):
            names = {name.lower() for name in interaction[side].get("headers", {})}
            assert not names & set(SECRET_HEADERS), (
                f"{path}: {side} keeps {names & set(SECRET_HEADERS)}"
            )


def test_scanner_catches_a_planted_key() -> None:
    planted = "Authorization: Bearer sk-abcdefghijklmnopqrstuvwx"
    assert any(pattern.search(planted) for pattern in KEY_PATTERNS)
