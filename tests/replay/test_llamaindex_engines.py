"""`Settings.llm = SkillBoss(...)` under LlamaIndex's own engines, replayed from cassettes.

What an OpenAI(Like) user swaps SkillBoss into: response synthesizers (refine, compact,
tree_summarize; plain, streaming and async), CitationQueryEngine, every chat engine, the
LLM's prompt-template calls (predict / apredict / stream / astream) and apredict_and_call.
No SkillBoss-specific code runs here besides the one Settings line; the asserts check what
reached the gateway (the retrieved text, the chat memory) and the shape of the answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.base.response.schema import (
    AsyncStreamingResponse,
    PydanticResponse,
    Response,
    StreamingResponse,
)
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.chat_engine.types import ChatMode
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.prompts import PromptTemplate
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.response_synthesizers import ResponseMode, get_response_synthesizer
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_skillboss import SkillBoss

pytestmark = pytest.mark.vcr

MODEL = "openai/gpt-5.4-mini"
DOCUMENTS = [
    Document(id_="billing", text="SkillBoss bills wholesale usage per million tokens."),
    Document(id_="keys", text="Wholesale keys are read from SKILLBOSS_WHOLESALE_KEY."),
    Document(id_="errors", text="A 402 answer means the balance is too low; top up."),
]


@pytest.fixture
def llm() -> Iterator[SkillBoss]:
    """The one line a user changes; restored afterwards so other tests see no change."""
    saved = Settings._llm
    Settings.llm = SkillBoss(model=MODEL, max_retries=0)
    try:
        assert isinstance(Settings.llm, SkillBoss)
        yield Settings.llm
    finally:
        Settings._llm = saved


@pytest.fixture
def index(llm: SkillBoss) -> VectorStoreIndex:
    """Fixed node ids make MockEmbedding's ties, and so every prompt, the same each run."""
    splitter = SentenceSplitter(id_func=lambda i, doc: f"{doc.doc_id}-{i}")
    return VectorStoreIndex.from_documents(
        DOCUMENTS, embed_model=MockEmbedding(embed_dim=8), transformations=[splitter]
    )


def bodies(vcr: Any) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in vcr.requests]


def sent_text(vcr: Any) -> str:
    return "\n".join(str(m.get("content")) for body in bodies(vcr) for m in body["messages"])


def assert_all_documents_sent(vcr: Any) -> None:
    for document in DOCUMENTS:
        assert document.text in sent_text(vcr)


# -- response synthesizers --------------------------------------------------------------------

# One LLM call per retrieved node for refine; everything packed into one for the others.
CALLS = {"refine": 3, "compact": 1, "tree_summarize": 1}


@pytest.mark.parametrize("mode", list(CALLS))
def test_query_engine_response_modes(vcr: Any, index: VectorStoreIndex, mode: str) -> None:
    response = index.as_query_engine(response_mode=mode, similarity_top_k=3).query(
        "How does billing work?"
    )
    assert isinstance(response, Response) and response.response
    assert len(vcr.requests) == CALLS[mode]
    assert all("stream" not in body for body in bodies(vcr))
    assert_all_documents_sent(vcr)


@pytest.mark.parametrize("mode", list(CALLS))
def test_streaming_query_engine_response_modes(
    vcr: Any, index: VectorStoreIndex, mode: str
) -> None:
    engine = index.as_query_engine(response_mode=mode, similarity_top_k=3, streaming=True)
    response = engine.query("How does billing work?")
    assert isinstance(response, StreamingResponse)
    tokens = list(response.response_gen)
    assert len(tokens) > 1 and "".join(tokens).strip()
    assert len(vcr.requests) == CALLS[mode]
    assert bodies(vcr)[-1]["stream"] is True
    assert_all_documents_sent(vcr)


@pytest.mark.parametrize("mode", list(CALLS))
async def test_async_query_engine_response_modes(
    vcr: Any, index: VectorStoreIndex, mode: str
) -> None:
    response = await index.as_query_engine(response_mode=mode, similarity_top_k=3).aquery(
        "How does billing work?"
    )
    assert isinstance(response, Response) and response.response
    assert len(vcr.requests) == CALLS[mode]
    assert_all_documents_sent(vcr)


async def test_async_streaming_query_engine(vcr: Any, index: VectorStoreIndex) -> None:
    engine = index.as_query_engine(similarity_top_k=3, streaming=True)
    response = await engine.aquery("How does billing work?")
    assert isinstance(response, AsyncStreamingResponse)
    tokens = [token async for token in response.async_response_gen()]
    assert len(tokens) > 1 and "".join(tokens).strip()
    assert bodies(vcr)[-1]["stream"] is True


