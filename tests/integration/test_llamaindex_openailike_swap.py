"""Switching from OpenAILike to SkillBoss changes one line; the swapped snippet runs.

The snippet is written the way LlamaIndex's docs use OpenAILike against an OpenAI-
compatible gateway (llama-index-llms-openai-like is not installed here, so only the
swapped version runs); the tests prove the two differ by exactly one line and that the
swapped one works against the scripted gateway: completion, streaming chat, a RAG query
engine and a tool agent, each answered with a scripted reply (SNIPPET_ANSWERS).
"""

from __future__ import annotations

import difflib
from typing import Any

from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

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


# What the scripted model answers the snippet's five requests, in order.
SNIPPET_ANSWERS = [
    Reply("Bonjour !"),  # llm.complete
    Reply("One, two, three."),  # llm.stream_chat
    Reply("The OpenAI Chat Completions protocol."),  # the query engine
    Reply(tool_calls=[ToolCall("add", {"a": 19, "b": 23}, id="call_add")]),  # the agent ...
    Reply("19 + 23 = 42."),  # ... and its answer once the tool ran
]


def test_the_openai_like_snippet_runs_on_skillboss(
    gateway_server: ScriptedGateway, restore_settings: None
) -> None:
    gateway_server.queue(*SNIPPET_ANSWERS)
    scope: dict[str, Any] = {"API_BASE": gateway_server.base_url, "API_KEY": "sk-snippet-test"}
    exec(compile(SKILLBOSS, "openai_like_snippet.py", "exec"), scope)
    assert scope["completion"] == "Bonjour !"
    assert scope["streamed"] == "One, two, three."
    assert scope["rag_answer"] == "The OpenAI Chat Completions protocol."
    assert scope["agent_answer"] == "19 + 23 = 42."
    assert scope["llm"].metadata.is_chat_model and scope["llm"].metadata.context_window == 128000
    bodies = [r.json for r in gateway_server.requests]
    assert len(bodies) == len(SNIPPET_ANSWERS)
    assert all(body["model"] == "openai/gpt-5.4-mini" for body in bodies)
    assert all(body["seed"] == 7 and body["max_tokens"] == 256 for body in bodies)
    assert all(body["temperature"] == 0.1 for body in bodies)
    assert all(
        r.headers["authorization"] == "Bearer sk-snippet-test" for r in gateway_server.requests
    )
    assert [bool(body.get("stream")) for body in bodies] == [False, True, False, False, False]
    retrieved = [doc.text for doc in scope["documents"] if doc.text in str(bodies[2])]
    assert len(retrieved) == 1  # similarity_top_k=1: one document went to the model
    tool = next(m for m in bodies[4]["messages"] if m["role"] == "tool")
    assert tool == {"role": "tool", "content": "42", "tool_call_id": "call_add"}
