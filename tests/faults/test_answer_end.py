"""What the end of a structured answer means, in every call style of both adapters.

Each test scripts the gateway's answer itself (text, chunk boundaries, finish reason,
refusal, tool call), the way a real provider sends it, and asserts the typed error or the
object that comes back. Nothing here depends on the scripted gateway's own replies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
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
from tests.support.scripted_gateway import ScriptedGateway

KEY = "sk-answer-end-secret-key-0000000"
MODEL = "openai/gpt-5.4-mini"


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def _pieces(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def scripted(
    content: str | None = None,
    *,
    finish: str = "stop",
    refusal: str | None = None,
    tool_args: str | None = None,
    tool_name: str = "Person",
) -> Callable[[dict[str, Any]], Any]:
    """A script answering every chat request the same way, streamed or not."""
    call = (
        {"id": "call_1", "type": "function", "function": {"name": tool_name, "arguments": ""}}
        if tool_args is not None
        else None
    )

    def reply(body: dict[str, Any]) -> Any:
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if refusal is not None:
                message["refusal"] = refusal
            if call is not None:
                message["tool_calls"] = [
                    {**call, "function": {"name": tool_name, "arguments": tool_args}}
                ]
            answer = {
                "id": "chatcmpl-end",
                "object": "chat.completion",
                "model": MODEL,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()
        return 200, {"Content-Type": "text/event-stream"}, _events()

    def _events() -> Iterator[bytes]:
        def event(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            chunk = {
                "id": "chatcmpl-end",
                "object": "chat.completion.chunk",
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }
            return b"data: " + json.dumps(chunk).encode() + b"\n\n"

        yield event({"role": "assistant", "content": ""})
        for piece in _pieces(content or ""):
            if piece:
                yield event({"content": piece})
        for piece in _pieces(refusal or ""):
            if piece:
                yield event({"refusal": piece})
        if call is not None:
            yield event({"tool_calls": [{"index": 0, **call}]})
            for piece in _pieces(tool_args or ""):
                if piece:
                    args = {"index": 0, "function": {"arguments": piece}}
                    yield event({"tool_calls": [args]})
        yield event({}, finish)
        usage = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
        yield b"data: " + json.dumps({"id": "chatcmpl-end", "choices": [], "usage": usage}).encode()
        yield b"\n\ndata: [DONE]\n\n"

    return reply


@pytest.fixture
def server() -> Iterator[ScriptedGateway]:
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
CUT = '{"name": "Ada Lov'


def _script_for(method: Method, text: str, **kwargs: Any) -> Callable[[dict[str, Any]], Any]:
    if method == "function_calling":
        return scripted(None, tool_args=text, **kwargs)
    return scripted(text, **kwargs)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
def test_langchain_cut_answer_raises_truncation(
    server: ScriptedGateway, method: Method, style: str
) -> None:
    server.script(_script_for(method, CUT, finish="length"))
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
    server.script(_script_for(method, '{"name": "A', finish="content_filter"))
    structured = _chat(server).with_structured_output(Person, method=method)
    with pytest.raises(ContentFilteredError, match="content filter") as caught:
        _run(structured, style)
    assert isinstance(caught.value, openai.ContentFilterFinishReasonError)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
def test_langchain_refusal_raises_refusal(
    server: ScriptedGateway, method: Method, style: str
) -> None:
    server.script(scripted(None, refusal="I can't help with that."))
    structured = _chat(server).with_structured_output(Person, method=method)
    with pytest.raises(StructuredOutputRefusalError, match="can't help") as caught:
        _run(structured, style)
    assert isinstance(caught.value, RefusalError)
    assert caught.value.refusal == "I can't help with that."


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("text", ["", '{"name": "Ada"}', "not json at all"])
def test_langchain_unusable_answer_raises_a_parse_error(
    server: ScriptedGateway, method: Method, style: str, text: str
) -> None:
    server.script(_script_for(method, text))
    structured = _chat(server).with_structured_output(Person, method=method)
    with pytest.raises(OutputParserException) as caught:
        _run(structured, style)
    assert isinstance(caught.value, StructuredOutputError)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", METHODS)
def test_langchain_include_raw_reports_every_failure_as_parsing_error(
    server: ScriptedGateway, method: Method, style: str
) -> None:
    server.script(_script_for(method, CUT, finish="length"))
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
    server.script(_script_for(method, '{"name": "Ada Lovelace", "age": 36}'))
    structured = _chat(server).with_structured_output(Person, method=method)
    assert _run(structured, style)[-1] == Person(name="Ada Lovelace", age=36)


def test_langchain_streamed_dict_schema_fills_in_field_by_field(server: ScriptedGateway) -> None:
    server.script(scripted('{"name": "Ada Lovelace", "age": 36}'))
    schema = Person.model_json_schema()
    objects = list(_chat(server).with_structured_output(schema).stream("Who?"))
    assert objects[-1] == {"name": "Ada Lovelace", "age": 36}
    assert any(o.get("name") and "age" not in o for o in objects)  # name before age


def test_langchain_response_format_cut_raises(server: ScriptedGateway) -> None:
    server.script(scripted(CUT, finish="length"))
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
    ("finish", "refusal", "error"),
    [
        ("length", None, AnswerTruncatedError),
        ("content_filter", None, ContentFilteredError),
        ("stop", "I can't help with that.", RefusalError),
    ],
)
def test_llamaindex_unusable_ends_raise_typed_errors(
    server: ScriptedGateway, style: str, finish: str, refusal: str | None, error: type
) -> None:
    server.script(scripted(None if refusal else CUT, finish=finish, refusal=refusal))
    with pytest.raises(error):
        _predict(_llm(server), style)


@pytest.mark.parametrize("style", LI_STYLES)
@pytest.mark.parametrize("text", ["", '{"name": "Ada"}', "not json at all"])
def test_llamaindex_unparseable_answer_raises(
    server: ScriptedGateway, style: str, text: str
) -> None:
    server.script(scripted(text))
    with pytest.raises(StructuredOutputError):
        _predict(_llm(server), style)


def test_llamaindex_streamed_objects_fill_in_field_by_field(server: ScriptedGateway) -> None:
    server.script(scripted('{"name": "Ada Lovelace", "age": 36}'))
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
    server.script(scripted(None, tool_args=CUT, finish=finish))
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
    server.script(
        scripted(None, tool_args='{"city": "Par', tool_name="get_weather", finish="length")
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
