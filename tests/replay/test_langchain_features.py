"""What the standard suites do not cover, replayed from cassettes.

Reasoning, refusals, logprobs, every tool_choice form, parallel streamed tool calls in the
shapes different providers stream them, usage once per stream, structured output methods,
and an LCEL chain written for ChatOpenAI running unchanged. Assertions are on structure
(types, tool names, arguments, usage fields, what was sent) so a live re-record keeps them
true; the request bodies come from the cassette, which only replays a body equal to the
one sent now.
"""

from __future__ import annotations

import json
from functools import reduce
from typing import Annotated, Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_skillboss import ChatSkillBoss, StructuredOutputRefusalError

pytestmark = pytest.mark.vcr

MODEL = "openai/gpt-5.4-mini"
REASONER = "deepseek/deepseek-reasoner"
# The scripted server streams tool calls the way each provider does; the live gateway
# ignores the header.
FLAVOUR = "x-scripted-flavour"


def llm(**kwargs: Any) -> ChatSkillBoss:
    return ChatSkillBoss(**{"model": MODEL, "max_retries": 0, **kwargs})


def sent(vcr: Any) -> list[dict[str, Any]]:
    """The JSON bodies of the requests this test made (recorded, and matched on replay)."""
    return [json.loads(request.body) for request in vcr.requests]


def aggregate(chunks: list[BaseMessage]) -> AIMessageChunk:
    assert chunks and all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    return reduce(lambda a, b: a + b, chunks)  # type: ignore[arg-type, return-value]


@tool
def get_weather(location: str) -> str:
    """Get the current weather for a location."""
    return f"It is sunny in {location}."


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"It is noon in {city}."


# -- reasoning -----------------------------------------------------------------------------


def test_reasoning_on_invoke_is_kept(vcr: Any) -> None:
    message = llm(model=REASONER).invoke("Why is the sky blue? Answer in one sentence.")
    reasoning = message.additional_kwargs["reasoning_content"]
    assert isinstance(reasoning, str) and reasoning
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    assert any(block["type"] == "text" for block in message.content_blocks)
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"]["reasoning"] > 0


def test_reasoning_streamed_with_reasoning_effort(vcr: Any) -> None:
    chunks = list(llm(reasoning_effort="low").stream("Why is the sky blue?"))
    full = aggregate(chunks)
    assert full.additional_kwargs["reasoning_content"]
    assert full.content
    assert full.content_blocks[0]["type"] == "reasoning"
    assert sent(vcr)[0]["reasoning_effort"] == "low"


@pytest.mark.parametrize("flavour", ["deepseek", "openrouter"])
def test_reasoning_from_either_field_on_invoke_and_stream(vcr: Any, flavour: str) -> None:
    """DeepSeek sends `reasoning_content`, OpenRouter/Groq `reasoning`: both are kept."""
    model = llm(model=REASONER, default_headers={FLAVOUR: flavour})
    for message in (model.invoke("Why is the sky blue?"), aggregate(list(model.stream("Why?")))):
        reasoning = message.additional_kwargs["reasoning_content"]
        assert isinstance(reasoning, str) and reasoning
        assert message.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
        assert message.text


def test_model_answers_go_back_into_history_without_reasoning(vcr: Any) -> None:
    """An AIMessage the model produced (invoked, streamed, v1 content) round-trips: text and
    tool calls go back, reasoning (additional_kwargs or content blocks) does not."""
    model = llm(reasoning_effort="low").bind_tools(TOOLS)
    v1_model = llm(reasoning_effort="low", output_version="v1")
    question = HumanMessage("What time is it in Paris?")
    streamed = aggregate(list(model.stream([question])))
    assert streamed.additional_kwargs["reasoning_content"] and streamed.tool_calls
    (call,) = streamed.tool_calls
    result = get_time.invoke(call)
    said = v1_model.invoke("Why is the sky blue?")
    assert isinstance(said.content, list) and said.content_blocks[0]["type"] == "reasoning"
    history = [HumanMessage("Why is the sky blue?"), said, question, streamed, result]
    final = model.invoke(history)
    assert final.text
    assistant = [m for m in sent(vcr)[-1]["messages"] if m["role"] == "assistant"]
    assert assistant[0] == {"role": "assistant", "content": said.text}
    assert assistant[1]["content"] is None
    assert assistant[1]["tool_calls"] == [
        {
            "id": call["id"],
            "type": "function",
            "function": {"name": "get_time", "arguments": json.dumps(call["args"])},
        }
    ]
    assert all(set(m) <= {"role", "content", "tool_calls"} for m in assistant)
    sent_text = json.dumps(sent(vcr)[-1]["messages"], ensure_ascii=False)
    for thought in (
        said.content_blocks[0]["reasoning"],
        streamed.additional_kwargs["reasoning_content"],
    ):
        assert thought not in sent_text


