"""Per-call keyword arguments over HTTP: they win over the instance's fields and over
bind(), the instance's other fields still go, and LangSmith's run metadata names the model
and parameters actually sent.

Per-call HTTP options (timeout, extra_headers, extra_query, max_retries) are in
tests/integration/test_langchain_agents.py.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

from langchain_skillboss import ChatSkillBoss
from tests.support.scripted_gateway import ScriptedGateway


class _TraceMetadata(BaseCallbackHandler):
    """Keeps the LangSmith metadata each chat model run starts with."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, metadata: Any = None, **kwargs: Any
    ) -> None:
        self.metadata.append(dict(metadata or {}))


def test_per_call_model_override_and_stop(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue("1, 2, 3,")
    model = ChatSkillBoss(
        model="openai/gpt-5.4-mini",
        base_url=gateway_server.base_url,
        max_retries=0,
        temperature=0.2,
        stop=["X"],
        max_tokens=50,
        seed=1,
    ).bind(temperature=0.4)
    trace = _TraceMetadata()
    message = model.invoke(
        "Count to five.",
        model="openai/gpt-5.4",
        stop=["4"],
        temperature=0.9,
        top_p=0.5,
        config={"callbacks": [trace]},
    )
    assert message.text == "1, 2, 3,"
    body = gateway_server.requests[0].json
    assert body["model"] == "openai/gpt-5.4" and body["stop"] == ["4"]
    assert (body["temperature"], body["top_p"]) == (0.9, 0.5)
    assert (body["max_tokens"], body["seed"]) == (50, 1)  # the instance's, not overridden
    assert message.response_metadata["model_name"] == "openai/gpt-5.4"
    (metadata,) = trace.metadata
    assert metadata["ls_model_name"] == "openai/gpt-5.4"
    assert metadata["ls_provider"] == "skillboss"
    assert (metadata["ls_temperature"], metadata["ls_stop"]) == (0.9, ["4"])
