"""`Settings.llm = SkillBoss(...)` under LlamaIndex's own query engines, over real HTTP.

What an OpenAI(Like) user swaps SkillBoss into: response synthesizers (refine, compact,
tree_summarize; plain, streaming and async), refine's structured answer filtering, an
output class and CitationQueryEngine. No SkillBoss-specific code runs here besides the one
Settings line; the asserts check what reached the scripted gateway (the retrieved text,
how many calls) and that the scripted answer comes back as the engine's response.
"""

from __future__ import annotations

import json

import pytest
from llama_index.core import VectorStoreIndex
from llama_index.core.base.response.schema import (
    AsyncStreamingResponse,
    PydanticResponse,
    Response,
    StreamingResponse,
)
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.response_synthesizers import ResponseMode, get_response_synthesizer
from pydantic import BaseModel

from tests.integration.llamaindex_corpus import DOCUMENTS
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

QUESTION = "How does billing work?"
# The scripted model's answer to every synthesizer call.
BILLING = "Usage is billed per million tokens."


def sent_text(server: ScriptedGateway) -> str:
    return "\n".join(str(m.get("content")) for r in server.requests for m in r.messages)


def assert_all_documents_sent(server: ScriptedGateway) -> None:
    for document in DOCUMENTS:
        assert document.text in sent_text(server)


# -- response synthesizers --------------------------------------------------------------------

# One LLM call per retrieved node for refine; everything packed into one for the others.
CALLS = {"refine": 3, "compact": 1, "tree_summarize": 1}


def assert_refined(server: ScriptedGateway, mode: str) -> None:
    """Refine hands each call's answer to the next call, to refine with the next node."""
    if mode == "refine":
        for request in server.requests[1:]:
            assert BILLING in json.dumps(request.messages)


@pytest.mark.parametrize("mode", list(CALLS))
def test_query_engine_response_modes(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex, mode: str
) -> None:
    gateway_server.queue(*[BILLING] * CALLS[mode])
    response = corpus_index.as_query_engine(response_mode=mode, similarity_top_k=3).query(QUESTION)
    assert isinstance(response, Response) and response.response == BILLING
    assert len(gateway_server.requests) == CALLS[mode]
    assert all("stream" not in r.json for r in gateway_server.requests)
    assert_all_documents_sent(gateway_server)
    assert_refined(gateway_server, mode)


@pytest.mark.parametrize("mode", list(CALLS))
def test_streaming_query_engine_response_modes(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex, mode: str
) -> None:
    gateway_server.queue(*[BILLING] * CALLS[mode])
    engine = corpus_index.as_query_engine(response_mode=mode, similarity_top_k=3, streaming=True)
    response = engine.query(QUESTION)
    assert isinstance(response, StreamingResponse)
    tokens = list(response.response_gen)
    assert len(tokens) > 1 and "".join(tokens) == BILLING
    assert len(gateway_server.requests) == CALLS[mode]
    assert gateway_server.requests[-1].json["stream"] is True
    assert_all_documents_sent(gateway_server)
    assert_refined(gateway_server, mode)


@pytest.mark.parametrize("mode", list(CALLS))
async def test_async_query_engine_response_modes(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex, mode: str
) -> None:
    gateway_server.queue(*[BILLING] * CALLS[mode])
    engine = corpus_index.as_query_engine(response_mode=mode, similarity_top_k=3)
    response = await engine.aquery(QUESTION)
    assert isinstance(response, Response) and response.response == BILLING
    assert len(gateway_server.requests) == CALLS[mode]
    assert_all_documents_sent(gateway_server)
    assert_refined(gateway_server, mode)


async def test_async_streaming_query_engine(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex
) -> None:
    gateway_server.queue(BILLING)
    engine = corpus_index.as_query_engine(similarity_top_k=3, streaming=True)
    response = await engine.aquery(QUESTION)
    assert isinstance(response, AsyncStreamingResponse)
    tokens = [token async for token in response.async_response_gen()]
    assert len(tokens) > 1 and "".join(tokens) == BILLING
    [request] = gateway_server.requests
    assert request.json["stream"] is True


def test_refine_with_structured_answer_filtering(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex
) -> None:
    """Refine's filtering runs a function-calling program: one forced tool, one call each."""
    refined = {"answer": BILLING, "query_satisfied": True}
    gateway_server.queue(
        Reply(tool_calls=[ToolCall("StructuredRefineResponse", refined)]),
        Reply(tool_calls=[ToolCall("StructuredRefineResponse", refined)]),
    )
    synthesizer = get_response_synthesizer(
        response_mode=ResponseMode.REFINE, structured_answer_filtering=True
    )
    engine = corpus_index.as_query_engine(response_synthesizer=synthesizer, similarity_top_k=2)
    response = engine.query(QUESTION)
    assert isinstance(response, Response) and response.response == BILLING
    assert len(gateway_server.requests) == 2
    for request in gateway_server.requests:
        body = request.json
        assert [t["function"]["name"] for t in body["tools"]] == ["StructuredRefineResponse"]
        assert body["tool_choice"] == "required" and body["parallel_tool_calls"] is False


class Answer(BaseModel):
    """An answer and how sure the model is."""

    answer: str
    confident: bool


def test_tree_summarize_with_an_output_class(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex
) -> None:
    gateway_server.queue(json.dumps({"answer": BILLING, "confident": True}))
    engine = corpus_index.as_query_engine(
        response_mode="tree_summarize", output_cls=Answer, similarity_top_k=3
    )
    response = engine.query(QUESTION)
    assert isinstance(response, PydanticResponse)
    assert response.response == Answer(answer=BILLING, confident=True)
    [request] = gateway_server.requests
    assert request.json["response_format"]["json_schema"]["name"] == "Answer"
    assert_all_documents_sent(gateway_server)


def test_citation_query_engine(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex
) -> None:
    cited = "The key is read from SKILLBOSS_WHOLESALE_KEY [1]."
    gateway_server.queue(cited)
    engine = CitationQueryEngine.from_args(corpus_index, similarity_top_k=2)
    response = engine.query("Where is the key read from?")
    assert isinstance(response, Response) and response.response == cited
    assert len(response.source_nodes) == 2
    assert len(gateway_server.requests) == 1
    text = sent_text(gateway_server)
    assert "Source 1:" in text and "Source 2:" in text
    for node in response.source_nodes:
        assert node.node.get_content() in text
