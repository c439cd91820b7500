"""Retrieval-augmented generation on SkillBoss, over real HTTP.

A VectorStoreIndex over a few documents (MockEmbedding: no embedding service), queried
through LlamaIndex's own query and chat engines with no SkillBoss-specific code; what the
retriever found must be in what was sent to the scripted gateway, and the scripted answer
must come back as the engine's response.
"""

from __future__ import annotations

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.response.schema import Response, StreamingResponse
from llama_index.core.chat_engine.types import ChatMode
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


def sent_text(server: ScriptedGateway) -> str:
    return "\n".join(str(m.get("content")) for r in server.requests for m in r.messages)


def test_query_engine(gateway_server: ScriptedGateway) -> None:
    answer = "The wholesale balance is too low; top up on the dashboard."
    gateway_server.queue(answer)
    engine = index().as_query_engine(llm=llm(gateway_server), similarity_top_k=2)
    response = engine.query("What does a 402 answer mean?")
    assert isinstance(response, Response) and response.response == answer
    assert len(response.source_nodes) == 2
    assert len(gateway_server.requests) == 1
    text = sent_text(gateway_server)
    assert "What does a 402 answer mean?" in text
    for node in response.source_nodes:
        assert node.node.get_content() in text
    # similarity_top_k=2: the third document was not sent.
    assert sum(document.text in text for document in DOCUMENTS) == 2


def test_streaming_query_engine(gateway_server: ScriptedGateway) -> None:
    answer = "Usage is billed per million tokens at a contract discount."
    gateway_server.queue(answer)
    engine = index().as_query_engine(llm=llm(gateway_server), similarity_top_k=2, streaming=True)
    response = engine.query("How is usage billed?")
    assert isinstance(response, StreamingResponse)
    tokens = list(response.response_gen)
    assert len(tokens) > 1 and "".join(tokens) == answer
    [request] = gateway_server.requests
    assert request.json["stream"] is True
    assert len(response.source_nodes) == 2
    for node in response.source_nodes:
        assert node.node.get_content() in sent_text(gateway_server)


def test_context_chat_engine_streams(gateway_server: ScriptedGateway) -> None:
    first_answer = "From SKILLBOSS_WHOLESALE_KEY."
    gateway_server.queue(first_answer, "Top up on the dashboard.")
    engine = index().as_chat_engine(
        chat_mode=ChatMode.CONTEXT, llm=llm(gateway_server), similarity_top_k=1
    )
    streamed = engine.stream_chat("Where is the key read from?")
    assert "".join(streamed.response_gen) == first_answer
    [source] = streamed.source_nodes
    assert source.node.get_content() in sent_text(gateway_server)
    follow_up = engine.chat("And what if the balance is too low?")
    assert follow_up.response == "Top up on the dashboard."
    # The second request carries the first turn (the engine's memory), unchanged.
    second = gateway_server.requests[-1].messages
    assert {"role": "assistant", "content": first_answer} in second
    assert {"role": "user", "content": "Where is the key read from?"} in second
