"""Token usage and response metadata over HTTP: once per stream (sync, async, astream_events),
left out with stream_usage=False, reported by `streaming=True` invokes, the sum of its parts.

Each test scripts the answer and the usage the gateway reports for it.
"""

from __future__ import annotations

from typing import Any

from langchain_skillboss import ChatSkillBoss
from tests.integration.langchain_streams import aggregate
from tests.support.scripted_gateway import Reply, ScriptedGateway

MODEL = "openai/gpt-5.4-mini"
PROMPT = "Write two short sentences about the sea."
# The scripted answer, and the usage the gateway reports with it.
USAGE = {
    "prompt_tokens": 14,
    "completion_tokens": 17,
    "total_tokens": 31,
    "prompt_tokens_details": {"cached_tokens": 8},
    "completion_tokens_details": {"reasoning_tokens": 0},
}
SEA = Reply("The sea is wide and grey. Waves fold over the sand.", usage=USAGE)


def llm(server: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    options: dict[str, Any] = {"model": MODEL, "max_retries": 0, **kwargs}
    return ChatSkillBoss(base_url=server.base_url, **options)


def usage_count(chunks: list[Any]) -> int:
    return sum(chunk.usage_metadata is not None for chunk in chunks)


def test_usage_and_metadata_once_per_stream(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(SEA)
    chunks = list(llm(gateway_server).stream(PROMPT))
    assert usage_count(chunks) == 1
    for key in ("model_name", "id", "finish_reason", "system_fingerprint"):
        assert sum(key in chunk.response_metadata for chunk in chunks) == 1, key
    # Every chunk names the provider (merged as one value), as ChatOpenAI's chunks do.
    assert all(chunk.response_metadata["model_provider"] == "skillboss" for chunk in chunks)
    full = aggregate(chunks)
    assert full.text == SEA.content
    assert full.usage_metadata == {
        "input_tokens": 14,
        "output_tokens": 17,
        "total_tokens": 31,
        "input_token_details": {"cache_read": 8},
        "output_token_details": {"reasoning": 0},
    }
    assert full.response_metadata["model_provider"] == "skillboss"
    assert full.response_metadata["model_name"] == MODEL
    assert full.response_metadata["system_fingerprint"] == "fp_scripted"
    assert gateway_server.requests[0].json["stream_options"] == {"include_usage": True}


def test_stream_usage_false_reports_no_usage(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(SEA)
    chunks = list(llm(gateway_server, stream_usage=False).stream(PROMPT))
    assert aggregate(chunks).text == SEA.content
    assert usage_count(chunks) == 0


def test_streaming_true_invoke_still_reports_usage(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(SEA)
    message = llm(gateway_server, streaming=True).invoke(PROMPT)
    assert message.text == SEA.content
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] == 31
    assert gateway_server.requests[0].json["stream"] is True


async def test_astream_usage_once(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(SEA)
    chunks = [chunk async for chunk in llm(gateway_server).astream(PROMPT)]
    assert usage_count(chunks) == 1
    assert aggregate(chunks).usage_metadata["total_tokens"] == 31  # type: ignore[index]


async def test_astream_events_v2_reports_tokens_and_usage_once(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.queue(SEA)
    events = [event async for event in llm(gateway_server).astream_events(PROMPT, version="v2")]
    kinds = [event["event"] for event in events]
    assert kinds[0] == "on_chat_model_start" and kinds[-1] == "on_chat_model_end"
    streamed = [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]
    assert "".join(chunk.text for chunk in streamed) == SEA.content
    assert usage_count(streamed) == 1
    output = events[-1]["data"]["output"]
    assert output.usage_metadata is not None and output.usage_metadata["total_tokens"] == 31
