"""Log probabilities over HTTP: asked for with logprobs/top_logprobs, returned in
response_metadata["logprobs"] on invoke and on the merged stream, one entry per token.

The scripted gateway writes one logprob entry per word of the scripted answer, with
`top_logprobs` alternatives each (the first being the token itself).
"""

from __future__ import annotations

from typing import Any

from langchain_skillboss import ChatSkillBoss
from tests.integration.langchain_streams import aggregate
from tests.support.scripted_gateway import ScriptedGateway

MODEL = "openai/gpt-5.4-mini"
HELLO = "Hello there, friend."
TOKENS = ["Hello", " there,", " friend."]  # the words the gateway reports logprobs for


def check_logprobs(entries: list[dict[str, Any]], top: int) -> None:
    assert [entry["token"] for entry in entries] == TOKENS
    for entry in entries:
        assert isinstance(entry["logprob"], float)
        assert len(entry["top_logprobs"]) == top
        assert entry["top_logprobs"][0]["token"] == entry["token"]


def test_logprobs_on_invoke_and_stream(gateway_server: ScriptedGateway) -> None:
    gateway_server.queue(HELLO, HELLO)
    model = ChatSkillBoss(
        model=MODEL, base_url=gateway_server.base_url, max_retries=0, logprobs=True, top_logprobs=2
    )
    message = model.invoke("Say hello")
    check_logprobs(message.response_metadata["logprobs"]["content"], 2)
    full = aggregate(list(model.stream("Say hello")))
    check_logprobs(full.response_metadata["logprobs"]["content"], 2)
    assert full.content == HELLO
    for request in gateway_server.requests:
        assert (request.json["logprobs"], request.json["top_logprobs"]) == (True, 2)
