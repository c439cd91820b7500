"""A refusal where ChatOpenAI code looks for it: `additional_kwargs["refusal"]`, and the
`parsing_error` of structured output with include_raw.

Refusals as standard content blocks and ModelRefusalMiddleware are in
tests/integration/test_langchain_agents.py; a refusal raising StructuredOutputRefusalError in
every method and call style is in tests/faults/test_answer_end.py.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field

from langchain_skillboss import ChatSkillBoss, StructuredOutputRefusalError
from tests.support.scripted_gateway import Reply, ScriptedGateway

MODEL = "openai/gpt-5.4-mini"
# {"role": "assistant", "content": null, "refusal": REFUSAL}
REFUSAL = "I can't help with picking locks."


class Plan(BaseModel):
    """A plan."""

    steps: list[str] = Field(description="the steps")


def llm(server: ScriptedGateway) -> ChatSkillBoss:
    return ChatSkillBoss(model=MODEL, base_url=server.base_url, max_retries=0)


def test_refusal_on_invoke_is_in_additional_kwargs(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(refusal=REFUSAL))
    message = llm(gateway_server).invoke("Describe how to pick a lock.")
    assert message.additional_kwargs["refusal"] == REFUSAL
    assert message.text == ""


def test_refusal_with_include_raw_is_the_parsing_error(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(Reply(refusal=REFUSAL))
    structured = llm(gateway_server).with_structured_output(Plan, include_raw=True)
    out = structured.invoke("Plan how to pick a lock.")
    assert isinstance(out, dict)
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], StructuredOutputRefusalError)
    assert out["parsing_error"].refusal == REFUSAL
    assert isinstance(out["raw"], AIMessage)
    assert out["raw"].additional_kwargs["refusal"] == REFUSAL
