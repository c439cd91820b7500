"""Core results and stream chunks -> LangChain messages: once-only metadata, usage, tool calls."""

from __future__ import annotations

import json
from functools import reduce
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from pydantic import BaseModel

from langchain_skillboss import StructuredOutputParseError
from langchain_skillboss.outputs import ChunkTranslator, to_chat_result, to_message
from skillboss_core import (
    ChatResult,
    StreamAccumulator,
    StreamChunk,
    ToolCall,
    ToolCallDelta,
    Usage,
)

USAGE = Usage(
    prompt_tokens=10,
    completion_tokens=6,
    total_tokens=16,
    cached_tokens=4,
    reasoning_tokens=2,
    raw={"prompt_tokens": 10},
)


def stream() -> list[StreamChunk]:
    return [
        StreamChunk(
            id="chatcmpl-1",
            model="openai/gpt-5.4-mini",
            system_fingerprint="fp_1",
            service_tier="default",
            requested_model="openai/gpt-5.4-mini",
        ),
        StreamChunk(reasoning="Think"),
        StreamChunk(reasoning="ing."),
        StreamChunk(text="Hel", logprobs=[{"token": "Hel", "logprob": -0.1}]),
        StreamChunk(text="lo", logprobs=[{"token": "lo", "logprob": -0.2}]),
        StreamChunk(
            tool_calls=[
                ToolCallDelta(index=0, id="c0", name="add", arguments=""),
                ToolCallDelta(index=1, id="c1", name="mul", arguments='{"a"'),
            ]
        ),
        StreamChunk(tool_calls=[ToolCallDelta(index=0, id=None, name=None, arguments='{"a":1}')]),
        StreamChunk(tool_calls=[ToolCallDelta(index=1, id=None, name=None, arguments=":2}")]),
        StreamChunk(),  # an event that added nothing
        StreamChunk(finish_reason="tool_calls"),
        StreamChunk(usage=USAGE),
    ]


def translate(chunks: list[StreamChunk], **kwargs: Any) -> list[AIMessageChunk]:
    translator = ChunkTranslator(stream_usage=kwargs.get("stream_usage", True))
    out = [translator(chunk) for chunk in chunks]
    return [g.message for g in out if g is not None]  # type: ignore[misc]


def test_empty_events_produce_no_chunk() -> None:
    messages = translate(stream())
    assert len(messages) == len(stream()) - 1


def test_metadata_keys_appear_on_exactly_one_chunk() -> None:
    messages = translate(stream())
    # model_provider is on every chunk (merged as one value), so each chunk's content blocks
    # go through the SkillBoss translator; the other keys appear once.
    assert all(m.response_metadata.get("model_provider") == "skillboss" for m in messages)
    for key in (
        "model_name",
        "id",
        "system_fingerprint",
        "service_tier",
        "finish_reason",
    ):
        assert sum(key in m.response_metadata for m in messages) == 1, key
    full = reduce(lambda a, b: a + b, messages)
    assert full.response_metadata["model_provider"] == "skillboss"
    assert full.response_metadata["model_name"] == "openai/gpt-5.4-mini"
    assert full.response_metadata["finish_reason"] == "tool_calls"
    assert full.response_metadata["logprobs"]["content"] == [
        {"token": "Hel", "logprob": -0.1},
        {"token": "lo", "logprob": -0.2},
    ]


def test_usage_once_and_aggregate() -> None:
    messages = translate(stream())
    assert sum(m.usage_metadata is not None for m in messages) == 1
    full = reduce(lambda a, b: a + b, messages)
    assert full.usage_metadata == {
        "input_tokens": 10,
        "output_tokens": 6,
        "total_tokens": 16,
        "input_token_details": {"cache_read": 4},
        "output_token_details": {"reasoning": 2},
    }


def test_stream_usage_false_drops_usage() -> None:
    messages = translate(stream(), stream_usage=False)
    assert all(m.usage_metadata is None for m in messages)


def test_reasoning_text_and_parallel_tool_calls_aggregate() -> None:
    full = reduce(lambda a, b: a + b, translate(stream()))
    assert full.content == "Hello"
    assert full.additional_kwargs["reasoning_content"] == "Thinking."
    assert [(c["name"], c["args"], c["id"]) for c in full.tool_calls] == [
        ("add", {"a": 1}, "c0"),
        ("mul", {"a": 2}, "c1"),
    ]
    assert [c["index"] for c in full.tool_call_chunks] == [0, 1]
    assert full.content_blocks[0] == {"type": "reasoning", "reasoning": "Thinking."}


def test_plain_text_chunks_are_bare() -> None:
    translator = ChunkTranslator(stream_usage=True)
    translator(StreamChunk(id="x"))
    generation = translator(StreamChunk(text="hi"))
    assert generation is not None
    message = generation.message
    assert message.content == "hi"
    assert message.response_metadata == {"model_provider": "skillboss"}
    assert message.additional_kwargs == {}


def test_requested_model_is_reported_when_the_server_names_none() -> None:
    messages = translate(
        [StreamChunk(text="a", requested_model="reel-31-api"), StreamChunk(finish_reason="stop")]
    )
    full = reduce(lambda a, b: a + b, messages)
    assert full.response_metadata["model_name"] == "reel-31-api"


