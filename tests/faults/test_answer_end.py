"""What the end of a structured answer means, in every call style of both adapters.

Each test states the gateway's answer itself as a `Reply` (text, chunk boundaries where
they matter, finish reason, refusal, tool call), rendered the way a real provider sends it,
streamed or not, and asserts the typed error or the object that comes back. The fixture
below has no default answer: a request a test did not script gets the gateway's 400.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, Literal

import openai
import pytest
from langchain_core.exceptions import OutputParserException
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel, SecretStr

from langchain_skillboss import ChatSkillBoss, StructuredOutputRefusalError
from llama_index_skillboss import SkillBoss
from skillboss_core.errors import (
    AnswerTruncatedError,
    ContentFilteredError,
    RefusalError,
    StructuredOutputError,
)
from tests.support.scripted_gateway import Reply, ScriptedGateway, ToolCall

KEY = "sk-answer-end-secret-key-0000000"
MODEL = "openai/gpt-5.4-mini"
REFUSAL = "I can't help with that."
ADA = '{"name": "Ada Lovelace", "age": 36}'
CUT = '{"name": "Ada Lov'  # ADA cut off mid-value
# ADA streamed with the name complete two chunks before the age arrives.
ADA_PIECES = ['{"name": "Ada', ' Lovelace", ', '"age": 36}']


class Person(BaseModel):
    """A person."""

    name: str
    age: int


@pytest.fixture
def server() -> Iterator[ScriptedGateway]:
    """A gateway answering only what the test queues (tests/faults' `gateway_server` has a
    default answer, which would hide an unexpected second request)."""
    with ScriptedGateway(lifetime=60.0) as gateway:
        yield gateway


# ---- LangChain --------------------------------------------------------------------------


def _chat(server: ScriptedGateway) -> ChatSkillBoss:
    return ChatSkillBoss(model=MODEL, api_key=SecretStr(KEY), base_url=server.base_url)


def _run(runnable: Any, style: str) -> list[Any]:
    """Every output of one call, in the given style."""
    if style == "invoke":
        return [runnable.invoke("Who?")]
    if style == "ainvoke":
        return [asyncio.run(runnable.ainvoke("Who?"))]
    if style == "stream":
        return list(runnable.stream("Who?"))

    async def collect() -> list[Any]:
        return [out async for out in runnable.astream("Who?")]

    return asyncio.run(collect())


STYLES = ["invoke", "ainvoke", "stream", "astream"]
Method = Literal["json_schema", "function_calling", "json_mode"]
METHODS: list[Method] = ["json_schema", "function_calling", "json_mode"]


def structured_answer(method: Method, text: str, finish_reason: str = "stop") -> Reply:
    """`text` where `method` expects the structured answer: the arguments of a `Person` tool
    call (function_calling; OpenAI ends a forced tool call with "stop"), else the content."""
    if method == "function_calling":
        return Reply(tool_calls=[ToolCall("Person", text)], finish_reason=finish_reason)
    return Reply(text, finish_reason=finish_reason)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
def test_langchain_cut_answer_raises_truncation(
    server: ScriptedGateway, method: Method, style: str
) -> None:
    server.queue(structured_answer(method, CUT, finish_reason="length"))
    structured = _chat(server).with_structured_output(Person, method=method)
    with pytest.raises(AnswerTruncatedError, match="max_tokens") as caught:
        _run(structured, style)
    assert isinstance(caught.value, openai.LengthFinishReasonError)  # ChatOpenAI's class
    assert caught.value.partial == CUT


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
def test_langchain_filtered_answer_raises_content_filter(
    server: ScriptedGateway, method: Method, style: str
) -> None:
    server.queue(structured_answer(method, '{"name": "A', finish_reason="content_filter"))
    structured = _chat(server).with_structured_output(Person, method=method)
    with pytest.raises(ContentFilteredError, match="content filter") as caught:
        _run(structured, style)
    assert isinstance(caught.value, openai.ContentFilterFinishReasonError)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
def test_langchain_refusal_raises_refusal(
    server: ScriptedGateway, method: Method, style: str
) -> None:
    server.queue(Reply(refusal=REFUSAL))  # content null, whatever the method asked for
    structured = _chat(server).with_structured_output(Person, method=method)
    with pytest.raises(StructuredOutputRefusalError, match="can't help") as caught:
        _run(structured, style)
    assert isinstance(caught.value, RefusalError)
    assert caught.value.refusal == REFUSAL


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("text", ["", '{"name": "Ada"}', "not json at all"])
def test_langchain_unusable_answer_raises_a_parse_error(
    server: ScriptedGateway, method: Method, style: str, text: str
) -> None:
    server.queue(structured_answer(method, text))
    structured = _chat(server).with_structured_output(Person, method=method)
    with pytest.raises(OutputParserException) as caught:
        _run(structured, style)
    assert isinstance(caught.value, StructuredOutputError)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
def test_langchain_include_raw_reports_every_failure_as_parsing_error(
    server: ScriptedGateway, method: Method, style: str
) -> None:
    server.queue(structured_answer(method, CUT, finish_reason="length"))
    structured = _chat(server).with_structured_output(Person, method=method, include_raw=True)
    outputs = _run(structured, style)
    merged: dict[str, Any] = {}
    for output in outputs:
        merged.update({k: v for k, v in output.items() if v is not None})
    assert isinstance(merged.get("parsing_error"), AnswerTruncatedError)
    assert merged.get("parsed") is None and merged.get("raw") is not None


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
def test_langchain_good_answer_parses(server: ScriptedGateway, method: Method, style: str) -> None:
    server.queue(structured_answer(method, ADA))
    structured = _chat(server).with_structured_output(Person, method=method)
    assert _run(structured, style)[-1] == Person(name="Ada Lovelace", age=36)


def test_langchain_streamed_dict_schema_fills_in_field_by_field(server: ScriptedGateway) -> None:
    server.queue(Reply(ADA, pieces=ADA_PIECES))
    schema = Person.model_json_schema()
    objects = list(_chat(server).with_structured_output(schema).stream("Who?"))
    assert objects[-1] == {"name": "Ada Lovelace", "age": 36}
    assert any(o.get("name") and "age" not in o for o in objects)  # name before age


def test_langchain_response_format_cut_raises(server: ScriptedGateway) -> None:
    server.queue(Reply(CUT, finish_reason="length"))
    with pytest.raises(AnswerTruncatedError):
        _chat(server).invoke("Who?", response_format=Person)


# ---- LlamaIndex -------------------------------------------------------------------------

PROMPT = PromptTemplate("Who is {who}?")


def _llm(server: ScriptedGateway) -> SkillBoss:
    return SkillBoss(model=MODEL, api_key=KEY, api_base=server.base_url)


def _predict(llm: SkillBoss, style: str) -> list[Any]:
    if style == "structured_predict":
        return [llm.structured_predict(Person, PROMPT, who="Ada")]
    if style == "astructured_predict":
        return [asyncio.run(llm.astructured_predict(Person, PROMPT, who="Ada"))]
    if style == "stream_structured_predict":
        return list(llm.stream_structured_predict(Person, PROMPT, who="Ada"))
    if style == "astream_structured_predict":

        async def collect() -> list[Any]:
            stream = await llm.astream_structured_predict(Person, PROMPT, who="Ada")
            return [item async for item in stream]

        return asyncio.run(collect())
    from llama_index.core.llms import ChatMessage

    structured = llm.as_structured_llm(Person)
    messages = [ChatMessage(role="user", content="Who is Ada?")]
    if style == "as_structured_llm.chat":
        return [structured.chat(messages).raw]
    return [response.raw for response in structured.stream_chat(messages)]


LI_STYLES = [
    "structured_predict",
    "astructured_predict",
    "stream_structured_predict",
    "astream_structured_predict",
    "as_structured_llm.chat",
    "as_structured_llm.stream_chat",
]


@pytest.mark.parametrize("style", LI_STYLES)
@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(Reply(CUT, finish_reason="length"), AnswerTruncatedError, id="length"),
        pytest.param(
            Reply(CUT, finish_reason="content_filter"), ContentFilteredError, id="content_filter"
        ),
        pytest.param(Reply(refusal=REFUSAL), RefusalError, id="refusal"),
    ],
)
def test_llamaindex_unusable_ends_raise_typed_errors(
    server: ScriptedGateway, style: str, answer: Reply, error: type
) -> None:
    server.queue(answer)
    with pytest.raises(error):
        _predict(_llm(server), style)


@pytest.mark.parametrize("style", LI_STYLES)
@pytest.mark.parametrize("text", ["", '{"name": "Ada"}', "not json at all"])
def test_llamaindex_unparseable_answer_raises(
    server: ScriptedGateway, style: str, text: str
) -> None:
    server.queue(Reply(text))
    with pytest.raises(StructuredOutputError):
        _predict(_llm(server), style)


def test_llamaindex_streamed_objects_fill_in_field_by_field(server: ScriptedGateway) -> None:
    server.queue(Reply(ADA, pieces=ADA_PIECES))
    objects = list(_llm(server).stream_structured_predict(Person, PROMPT, who="Ada"))
    assert objects[-1] == Person(name="Ada Lovelace", age=36)
    early = [o for o in objects[:-1] if getattr(o, "name", None)]
    assert early, "no partial object carried the name before the answer was complete"
    assert any(getattr(o, "age", None) is None for o in early)


@pytest.mark.parametrize("finish", ["length", "content_filter"])
def test_llamaindex_function_calling_program_refuses_a_cut_call(
    server: ScriptedGateway, finish: str
) -> None:
    """Models without json_schema go through LlamaIndex's own function-calling program."""
    server.queue(Reply(tool_calls=[ToolCall("Person", CUT)], finish_reason=finish))
    llm = SkillBoss(
        model=MODEL,
        api_key=KEY,
        api_base=server.base_url,
        pydantic_program_mode=PydanticProgramMode.FUNCTION,
    )
    with pytest.raises((AnswerTruncatedError, ContentFilteredError)) as caught:
        llm.structured_predict(Person, PROMPT, who="Ada")
    assert (finish == "length") == isinstance(caught.value, AnswerTruncatedError)


