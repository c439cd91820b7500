"""langchain-tests' standard unit suite for ChatSkillBoss (no HTTP)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_skillboss import ChatSkillBoss
from tests.support.langchain_capabilities import SkillBossCapabilities

ENV_KEY = "test-key-from-env"
ENV_BASE_URL = "https://gateway.example.test/v1"
# The module, not the `load` function that langchain_core.load re-exports under that name.
load_module = importlib.import_module("langchain_core.load.load")
CLASS_PATH = ("langchain_skillboss", "chat_models", "ChatSkillBoss")


@pytest.fixture(autouse=True)
def _trusted_like_a_partner(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """test_serdes loads with allowed_objects="all", which admits only the classes listed in
    langchain-core's own registry. The package does not write itself into that security
    allowlist; this test lists it for its duration, as a registered partner would be.
    (Users load with allowed_objects=[ChatSkillBoss]; test_langchain_chat_model covers it.)
    """
    monkeypatch.setitem(load_module.ALL_SERIALIZABLE_MAPPINGS, CLASS_PATH, CLASS_PATH)
    monkeypatch.setattr(load_module, "_default_class_paths_cache", {})
    yield


class TestChatSkillBossUnit(SkillBossCapabilities, ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatSkillBoss]:
        return ChatSkillBoss

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # base_url is pinned so the serialization snapshot does not depend on the
        # environment (record mode points SKILLBOSS_BASE_URL at a local server).
        return {"model": "openai/gpt-5.4-mini", "base_url": "https://api.skillboss.co/v1"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"SKILLBOSS_WHOLESALE_KEY": ENV_KEY, "SKILLBOSS_BASE_URL": ENV_BASE_URL},
            {"model": "openai/gpt-5.4-mini"},
            {"api_key": ENV_KEY, "base_url": ENV_BASE_URL},
        )
