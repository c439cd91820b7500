"""Switching from OpenAILike to SkillBoss changes one line, replayed from a cassette.

The snippet is written the way LlamaIndex's docs use OpenAILike against an OpenAI-
compatible gateway (llama-index-llms-openai-like is not installed here, so only the
swapped version runs); the test proves the two differ by exactly one line and that the
swapped one works: completion, streaming chat, a RAG query engine and a tool agent.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from skillboss_core.settings import api_key_from_env, base_url_from_env

pytestmark = pytest.mark.vcr

OPENAI_LIKE = """\
import asyncio

from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import ChatMessage
from llama_index.core.node_parser import SentenceSplitter
from llama_index.llms.openai_like import OpenAILike

llm = OpenAILike(
    model="openai/gpt-5.4-mini",
    api_base=API_BASE,
    api_key=API_KEY,
    is_chat_model=True,
    is_function_calling_model=True,
    context_window=128000,
    max_tokens=256,
    temperature=0.1,
    timeout=60,
    max_retries=0,
    additional_kwargs={"seed": 7},
)
Settings.llm = llm

completion = llm.complete("Say hello in French.").text
streamed = "".join(
    r.delta for r in llm.stream_chat([ChatMessage(role="user", content="Count to three.")])
)

documents = [
    Document(id_="a", text="The gateway speaks the OpenAI Chat Completions protocol."),
    Document(id_="b", text="Wholesale keys are read from SKILLBOSS_WHOLESALE_KEY."),
]
index = VectorStoreIndex.from_documents(
    documents,
    embed_model=MockEmbedding(embed_dim=8),
    transformations=[SentenceSplitter(id_func=lambda i, doc: f"{doc.doc_id}-{i}")],
)
rag_answer = str(index.as_query_engine(similarity_top_k=1).query("Which protocol?"))


def add(a: int, b: int) -> int:
    \"\"\"Add two integers.\"\"\"
    return a + b


async def ask_agent() -> str:
    agent = FunctionAgent(tools=[add], llm=llm, streaming=False)
    return str(await agent.run("What is 19 + 23? Use the add tool."))


agent_answer = asyncio.run(ask_agent())
"""

SKILLBOSS = OPENAI_LIKE.replace(
    "from llama_index.llms.openai_like import OpenAILike",
    "from llama_index_skillboss import SkillBoss as OpenAILike",
)


def test_the_two_snippets_differ_by_one_line() -> None:
    changed = [
        line
        for line in difflib.unified_diff(OPENAI_LIKE.splitlines(), SKILLBOSS.splitlines(), n=0)
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-from llama_index.llms.openai_like import OpenAILike",
        "+from llama_index_skillboss import SkillBoss as OpenAILike",
    ]


def test_the_openai_like_snippet_runs_on_skillboss(vcr: Any, restore_settings: None) -> None:
    key = api_key_from_env()
    assert key is not None
    scope: dict[str, Any] = {"API_BASE": base_url_from_env(), "API_KEY": key.get_secret_value()}
    exec(compile(SKILLBOSS, "openai_like_snippet.py", "exec"), scope)
    assert scope["completion"] and scope["streamed"] and scope["rag_answer"]
    assert "42" in scope["agent_answer"]
    assert scope["llm"].metadata.is_chat_model and scope["llm"].metadata.context_window == 128000
    bodies = [json.loads(r.body) for r in vcr.requests]
    assert all(body["model"] == "openai/gpt-5.4-mini" for body in bodies)
    assert all(body["seed"] == 7 and body["max_tokens"] == 256 for body in bodies)
    retrieved = [doc.text for doc in scope["documents"] if doc.text in json.dumps(bodies)]
    assert len(retrieved) == 1  # similarity_top_k=1: one document went to the model
    assert any(body.get("stream") for body in bodies)
    assert any(m["role"] == "tool" for body in bodies for m in body["messages"])
