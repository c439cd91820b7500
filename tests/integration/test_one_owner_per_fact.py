"""One owner per wire fact: the facts issue 24 lists, pinned on both adapters over real HTTP.

Each fact is decided once, in skillboss_core, and ChatSkillBoss (LangChain) and SkillBoss
(LlamaIndex) must read it the same way: the first choice is the one with index 0, in bodies
and in interleaved streams; `reasoning_content` and `reasoning` are both the model's
thinking; every spelling of a tool choice goes on the wire as the one value that means it;
parallel_tool_calls=False keeps the first of the calls a model sends anyway (bodies, streams,
async, and a stream a server answered with a body); and LlamaIndex's finish reason is read by
the core's decoder. Each test drives both adapters through the same scripted loopback
gateway, so an adapter that decides a fact on its own again fails here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool

from langchain_skillboss import ChatSkillBoss
from llama_index_skillboss import SkillBoss
from llama_index_skillboss.outputs import finish_reason_of
from tests.integration.langchain_streams import aggregate
from tests.support.scripted_gateway import Reply, ScriptedGateway, ScriptResult, ToolCall
from tests.support.wire import CREATED, DONE, JSON, render

MODEL = "openai/gpt-5.4-mini"
QUESTION = "What is the weather in Paris and the local time in Tokyo?"
ADAPTERS = ("langchain", "llamaindex")
Adapter = Literal["langchain", "llamaindex"]
Mode = Literal["invoke", "stream", "ainvoke", "astream"]
MODES: tuple[Mode, ...] = ("invoke", "stream", "ainvoke", "astream")
JSON_HEADERS = {"Content-Type": "application/json"}
SSE_HEADERS = {"Content-Type": "text/event-stream"}
USAGE = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}


def weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def local_time(city: str) -> str:
    """Get the local time in a city."""
    return f"Noon in {city}"


LLAMAINDEX_TOOLS = [FunctionTool.from_defaults(weather), FunctionTool.from_defaults(local_time)]
FIRST_CALL = ("call_weather", "weather", {"city": "Paris"})
SECOND_CALL = ("call_time", "local_time", {"city": "Tokyo"})
# A model that answers with two calls at once, whatever the request allowed.
TWO_CALLS = Reply(
    tool_calls=[
        ToolCall("weather", {"city": "Paris"}, id="call_weather"),
        ToolCall("local_time", {"city": "Tokyo"}, id="call_time"),
    ]
)


# --------------------------------------------------------------------------- the wire


def completion(*choices: JSON) -> JSON:
    """A chat.completion body holding `choices` in the order given."""
    return {
        "id": "chatcmpl-facts",
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": list(choices),
        "usage": USAGE,
    }


def chunk(*choices: JSON, usage: JSON | None = None) -> JSON:
    """A chat.completion.chunk holding `choices` in the order given."""
    event: JSON = {
        "id": "chatcmpl-facts",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": list(choices),
    }
    if usage is not None:
        event["usage"] = usage
    return event


def delta(index: int, finish: str | None = None, **fields: Any) -> JSON:
    """One streamed choice."""
    return {"index": index, "delta": fields, "finish_reason": finish}


def serve(server: ScriptedGateway, *, body: JSON, events: list[JSON] | None) -> None:
    """Answer every chat request with `body`, or, when it streams and `events` are given,
    with those events as SSE (one HTTP chunk each)."""

    def answer(request: JSON) -> ScriptResult:
        if request.get("stream") is True and events is not None:
            pieces = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
            return 200, SSE_HEADERS, [*pieces, DONE]
        return 200, JSON_HEADERS, json.dumps(body).encode()

    server.script(answer)


# --------------------------------------------------------------------------- the adapters


@dataclass(frozen=True)
class Said:
    """What an adapter handed back, read the way its users read it."""

    text: str
    reasoning: str
    finish_reason: str | None
    calls: list[tuple[str | None, str, Any]]


def langchain_said(message: AIMessage) -> Said:
    """An AIMessage (or the sum of a stream's chunks)."""
    assert not message.invalid_tool_calls
    return Said(
        text=message.text,
        reasoning=message.additional_kwargs.get("reasoning_content", ""),
        finish_reason=message.response_metadata.get("finish_reason"),
        calls=[(c["id"], c["name"], c["args"]) for c in message.tool_calls],
    )


def llamaindex_said(responses: list[ChatResponse]) -> Said:
    """The last ChatResponse of a call (the only one unless it streamed); a stream's deltas
    must add up to what its last response holds."""
    final = responses[-1]
    blocks = final.message.blocks
    reasoning = "".join(b.content or "" for b in blocks if isinstance(b, ThinkingBlock))
    calls = [
        (b.tool_call_id, b.tool_name, b.tool_kwargs) for b in blocks if isinstance(b, ToolCallBlock)
    ]
    wire_calls = final.message.additional_kwargs.get("tool_calls", [])
    assert [c["id"] for c in wire_calls] == [c[0] for c in calls]
    text = final.message.content or ""
    if len(responses) > 1:
        assert "".join(r.delta or "" for r in responses) == text
        thoughts = "".join(r.additional_kwargs.get("thinking_delta", "") for r in responses)
        assert thoughts == reasoning
    return Said(text, reasoning, finish_reason_of(final), calls)


async def ask(
    adapter: Adapter,
    server: ScriptedGateway,
    mode: Mode,
    *,
    tools: bool = False,
    parallel: bool = True,
) -> Said:
    """Ask QUESTION through `adapter` in `mode`; with `tools`, the two tools bound, parallel
    calls allowed or not (each adapter's own way of saying it)."""
    if adapter == "langchain":
        return langchain_said(await ask_langchain(server, mode, tools=tools, parallel=parallel))
    return llamaindex_said(await ask_llamaindex(server, mode, tools=tools, parallel=parallel))


async def ask_langchain(
    server: ScriptedGateway, mode: Mode, *, tools: bool, parallel: bool
) -> AIMessage:
    model = ChatSkillBoss(model=MODEL, api_key="sk-test", base_url=server.base_url, max_retries=0)
    runnable: Runnable[LanguageModelInput, AIMessage] = model
    if tools:
        off = {} if parallel else {"parallel_tool_calls": False}
        runnable = model.bind_tools([weather, local_time], **off)
    if mode == "invoke":
        return runnable.invoke(QUESTION)
    if mode == "ainvoke":
        return await runnable.ainvoke(QUESTION)
    if mode == "stream":
        return aggregate(list(runnable.stream(QUESTION)))
    return aggregate([c async for c in runnable.astream(QUESTION)])


async def ask_llamaindex(
    server: ScriptedGateway, mode: Mode, *, tools: bool, parallel: bool
) -> list[ChatResponse]:
    model = SkillBoss(model=MODEL, api_key="sk-test", api_base=server.base_url, max_retries=0)
    if tools:
        kwargs: dict[str, Any] = {"user_msg": QUESTION, "allow_parallel_tool_calls": parallel}
        if mode == "invoke":
            return [model.chat_with_tools(LLAMAINDEX_TOOLS, **kwargs)]
        if mode == "ainvoke":
            return [await model.achat_with_tools(LLAMAINDEX_TOOLS, **kwargs)]
        if mode == "stream":
            return list(model.stream_chat_with_tools(LLAMAINDEX_TOOLS, **kwargs))
        return [r async for r in await model.astream_chat_with_tools(LLAMAINDEX_TOOLS, **kwargs)]
    messages = [ChatMessage(role=MessageRole.USER, content=QUESTION)]
    if mode == "invoke":
        return [model.chat(messages)]
    if mode == "ainvoke":
        return [await model.achat(messages)]
    if mode == "stream":
        return list(model.stream_chat(messages))
    return [r async for r in await model.astream_chat(messages)]


# --------------------------------------------------------------------------- 1. first choice


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_the_first_choice_is_index_0_not_the_first_listed(
    gateway_server: ScriptedGateway, adapter: Adapter, mode: Mode
) -> None:
    """n > 1 answers may list or interleave their choices in any order: index 0's text and
    finish reason are the answer, never a word of index 1's."""
    body = completion(
        {
            "index": 1,
            "message": {"role": "assistant", "content": "wrong"},
            "finish_reason": "length",
        },
        {"index": 0, "message": {"role": "assistant", "content": "right"}, "finish_reason": "stop"},
    )
    events = [
        chunk(delta(1, role="assistant", content="wr"), delta(0, role="assistant", content="ri")),
        chunk(delta(1, content="ong")),
        chunk(delta(0, content="ght")),
        chunk(delta(1, "length")),
        chunk(delta(0, "stop")),
        chunk(usage=USAGE),
    ]
    serve(gateway_server, body=body, events=events)
    said = await ask(adapter, gateway_server, mode)
    assert (said.text, said.finish_reason) == ("right", "stop")
    assert (gateway_server.last_request.json.get("stream") is True) == mode.endswith("stream")


# --------------------------------------------------------------------------- 2. reasoning

THOUGHT = "Short waves scatter most, so blue."
ANSWER = "The sky is blue."


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_either_reasoning_field_is_the_models_thinking(
    gateway_server: ScriptedGateway, adapter: Adapter, field: str, mode: Mode
) -> None:
    """DeepSeek writes `reasoning_content`, OpenRouter and Groq `reasoning`: in a body or in
    stream deltas, both are the adapter's reasoning and neither leaks into the answer."""
    message = {"role": "assistant", "content": ANSWER, field: THOUGHT}
    body = completion({"index": 0, "message": message, "finish_reason": "stop"})
    events = [
        chunk(delta(0, role="assistant", content="")),
        chunk(delta(0, **{field: "Short waves scatter"})),
        chunk(delta(0, **{field: " most, so blue."})),
        chunk(delta(0, content="The sky")),
        chunk(delta(0, content=" is blue.")),
        chunk(delta(0, "stop")),
        chunk(usage=USAGE),
    ]
    serve(gateway_server, body=body, events=events)
    said = await ask(adapter, gateway_server, mode)
    assert (said.reasoning, said.text) == (THOUGHT, ANSWER)


# --------------------------------------------------------------------------- 3. tool choice

NAMED = {"type": "function", "function": {"name": "weather"}}
# meaning -> (the wire value, each adapter's spellings of it). LangChain's go to
# bind_tools, LlamaIndex's to chat_with_tools (which sends "auto" when told nothing).
SPELLINGS: dict[str, tuple[Any, list[tuple[Adapter, dict[str, Any]]]]] = {
    "required": (
        "required",
        [
            ("langchain", {"tool_choice": "any"}),
            ("langchain", {"tool_choice": "required"}),
            ("langchain", {"tool_choice": True}),
            ("llamaindex", {"tool_required": True}),
            ("llamaindex", {"tool_choice": "required"}),
            ("llamaindex", {"tool_choice": "any"}),
        ],
    ),
    "none": (
        "none",
        [("langchain", {"tool_choice": "none"}), ("llamaindex", {"tool_choice": "none"})],
    ),
    "auto": (
        "auto",
        [
            ("langchain", {"tool_choice": "auto"}),
            ("llamaindex", {}),
            ("llamaindex", {"tool_choice": "auto"}),
        ],
    ),
    "named": (
        NAMED,
        [("langchain", {"tool_choice": "weather"}), ("llamaindex", {"tool_choice": "weather"})],
    ),
}


@pytest.mark.parametrize("meaning", list(SPELLINGS))
def test_every_spelling_of_a_tool_choice_sends_one_wire_value(
    gateway_server: ScriptedGateway, meaning: str
) -> None:
    """ "any", True and tool_required all mean "required"; a tool name means that function:
    whichever adapter and spelling, the gateway gets the same `tool_choice`."""
    wire_value, spellings = SPELLINGS[meaning]
    gateway_server.reply = Reply("Sunny.")
    sent: dict[str, Any] = {}
    for adapter, kwargs in spellings:
        if adapter == "langchain":
            model = ChatSkillBoss(
                model=MODEL, api_key="sk-test", base_url=gateway_server.base_url, max_retries=0
            )
            model.bind_tools([weather, local_time], **kwargs).invoke(QUESTION)
        else:
            llm = SkillBoss(
                model=MODEL, api_key="sk-test", api_base=gateway_server.base_url, max_retries=0
            )
            llm.chat_with_tools(LLAMAINDEX_TOOLS, user_msg=QUESTION, **kwargs)
        body = gateway_server.last_request.json
        assert [t["function"]["name"] for t in body["tools"]] == ["weather", "local_time"]
        sent[f"{adapter} {kwargs}"] = body.get("tool_choice")
    assert sent == dict.fromkeys(sent, wire_value)
    assert len(gateway_server.requests) == len(spellings)


# --------------------------------------------------------------------------- 4. parallel calls


def two_calls_as_a_body(request: JSON) -> ScriptResult:
    """A server that ignores `stream: true` and answers the two calls as a whole body."""
    answer = render({**request, "stream": False}, TWO_CALLS)
    assert isinstance(answer, Mapping)
    return 200, JSON_HEADERS, json.dumps(answer).encode()


@pytest.mark.parametrize(
    ("mode", "as_body"),
    [
        ("invoke", False),
        ("stream", False),
        ("ainvoke", False),
        ("astream", False),
        ("stream", True),
        ("astream", True),
    ],
    ids=[
        "invoke",
        "stream",
        "ainvoke",
        "astream",
        "stream-answered-as-body",
        "astream-answered-as-body",
    ],
)
@pytest.mark.parametrize("parallel", [False, True], ids=["parallel-off", "parallel-allowed"])
@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_parallel_calls_off_keeps_the_first_of_two_calls(
    gateway_server: ScriptedGateway, adapter: Adapter, parallel: bool, mode: Mode, as_body: bool
) -> None:
    """A model that sends two calls when the request ruled out parallel calls disobeyed it:
    both adapters hand back the first call only (an agent must not run the second), however
    the answer came; with parallel calls allowed both calls come back."""
    if as_body:
        gateway_server.script(two_calls_as_a_body)
    else:
        gateway_server.queue(TWO_CALLS)
    said = await ask(adapter, gateway_server, mode, tools=True, parallel=parallel)
    expected = [FIRST_CALL, SECOND_CALL] if parallel else [FIRST_CALL]
    assert said.calls == expected
    assert said.finish_reason == "tool_calls"
    [request] = gateway_server.requests
    assert request.json.get("parallel_tool_calls") is (None if parallel else False)
    assert (request.json.get("stream") is True) == mode.endswith("stream")


# --------------------------------------------------------------------------- 5. finish reason


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            {
                "choices": [
                    {"index": 1, "finish_reason": "stop"},
                    {"index": 0, "finish_reason": "length"},
                ]
            },
            "length",
        ),
        ({"finish_reason": "tool_calls"}, "tool_calls"),
        (None, None),
        ("not a body", None),
    ],
    ids=["body-choices-out-of-order", "stream-summary", "no-raw", "raw-not-a-dict"],
)
def test_llamaindex_finish_reason_is_read_by_the_core(raw: Any, reason: str | None) -> None:
    """finish_reason_of reads a body's first choice by index, as the core's decoder does (it
    used to take choices[0]); a stream's summary says it; anything else says nothing."""
    response = ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=""), raw=raw)
    assert finish_reason_of(response) == reason
