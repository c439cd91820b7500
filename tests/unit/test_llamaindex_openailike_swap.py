"""Switching from OpenAILike to SkillBoss changes one line (no I/O).

OPENAI_LIKE is written the way LlamaIndex's docs use OpenAILike against an OpenAI-compatible
gateway: completion, streaming chat, a RAG query engine and a tool agent. SKILLBOSS is the
same snippet after the swap; tests/integration/test_llamaindex_openailike_swap.py runs it
against a scripted gateway (llama-index-llms-openai-like is not installed here, so only the
swapped version runs).
"""

from __future__ import annotations

import difflib

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
