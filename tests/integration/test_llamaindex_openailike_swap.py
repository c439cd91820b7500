"""The OpenAILike snippet, swapped to SkillBoss by one line, runs against the scripted gateway.

The snippet and the proof that the swap changes exactly one line are in
tests/unit/test_llamaindex_openailike_swap.py (llama-index-llms-openai-like is not installed
here, so only the swapped version runs). Here it runs: completion, streaming chat, a RAG
query engine and a tool agent, each answered with a scripted reply (SNIPPET_ANSWERS).
"""

from __future__ import annotations

from typing import Any

from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall
from tests.unit.test_llamaindex_openailike_swap import SKILLBOSS

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