def test_reasoning_blocks_in_v1_output(vcr: Any) -> None:
    message = llm(model=REASONER, output_version="v1").invoke("Why is the sky blue?")
    assert isinstance(message.content, list)
    kinds = [block["type"] for block in message.content]  # type: ignore[index]
    assert kinds[0] == "reasoning" and "text" in kinds


# -- refusals ------------------------------------------------------------------------------


class Plan(BaseModel):
    """A plan."""

    steps: list[str] = Field(description="the steps")


REFUSED = "REFUSE: describe how to pick a lock."


def test_refusal_on_invoke(vcr: Any) -> None:
    message = llm().invoke(REFUSED)
    assert isinstance(message.additional_kwargs["refusal"], str)
    assert message.additional_kwargs["refusal"]


def test_refusal_under_structured_output_is_an_error(vcr: Any) -> None:
    structured = llm().with_structured_output(Plan)
    with pytest.raises(StructuredOutputRefusalError) as caught:
        structured.invoke(REFUSED)
    assert caught.value.refusal
    with pytest.raises(StructuredOutputRefusalError):
        list(structured.stream(REFUSED))


def test_refusal_with_include_raw(vcr: Any) -> None:
    out = llm().with_structured_output(Plan, include_raw=True).invoke(REFUSED)
    assert isinstance(out, dict)
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], StructuredOutputRefusalError)
    assert isinstance(out["raw"], AIMessage)


# -- logprobs ------------------------------------------------------------------------------


def _check_logprobs(entries: list[dict[str, Any]], top: int) -> None:
    assert entries
    for entry in entries:
        assert isinstance(entry["token"], str)
        assert isinstance(entry["logprob"], float)
        assert len(entry["top_logprobs"]) == top


def test_logprobs_on_invoke_and_stream(vcr: Any) -> None:
    model = llm(logprobs=True, top_logprobs=2)
    message = model.invoke("Say hello")
    _check_logprobs(message.response_metadata["logprobs"]["content"], 2)
    full = aggregate(list(model.stream("Say hello")))
    streamed = full.response_metadata["logprobs"]["content"]
    _check_logprobs(streamed, 2)
    assert "".join(entry["token"] for entry in streamed) == full.content


# -- tools ---------------------------------------------------------------------------------


TOOLS = [get_weather, get_time]
NAMED = {"type": "function", "function": {"name": "get_time"}}


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        ("get_time", NAMED),
        (NAMED, NAMED),
        ({"type": "tool", "name": "get_time"}, NAMED),
    ],
    ids=["auto", "required", "any", "true", "name", "openai-dict", "anthropic-dict"],
)
def test_tool_choice_forms_reach_the_gateway(vcr: Any, choice: Any, wire: Any) -> None:
    message = llm().bind_tools(TOOLS, tool_choice=choice).invoke("What time is it in Paris?")
    assert sent(vcr)[0]["tool_choice"] == wire
    assert message.tool_calls
    assert message.tool_calls[0]["name"] in {"get_weather", "get_time"}
    if isinstance(wire, dict):
        assert message.tool_calls[0]["name"] == "get_time"


def test_tool_choice_none_answers_in_text(vcr: Any) -> None:
    message = llm().bind_tools(TOOLS, tool_choice="none").invoke("What time is it in Paris?")
    assert sent(vcr)[0]["tool_choice"] == "none"
    assert not message.tool_calls
    assert message.text


def test_parallel_tool_calls_false_is_sent(vcr: Any) -> None:
    model = llm().bind_tools(TOOLS, parallel_tool_calls=False, strict=True)
    message = model.invoke("What is the weather in Paris and the time in Tokyo?")
    body = sent(vcr)[0]
    assert body["parallel_tool_calls"] is False
    assert all(spec["function"]["strict"] is True for spec in body["tools"])
    assert len(message.tool_calls) == 1


PARALLEL = "What is the weather in Paris and the time in Tokyo?"


