"""Retrieval-augmented generation on SkillBoss, over real HTTP: what the retriever found
reaches the prompt, and comes back as the response's sources.

A VectorStoreIndex over a few documents (MockEmbedding: no embedding service), queried
through LlamaIndex's own query engine with no SkillBoss-specific code. How each engine mode
calls the model (response modes, streaming, async, chat engines and their memory) is in
test_llamaindex_query_engines.py and test_llamaindex_chat_engines.py.
"""

from __future__ import annotations

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.response.schema import Response, StreamingResponse
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.node_parser import SentenceSplitter

from llama_index_skillboss import SkillBoss
from tests.support.scripted_gateway import ScriptedGateway

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
QUESTION = "What does a 402 answer mean?"
# The scripted model's answer.
ANSWER = "The wholesale balance is too low; top up on the dashboard."


def index() -> VectorStoreIndex:
    """MockEmbedding scores every node the same; fixed node ids make the ties (and so the
    prompt) the same on every run."""
    splitter = SentenceSplitter(id_func=lambda i, doc: f"{doc.doc_id}-{i}")
    return VectorStoreIndex.from_documents(
        DOCUMENTS, embed_model=MockEmbedding(embed_dim=8), transformations=[splitter]
    )


def llm(server: ScriptedGateway) -> SkillBoss:
    return SkillBoss(
        model="openai/gpt-5.4-mini", api_key="sk-test", api_base=server.base_url, max_retries=0
    )


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
def test_retrieved_nodes_reach_the_prompt_and_come_back_as_sources(
    gateway_server: ScriptedGateway, streaming: bool
) -> None:
    gateway_server.queue(ANSWER)
    engine = index().as_query_engine(
        llm=llm(gateway_server), similarity_top_k=2, streaming=streaming
    )
    response = engine.query(QUESTION)
    if streaming:
        assert isinstance(response, StreamingResponse)
        assert "".join(response.response_gen) == ANSWER
    else:
        assert isinstance(response, Response) and response.response == ANSWER
    [request] = gateway_server.requests
    sent = "\n".join(str(m.get("content")) for m in request.messages)
    assert QUESTION in sent
    assert len(response.source_nodes) == 2
    for node in response.source_nodes:
        assert node.node.get_content() in sent
    # similarity_top_k=2: the third document was not sent.
    assert sum(document.text in sent for document in DOCUMENTS) == 2
