"""`Settings.llm = SkillBoss(...)` under every LlamaIndex chat engine, over real HTTP.

Each engine streams a first answer, with the retrieved node in its prompt and as the
stream's source, then answers a follow-up with the first turn in its memory: the scripted
first answer must go back to the gateway. Condensing engines first ask the model to rewrite
the follow-up as a standalone question; that call is scripted too.
"""

from __future__ import annotations

import pytest
from llama_index.core import VectorStoreIndex
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.chat_engine.types import ChatMode

from llama_index_skillboss import SkillBoss
from tests.support.scripted_gateway import ScriptedGateway

FIRST = "Where is the key read from?"
FOLLOW_UP = "And what does a 402 answer mean?"
# The scripted model's answers: to FIRST, to the condensing call, to FOLLOW_UP.
KEY_ANSWER = "The key is read from SKILLBOSS_WHOLESALE_KEY."
STANDALONE = "What does a 402 answer from SkillBoss mean?"
BALANCE_ANSWER = "It means the balance is too low."


@pytest.mark.parametrize(
    ("mode", "condenses"),
    [
        (ChatMode.BEST, True),
        (ChatMode.CONDENSE_PLUS_CONTEXT, True),
        (ChatMode.CONTEXT, False),
        (ChatMode.CONDENSE_QUESTION, True),
    ],
)
def test_chat_engines_stream_then_remember(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex, mode: ChatMode, condenses: bool
) -> None:
    gateway_server.queue(KEY_ANSWER, *([STANDALONE] if condenses else []), BALANCE_ANSWER)
    engine = corpus_index.as_chat_engine(chat_mode=mode, similarity_top_k=1)
    streamed = engine.stream_chat(FIRST)
    first = "".join(streamed.response_gen)
    assert first == KEY_ANSWER
    second = engine.chat(FOLLOW_UP)
    assert second.response == BALANCE_ANSWER
    requests = gateway_server.requests
    assert len(requests) == (3 if condenses else 2)
    assert requests[0].json["stream"] is True and FIRST in requests[0].last_user_text
    # similarity_top_k=1: the one node retrieved is the stream's source and was in its prompt.
    [source] = streamed.source_nodes
    assert source.node.get_content() in "\n".join(str(m["content"]) for m in requests[0].messages)
    # The engine's memory went back to the gateway with the first answer in it (to condense
    # the follow-up, or with it); condense_question then asks the question the model wrote.
    assert KEY_ANSWER in str(requests[1].messages)
    if mode == ChatMode.CONDENSE_QUESTION:
        assert STANDALONE in requests[-1].last_user_text
    else:
        assert {"role": "user", "content": FIRST} in requests[-1].messages
        assert {"role": "assistant", "content": KEY_ANSWER} in requests[-1].messages


async def test_async_chat_engine(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex
) -> None:
    gateway_server.queue(KEY_ANSWER, BALANCE_ANSWER)
    engine = corpus_index.as_chat_engine(chat_mode=ChatMode.CONTEXT, similarity_top_k=1)
    streamed = await engine.astream_chat(FIRST)
    first = "".join([token async for token in streamed.async_response_gen()])
    assert first == KEY_ANSWER
    second = await engine.achat(FOLLOW_UP)
    assert second.response == BALANCE_ANSWER
    assert gateway_server.requests[0].json["stream"] is True
    last = gateway_server.requests[-1].messages
    assert {"role": "assistant", "content": KEY_ANSWER} in last


def test_simple_chat_engine(gateway_server: ScriptedGateway, settings_llm: SkillBoss) -> None:
    gateway_server.queue("Red.", "Blue.")
    engine = SimpleChatEngine.from_defaults(system_prompt="Answer briefly.")
    assert "".join(engine.stream_chat("Name one colour.").response_gen) == "Red."
    assert engine.chat("Name another.").response == "Blue."
    assert gateway_server.requests[-1].messages == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Name one colour."},
        {"role": "assistant", "content": "Red."},
        {"role": "user", "content": "Name another."},
    ]