def result(**overrides: Any) -> ChatResult:
    values: dict[str, Any] = {
        "id": "chatcmpl-9",
        "model": "openai/gpt-5.4-mini",
        "content": "Hi",
        "reasoning": "Because.",
        "refusal": None,
        "tool_calls": [
            ToolCall(id="c0", name="add", arguments='{"a": 1}', index=0),
            ToolCall(id="c1", name="add", arguments="{oops", index=1),
            ToolCall(id="c2", name="add", arguments="[1]", index=2),
            ToolCall(id="c3", name="now", arguments="", index=3),
        ],
        "finish_reason": "tool_calls",
        "usage": USAGE,
        "logprobs": [{"token": "Hi", "logprob": -0.3}],
        "system_fingerprint": "fp_9",
        "service_tier": "default",
    }
    values.update(overrides)
    return ChatResult(**values)


def test_whole_answer_message() -> None:
    message = to_message(result())
    assert message.id == "chatcmpl-9"
    assert message.content == "Hi"
    assert message.additional_kwargs == {"reasoning_content": "Because."}
    assert [(c["id"], c["args"]) for c in message.tool_calls] == [("c0", {"a": 1}), ("c3", {})]
    assert [c["id"] for c in message.invalid_tool_calls] == ["c1", "c2"]
    assert message.invalid_tool_calls[0]["args"] == "{oops"
    assert message.response_metadata == {
        "model_name": "openai/gpt-5.4-mini",
        "finish_reason": "tool_calls",
        "id": "chatcmpl-9",
        "model_provider": "skillboss",
        "vendor": "openai",
        "system_fingerprint": "fp_9",
        "service_tier": "default",
        "logprobs": {"content": [{"token": "Hi", "logprob": -0.3}]},
    }
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"] == {"reasoning": 2}


def test_refusal_and_missing_details() -> None:
    message = to_message(
        result(
            content=None,
            reasoning=None,
            refusal="No.",
            tool_calls=[],
            logprobs=None,
            usage=Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2),
        )
    )
    assert message.content == ""
    assert message.additional_kwargs == {"refusal": "No."}
    assert message.usage_metadata == {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}
    assert "logprobs" not in message.response_metadata


def test_chat_result_carries_llm_output_and_generation_info_like_chat_openai() -> None:
    lc_result = to_chat_result(result())
    assert lc_result.llm_output == {
        "model_name": "openai/gpt-5.4-mini",
        "token_usage": {"prompt_tokens": 10},
        "system_fingerprint": "fp_9",
    }
    (generation,) = lc_result.generations
    assert generation.generation_info == {
        "finish_reason": "tool_calls",
        "logprobs": {"content": [{"token": "Hi", "logprob": -0.3}]},
    }


def test_finish_chunk_carries_generation_info() -> None:
    translator = ChunkTranslator(stream_usage=True)
    infos = [
        generation.generation_info
        for generation in map(translator, stream())
        if generation is not None and generation.generation_info
    ]
    assert infos == [{"finish_reason": "tool_calls"}]


class Answer(BaseModel):
    city: str


def test_pydantic_response_format_is_parsed_like_chat_openai() -> None:
    parsed = (
        to_chat_result(result(content='{"city": "Paris"}', tool_calls=[]), parse_into=Answer)
        .generations[0]
        .message.additional_kwargs["parsed"]
    )
    assert parsed == Answer(city="Paris")
    refused = (
        to_chat_result(result(content=None, refusal="No.", tool_calls=[]), parse_into=Answer)
        .generations[0]
        .message
    )
    assert refused.additional_kwargs["parsed"] is None
    with pytest.raises(StructuredOutputParseError, match=r"city: Field required"):
        to_chat_result(result(content='{"town": 1}', tool_calls=[]), parse_into=Answer)


def test_streamed_pydantic_response_format_gets_a_parsed_last_chunk() -> None:
    translator = ChunkTranslator(stream_usage=True, parse_into=Answer)
    answer = StreamAccumulator()
    for delta, finish in (({"content": '{"city": '}, None), ({"content": '"Paris"}'}, "stop")):
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        for chunk in answer.feed(b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"):
            translator(chunk)
    last = translator.last_chunk(answer)
    assert last.message.content == ""
    assert last.message.additional_kwargs == {"parsed": Answer(city="Paris")}
    assert ChunkTranslator(stream_usage=True).last_chunk(answer).message.additional_kwargs == {}


def test_every_chunk_of_one_stream_carries_the_gateway_id() -> None:
    """One message, one id: LangChain (and UIs grouping LangGraph message chunks) must not
    see the first chunk under the gateway's id and the rest, or a closing chunk, under
    another. Reproduces issue 12 item 5."""
    translator = ChunkTranslator(stream_usage=True)
    answer = StreamAccumulator()
    events = [
        {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        {"choices": [{"index": 0, "delta": {"content": "Hel"}}]},
        {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
    ]
    generations = []
    for event in events:
        for chunk in answer.feed(b"data: " + json.dumps(event).encode() + b"\n\n"):
            generation = translator(chunk)
            if generation is not None:
                generations.append(generation)
    generations.append(translator.last_chunk(answer))
    assert len(generations) >= 4
    assert {generation.message.id for generation in generations} == {"chatcmpl-1"}
    assert generations[-1].message.chunk_position == "last"
