"""Fixtures for the framework integration tests: scripted loopback gateways, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.node_parser import SentenceSplitter

from llama_index_skillboss import SkillBoss
from tests.integration.llamaindex_corpus import DOCUMENTS, MODEL
from tests.support.scripted_gateway import ScriptedGateway


@pytest.fixture
def gateway_server() -> Iterator[ScriptedGateway]:
    """The gateway every test scripts explicitly (no reliance on its built-in replies)."""
    with ScriptedGateway(lifetime=60.0) as server:
        yield server


@pytest.fixture
def other_server() -> Iterator[ScriptedGateway]:
    """A second gateway, to prove where a copied or reconfigured model sends its requests."""
    with ScriptedGateway(lifetime=60.0) as server:
        yield server


@pytest.fixture
def settings_llm(gateway_server: ScriptedGateway, restore_settings: None) -> Iterator[SkillBoss]:
    """SkillBoss as LlamaIndex's Settings.llm (the one line a user changes), pointed at this
    test's gateway; restore_settings puts the old one back."""
    Settings.llm = SkillBoss(
        model=MODEL, api_key="sk-test", api_base=gateway_server.base_url, max_retries=0
    )
    assert isinstance(Settings.llm, SkillBoss)
    yield Settings.llm


@pytest.fixture
def corpus_index(settings_llm: SkillBoss) -> VectorStoreIndex:
    """An index over DOCUMENTS (tests/integration/llamaindex_corpus.py) answering with
    settings_llm. Fixed node ids make MockEmbedding's ties, and so every prompt, the same
    each run."""
    splitter = SentenceSplitter(id_func=lambda i, doc: f"{doc.doc_id}-{i}")
    return VectorStoreIndex.from_documents(
        DOCUMENTS, embed_model=MockEmbedding(embed_dim=8), transformations=[splitter]
    )