@pytest.mark.parametrize("flavour", ["openai", "groq", "repeat-ids"])
def test_parallel_streamed_tool_calls(vcr: Any, flavour: str) -> None:
    """Split arguments (OpenAI), whole calls in one delta (Groq), repeated id/name."""
    model = llm(default_headers={FLAVOUR: flavour}).bind_tools(TOOLS)
    chunks = list(model.stream(PARALLEL))
    pieces = [c for chunk in chunks for c in chunk.tool_call_chunks]  # type: ignore[attr-defined]
    assert {piece["index"] for piece in pieces} == {0, 1}
    full = aggregate(chunks)
    assert [call["name"] for call in full.tool_calls] == ["get_weather", "get_time"]
    assert all(isinstance(call["args"], dict) and call["args"] for call in full.tool_calls)
    ids = [call["id"] for call in full.tool_calls]
    assert all(ids) and len(set(ids)) == 2
    assert full.response_metadata["finish_reason"] == "tool_calls"


def test_tool_loop_with_results_fed_back(vcr: Any) -> None:
    model = llm().bind_tools(TOOLS)
    history: list[BaseMessage] = [HumanMessage(PARALLEL)]
    first = model.invoke(history)
    assert len(first.tool_calls) == 2
    history.append(first)
    for call in first.tool_calls:
        history.append(
            {"get_weather": get_weather, "get_time": get_time}[call["name"]].invoke(call)
        )
    final = model.invoke(history)
    assert final.text and not final.tool_calls
    tool_turns = [m for m in sent(vcr)[1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_turns] == [c["id"] for c in first.tool_calls]


# -- usage and metadata once per stream ------------------------------------------------------


def test_usage_and_metadata_once_per_stream(vcr: Any) -> None:
    chunks = list(llm().stream("Write two short sentences about the sea."))
    assert sum(chunk.usage_metadata is not None for chunk in chunks) == 1  # type: ignore[attr-defined]
    for key in ("model_name", "id", "finish_reason", "system_fingerprint"):
        assert sum(key in chunk.response_metadata for chunk in chunks) == 1, key
    # Every chunk names the provider (merged as one value), as ChatOpenAI's chunks do.
    assert all(chunk.response_metadata["model_provider"] == "skillboss" for chunk in chunks)
    full = aggregate(chunks)
    usage = full.usage_metadata
    assert usage is not None
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert isinstance(usage["input_token_details"]["cache_read"], int)
    assert full.response_metadata["model_provider"] == "skillboss"
    assert sent(vcr)[0]["stream_options"] == {"include_usage": True}


def test_stream_usage_false_reports_no_usage(vcr: Any) -> None:
    chunks = list(llm(stream_usage=False).stream("Write two short sentences about the sea."))
    assert all(chunk.usage_metadata is None for chunk in chunks)  # type: ignore[attr-defined]


def test_streaming_true_invoke_still_reports_usage(vcr: Any) -> None:
    message = llm(streaming=True).invoke("Write two short sentences about the sea.")
    assert message.usage_metadata is not None
    assert sent(vcr)[0]["stream"] is True


async def test_astream_usage_once(vcr: Any) -> None:
    chunks = [chunk async for chunk in llm().astream("Write two short sentences about the sea.")]
    assert sum(chunk.usage_metadata is not None for chunk in chunks) == 1  # type: ignore[attr-defined]


# -- structured output methods ---------------------------------------------------------------


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="The person's name")
    age: int = Field(description="The person's age in years")