def test_refine_with_structured_answer_filtering(vcr: Any, index: VectorStoreIndex) -> None:
    """Refine's filtering runs a function-calling program: one forced tool, one call."""
    synthesizer = get_response_synthesizer(
        response_mode=ResponseMode.REFINE, structured_answer_filtering=True
    )
    engine = index.as_query_engine(response_synthesizer=synthesizer, similarity_top_k=2)
    response = engine.query("How does billing work?")
    assert isinstance(response, Response) and response.response
    assert len(vcr.requests) == 2
    for body in bodies(vcr):
        assert [t["function"]["name"] for t in body["tools"]] == ["StructuredRefineResponse"]
        assert body["tool_choice"] == "required" and body["parallel_tool_calls"] is False


class Answer(BaseModel):
    """An answer and how sure the model is."""

    answer: str
    confident: bool


def test_tree_summarize_with_an_output_class(vcr: Any, index: VectorStoreIndex) -> None:
    engine = index.as_query_engine(
        response_mode="tree_summarize", output_cls=Answer, similarity_top_k=3
    )
    response = engine.query("How does billing work?")
    assert isinstance(response, PydanticResponse)
    assert isinstance(response.response, Answer) and response.response.answer
    [body] = bodies(vcr)
    assert body["response_format"]["json_schema"]["name"] == "Answer"
    assert_all_documents_sent(vcr)


def test_citation_query_engine(vcr: Any, index: VectorStoreIndex) -> None:
    engine = CitationQueryEngine.from_args(index, similarity_top_k=2)
    response = engine.query("Where is the key read from?")
    assert isinstance(response, Response) and response.response
    assert len(response.source_nodes) == 2
    text = sent_text(vcr)
    assert "Source 1:" in text and "Source 2:" in text
    for node in response.source_nodes:
        assert node.node.get_content() in text


# -- chat engines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode",
    [ChatMode.BEST, ChatMode.CONDENSE_PLUS_CONTEXT, ChatMode.CONTEXT, ChatMode.CONDENSE_QUESTION],
)
def test_chat_engines_stream_then_remember(
    vcr: Any, index: VectorStoreIndex, mode: ChatMode
) -> None:
    engine = index.as_chat_engine(chat_mode=mode, similarity_top_k=1)
    streamed = engine.stream_chat("Where is the key read from?")
    first = "".join(streamed.response_gen).strip()
    assert first
    second = engine.chat("And what does a 402 answer mean?")
    assert second.response
    # The engine's memory went back to the gateway with the first answer in it.
    assert first in sent_text(vcr)
    assert any(body.get("stream") for body in bodies(vcr))


async def test_async_chat_engine(vcr: Any, index: VectorStoreIndex) -> None:
    engine = index.as_chat_engine(chat_mode=ChatMode.CONTEXT, similarity_top_k=1)
    streamed = await engine.astream_chat("Where is the key read from?")
    first = "".join([token async for token in streamed.async_response_gen()]).strip()
    assert first
    second = await engine.achat("And what does a 402 answer mean?")
    assert second.response
    last = bodies(vcr)[-1]["messages"]
    assert any(m["role"] == "assistant" and m["content"] == first for m in last)


def test_simple_chat_engine(vcr: Any, llm: SkillBoss) -> None:
    engine = SimpleChatEngine.from_defaults(system_prompt="Answer briefly.")
    assert "".join(engine.stream_chat("Name one colour.").response_gen).strip()
    assert engine.chat("Name another.").response
    roles = [m["role"] for m in bodies(vcr)[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


# -- the LLM's own prompt calls ------------------------------------------------------------------

PROMPT = PromptTemplate("Summarise in one line: {text}")


async def test_predict_stream_and_their_async_twins(vcr: Any) -> None:
    model = SkillBoss(model=MODEL, max_retries=0, system_prompt="Be brief.")
    predicted = model.predict(PROMPT, text="keys live in the environment")
    streamed = "".join(model.stream(PROMPT, text="keys live in the environment"))
    apredicted = await model.apredict(PROMPT, text="balances can run low")
    astreamed = "".join([t async for t in await model.astream(PROMPT, text="balances")])
    assert predicted and streamed.strip() == predicted.strip()
    assert apredicted and astreamed
    sent = bodies(vcr)
    assert len(sent) == 4 and [bool(body.get("stream")) for body in sent] == [
        False,
        True,
        False,
        True,
    ]
    for body in sent:  # the system prompt is added the way LlamaIndex adds it
        assert body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert body["messages"][1]["content"].startswith("Summarise in one line:")


def lookup_key_name(product: str) -> str:
    """Return the environment variable that holds a product's key."""
    return "SKILLBOSS_WHOLESALE_KEY" if "skillboss" in product.lower() else "unknown"


async def test_apredict_and_call(vcr: Any) -> None:
    tool = FunctionTool.from_defaults(lookup_key_name)
    output = await SkillBoss(model=MODEL, max_retries=0).apredict_and_call(
        [tool], user_msg="Which variable holds the SkillBoss key? Use lookup_key_name."
    )
    assert output.sources[0].tool_name == "lookup_key_name"
    assert output.response == str(output.sources[0].content)
    [body] = bodies(vcr)
    assert body["tool_choice"] == "auto" and body["parallel_tool_calls"] is False
