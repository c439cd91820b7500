"""Retrieval-augmented generation on SkillBoss, replayed from cassettes.

A VectorStoreIndex over a few documents (MockEmbedding: no embedding service), queried
through LlamaIndex's own query and chat engines with no SkillBoss-specific code; what the
retriever found must be in what was sent to the gateway.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.response.schema import Response, StreamingResponse
from llama_index.core.chat_engine.types import ChatMode
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.node_parser import SentenceSplitter

from llama_index_skillboss import SkillBoss

pytestmark = pytest.mark.vcr

DOCUMENTS = [
    Document(
        id_="billing",
        text="SkillBoss bills wholesale usage per million tokens at a contract discount.",
    ),
    Document(
        id_="keys",
        text="Wholesale keys start with the sb prefix and are read from SKILLBOSS_WHOLESALE_KEY.",
    ),
    Document(
        id_="errors",
        text="A 402 answer means the wholesale balance is too low; top up on the dashboard.",
    ),
]


def index() -> VectorStoreIndex:
    """MockEmbedding scores every node the same; fixed node ids make the ties (and so the
    prompt, which the cassette matches on) the same on every run."""
    splitter = SentenceSplitter(id_func=lambda i, doc: f"{doc.doc_id}-{i}")
    return VectorStoreIndex.from_documents(
        DOCUMENTS, embed_model=MockEmbedding(embed_dim=8), transformations=[splitter]
    )


def llm() -> SkillBoss:
    return SkillBoss(model="openai/gpt-5.4-mini", max_retries=0)


def sent_text(vcr: Any) -> str:
    return "\n".join(m["content"] for r in vcr.requests for m in json.loads(r.body)["messages"])


def test_query_engine(vcr: Any) -> None:
    response = (
        index().as_query_engine(llm=llm(), similarity_top_k=2).query("What does a 402 answer mean?")
    )
    assert isinstance(response, Response)
    assert isinstance(response.response, str) and response.response
    assert len(response.source_nodes) == 2
    text = sent_text(vcr)
    assert "What does a 402 answer mean?" in text
    for node in response.source_nodes:
        assert node.node.get_content() in text


def test_streaming_query_engine(vcr: Any) -> None:
    engine = index().as_query_engine(llm=llm(), similarity_top_k=2, streaming=True)
    response = engine.query("How is usage billed?")
    assert isinstance(response, StreamingResponse)
    tokens = list(response.response_gen)
    assert len(tokens) > 1 and "".join(tokens).strip()
    [body] = [json.loads(r.body) for r in vcr.requests]
    assert body["stream"] is True
    for node in response.source_nodes:
        assert node.node.get_content() in sent_text(vcr)


def test_context_chat_engine_streams(vcr: Any) -> None:
    engine = index().as_chat_engine(chat_mode=ChatMode.CONTEXT, llm=llm(), similarity_top_k=1)
    streamed = engine.stream_chat("Where is the key read from?")
    answer = "".join(streamed.response_gen)
    assert answer.strip()
    assert streamed.source_nodes and streamed.source_nodes[0].node.get_content() in sent_text(vcr)
    follow_up = engine.chat("And what if the balance is too low?")
    assert follow_up.response
    # The second request carries the first turn (the engine's memory), unchanged.
    second = json.loads(vcr.requests[-1].body)["messages"]
    assert any(m["role"] == "assistant" and m["content"] == answer.strip() for m in second)