def test_llamaindex_agent_tool_call_cut_is_an_error_not_a_broken_call(
    server: ScriptedGateway,
) -> None:
    server.queue(
        Reply(tool_calls=[ToolCall("get_weather", '{"city": "Par')], finish_reason="length")
    )

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    from llama_index.core.tools import FunctionTool

    llm = _llm(server)
    tool = FunctionTool.from_defaults(get_weather)
    response = llm.chat_with_tools([tool], user_msg="Weather in Paris?")
    with pytest.raises(AnswerTruncatedError, match="a tool call"):
        llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)


# ---- the core -----------------------------------------------------------------------------


def test_a_two_choice_stream_reads_the_first_choice_only(server: ScriptedGateway) -> None:
    # Raw SSE: a Reply streams a single choice, and this test needs two choices with
    # different text interleaved on the wire (a server ignoring that n was not asked for).
    def reply(body: dict[str, Any]) -> Any:
        def event(index: int, text: str, finish: str | None = None) -> bytes:
            choice = {"index": index, "delta": {"content": text}, "finish_reason": finish}
            return b"data: " + json.dumps({"id": "c", "choices": [choice]}).encode() + b"\n\n"

        events = [event(0, "A1"), event(1, "B1"), event(0, "A2"), event(1, "B2")]
        events += [event(0, "", "stop"), event(1, "", "stop"), b"data: [DONE]\n\n"]
        return 200, {"Content-Type": "text/event-stream"}, events

    server.script(reply)
    llm = _chat(server)
    assert "".join(str(c.content) for c in llm.stream("Hi")) == "A1A2"
    li_text = "".join(r.delta or "" for r in _llm(server).stream_complete("Hi"))
    assert li_text == "A1A2"