PERSON_PROMPT = "Alice is 31 years old. Extract the person."


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_structured_output_methods(vcr: Any, method: str) -> None:
    prompt = PERSON_PROMPT + (
        " Reply in JSON with keys 'name' and 'age'." if method == "json_mode" else ""
    )
    person = llm().with_structured_output(Person, method=method).invoke(prompt)  # type: ignore[arg-type]
    assert isinstance(person, Person)
    body = sent(vcr)[0]
    if method == "function_calling":
        assert body["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
    else:
        assert body["response_format"]["type"] == (
            "json_object" if method == "json_mode" else "json_schema"
        )


class PersonDict(TypedDict):
    """A person mentioned in the text."""

    name: Annotated[str, ..., "The person's name"]
    age: Annotated[int, ..., "The person's age in years"]


PERSON_SCHEMA = {
    "title": "Person",
    "description": "A person mentioned in the text.",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.mark.parametrize("include_raw", [False, True], ids=["parsed", "raw"])
@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
@pytest.mark.parametrize("schema", [PersonDict, PERSON_SCHEMA], ids=["typeddict", "json-schema"])
def test_structured_output_dict_schemas(
    vcr: Any, schema: Any, method: str, include_raw: bool
) -> None:
    """TypedDict and JSON schema give dicts under every method, with or without raw."""
    prompt = PERSON_PROMPT + (
        " Reply in JSON with keys 'name' and 'age'." if method == "json_mode" else ""
    )
    structured = llm().with_structured_output(
        schema,
        method=method,  # type: ignore[arg-type]
        include_raw=include_raw,
    )
    out = structured.invoke(prompt)
    if include_raw:
        assert isinstance(out, dict) and out["parsing_error"] is None
        assert isinstance(out["raw"], AIMessage)
        out = out["parsed"]
    assert isinstance(out, dict)
    assert isinstance(out["name"], str) and isinstance(out["age"], int)
    body = sent(vcr)[0]
    if method == "function_calling":
        assert body["tools"][0]["function"]["name"] == "Person" + (
            "Dict" if schema is PersonDict else ""
        )
        assert body["parallel_tool_calls"] is False
    elif method == "json_schema":
        assert body["response_format"]["json_schema"]["schema"]["required"] == ["name", "age"]


def test_response_format_class_is_parsed_like_chat_openai(vcr: Any) -> None:
    """`invoke(..., response_format=Model)` (ChatOpenAI's shortcut) sends a json_schema
    format and puts the parsed object in additional_kwargs["parsed"], streamed too."""
    model = llm()
    message = model.invoke(PERSON_PROMPT, response_format=Person)
    assert isinstance(message.additional_kwargs["parsed"], Person)
    full = aggregate(list(model.stream(PERSON_PROMPT, response_format=Person)))
    assert full.additional_kwargs["parsed"] == Person.model_validate_json(full.text)
    for body in sent(vcr):
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "Person"


def test_structured_output_include_raw(vcr: Any) -> None:
    out = llm().with_structured_output(Person, include_raw=True).invoke(PERSON_PROMPT)
    assert isinstance(out, dict)
    assert isinstance(out["parsed"], Person)
    assert out["parsing_error"] is None
    assert isinstance(out["raw"], AIMessage) and out["raw"].usage_metadata is not None


def test_structured_output_dict_schema_streams_partial_dicts(vcr: Any) -> None:
    chunks = list(llm().with_structured_output(Person.model_json_schema()).stream(PERSON_PROMPT))
    assert all(isinstance(chunk, dict) for chunk in chunks)
    assert set(chunks[-1]) == {"name", "age"}


class _TraceMetadata(BaseCallbackHandler):
    """Keeps the LangSmith metadata each chat model run starts with."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, metadata: Any = None, **kwargs: Any
    ) -> None:
        self.metadata.append(dict(metadata or {}))


def test_per_call_model_override_and_stop(vcr: Any) -> None:
    """Per-call keyword arguments win over the instance and over bind(); LangSmith sees the
    model actually called."""
    model = llm(temperature=0.2, stop=["X"], max_tokens=50, seed=1).bind(temperature=0.4)
    trace = _TraceMetadata()
    message = model.invoke(
        "Count to five.",
        model="openai/gpt-5.4",
        stop=["4"],
        temperature=0.9,
        top_p=0.5,
        config={"callbacks": [trace]},
    )
    body = sent(vcr)[0]
    assert body["model"] == "openai/gpt-5.4" and body["stop"] == ["4"]
    assert (body["temperature"], body["top_p"]) == (0.9, 0.5)
    assert (body["max_tokens"], body["seed"]) == (50, 1)  # the instance's, not overridden
    assert "openai/gpt-5.4" in message.response_metadata["model_name"]
    (metadata,) = trace.metadata
    assert metadata["ls_model_name"] == "openai/gpt-5.4"
    assert metadata["ls_provider"] == "skillboss"
    assert (metadata["ls_temperature"], metadata["ls_stop"]) == (0.9, ["4"])


async def test_astream_events_v2_reports_tokens(vcr: Any) -> None:
    events = [
        event
        async for event in llm().astream_events(
            "Write two short sentences about the sea.", version="v2"
        )
    ]
    kinds = [event["event"] for event in events]
    assert kinds[0] == "on_chat_model_start" and kinds[-1] == "on_chat_model_end"
    streamed = [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]
    assert "".join(chunk.text for chunk in streamed)
    assert sum(chunk.usage_metadata is not None for chunk in streamed) == 1
    output = events[-1]["data"]["output"]
    assert output.usage_metadata is not None
