"""The stand-in's scripted answers to the examples' questions, for recording their cassettes.

`make record-local` records the examples against a local server that answers from this
table, so that the offline demo shows on-topic answers: a tool call where an example asks a
question its tools answer, then a sentence built from the tool results the example sent back.
A question not in the table gets a 400 naming it, so a changed example cannot be recorded
with a made-up answer. `make record` (a key) records the live gateway's answers instead.

Embeddings need no entry here: the stand-in answers /v1/embeddings with the vectors of
tests/support/embedder.py (a hashed bag of words), so the RAG examples really retrieve, and
each RAG answer below restates the one document its question retrieves.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.answer_table import Answer, answering
from tests.support.answer_table import reply_for as _reply_for
from tests.support.scripted_gateway import ScriptResult
from tests.support.wire import Reply

ANSWERS = (
    # langchain_quickstart.py
    Answer(
        "what is the SkillBoss gateway good for?",
        "One OpenAI-compatible endpoint and one wholesale key for many vendors' models, "
        "so switching models is a one-line change.",
    ),
    Answer("Say hello to a new LangChain user", "Hello, and welcome to LangChain!"),
    Answer(
        "The city of Paris, country France, has about 2100000 inhabitants. Extract the city.",
        json.dumps({"name": "Paris", "country": "France", "population": 2100000}),
    ),
    # langchain_agent.py
    Answer(
        "What is the weather in Paris, and what are 250 euros in currency JPY?",
        lambda r: f"Paris is {r['get_weather']} today, and 250 euros are {r['convert_currency']}.",
        calls={
            "get_weather": {"city": "Paris"},
            "convert_currency": {"amount": 250, "currency": "JPY"},
        },
    ),
    # llamaindex_rag.py: the answers restate the retrieved document they come from.
    Answer(
        "What does an HTTP 503 from the gateway mean?",
        "It means the lite-tier discount pool is out of capacity: retry later, or fall back "
        "to a standard-tier model.",
    ),
    Answer(
        "How is wholesale usage billed?",
        "Per million tokens, at a contract discount on the vendor's list price, with no "
        "platform markup.",
    ),
    # langchain_rag.py: the answers restate the retrieved document they come from.
    Answer(
        "What should I do after an HTTP 402 from the gateway?",
        "Your wholesale credits ran out: top up on the wholesale dashboard; retrying a 402 "
        "does not help, it is never retried.",
    ),
    Answer(
        "Which chunk of a streamed answer reports the token usage?",
        "The last chunk: a streamed answer reports its token usage once, on the last chunk.",
    ),
    # llamaindex_agent.py
    Answer(
        "What is the weather in Paris, and what is 21 Celsius in Fahrenheit?",
        lambda r: (
            f"Paris is {r['get_weather']} today, and 21 °C is {r['celsius_to_fahrenheit']} °F."
        ),
        calls={"get_weather": {"city": "Paris"}, "celsius_to_fahrenheit": {"celsius": 21}},
    ),
    # drop_in_swap.py
    Answer("Greet a new customer briefly.", "Hello and welcome! How can I help you today?"),
    Answer(
        "What is the status of order id A1042?",
        lambda r: f"Order A1042 was {r['order_status']}.",
        calls={"order_status": {"order_id": "A1042"}},
    ),
)


def reply_for(body: dict[str, Any]) -> Reply | None:
    """The scripted reply to a request body, or None when no answer is scripted for it."""
    return _reply_for(ANSWERS, body)


def answer(body: dict[str, Any]) -> ScriptResult | Reply:
    """A ScriptedGateway script: the scripted reply (the server streams it or not as the
    request asks), or a 400 naming the question nobody scripted."""
    return answering(ANSWERS, "demo/answers.py")(body)
