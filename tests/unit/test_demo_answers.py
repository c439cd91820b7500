"""The demo stand-in's answer table stays in step with the examples it answers."""

from __future__ import annotations

import json
from pathlib import Path

from demo.answers import ANSWERS, answer, reply_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SOURCES = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLES.glob("*.py")}


def test_every_scripted_question_is_asked_by_an_example() -> None:
    for scripted in ANSWERS:
        askers = [name for name, text in SOURCES.items() if scripted.question in text]
        assert askers, f"no example asks {scripted.question!r}: a stale entry"


def test_tools_first_then_an_answer_built_from_their_results() -> None:
    question = "What is the status of order id A1042?"
    asked = {"messages": [{"role": "user", "content": question}]}
    first = reply_for(asked)
    assert first is not None and [call.name for call in first.tool_calls] == ["order_status"]
    call = first.tool_calls[0]
    assert json.loads(call.arguments_json) == {"order_id": "A1042"}
    fed_back = {
        "messages": [
            {"role": "user", "content": question},
            {
                "role": "assistant",
                "tool_calls": [{"id": call.id, "function": {"name": "order_status"}}],
            },
            {"role": "tool", "tool_call_id": call.id, "content": "lost at sea"},
        ]
    }
    second = reply_for(fed_back)
    assert second is not None and not second.tool_calls
    assert second.content is not None and "lost at sea" in second.content


def test_an_unscripted_question_is_refused_not_made_up() -> None:
    refused = answer({"messages": [{"role": "user", "content": "Tell me a joke"}]})
    assert isinstance(refused, tuple)
    status, _, body = refused
    assert status == 400
    assert isinstance(body, bytes) and b"Tell me a joke" in body and b"demo/answers.py" in body


def test_rag_answers_restate_the_documents_they_answer_from() -> None:
    for script, question, fact in [
        (
            "llamaindex_rag.py",
            "What does an HTTP 503 from the gateway mean?",
            "lite-tier discount pool",
        ),
        ("llamaindex_rag.py", "How is wholesale usage billed?", "contract discount"),
        (
            "langchain_rag.py",
            "What should I do after an HTTP 402 from the gateway?",
            "wholesale credits ran out",
        ),
        (
            "langchain_rag.py",
            "Which chunk of a streamed answer reports the token usage?",
            "reports its token usage once, on the last chunk",
        ),
    ]:
        reply = reply_for({"messages": [{"role": "user", "content": question}]})
        assert reply is not None and reply.content is not None
        assert fact in reply.content and fact in SOURCES[script]
