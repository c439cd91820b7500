"""langchain-tests' standard integration suite for ChatSkillBoss, replayed from cassettes.

Recorded against the project's scripted local server (`SKILLBOSS_RECORD=local`) or the live
gateway (`make record`); replayed offline by default with a dummy key. The tests that
download media from public hosts cannot run here and are skipped, each with its reason;
test_langchain_media.py covers images, PDFs and audio with media the tests generate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_skillboss import ChatSkillBoss
from tests.support.answer_table import Answer
from tests.support.langchain_capabilities import MODEL, SkillBossCapabilities

_F = TypeVar("_F", bound=Callable[..., Any])

DOWNLOADS = (
    "needs a download from a public host ({host}), which cannot be reached here and is not "
    "in a cassette; covered by tests/integration/test_langchain_media.py with generated media"
)


# What the scripted stand-in answers each question the suite asks when re-recording with
# `make record-local` (tests/support/answer_table.py: the first entry asked answers).
SKY = "Sunlight scatters off air molecules, and blue light scatters the most."
JOKE = {
    "setup": "Why did the cat sit on the computer?",
    "punchline": "To keep an eye on the mouse.",
}
STANDARD_ANSWERS = (
    Answer(
        "What is the weather in San Francisco, CA?",
        lambda results: f"San Francisco: {results['get_weather']}",
        calls={"get_weather": {"location": "San Francisco, CA"}},
    ),
    Answer("What is the value of magic_function(3)?", "", calls={"magic_function": {"input": 3}}),
    Answer(
        "What is the value of magic_function_no_args()?",
        "",
        calls={"magic_function_no_args": {}},
    ),
    Answer(
        "generate a Pirate greeting", "", calls={"greeting_generator": {"answer_style": "pirate"}}
    ),
    Answer("What is 3 + 4", "", calls={"my_adder_tool": {"a": 3, "b": 4}}),
    Answer("What is 1 + 2", "1 + 2 is 3."),
    Answer(
        "Create a customer named '你好啊集团'",
        "",
        calls={
            "unicode_customer": {
                "customer_name": "你好啊集团",
                "description": "A Chinese technology company",
            }
        },
    ),
    Answer(
        "Create a customer named 'こんにちは株式会社'",
        "",
        calls={
            "unicode_customer": {
                "customer_name": "こんにちは株式会社",
                "description": "A Japanese company",
            }
        },
    ),
    Answer("Give me the setup to a joke about cats", json.dumps({"setup": JOKE["setup"]})),
    Answer("Tell me a joke about cats. Return the result as a JSON", json.dumps(JOKE)),
    Answer("Give me a joke about cats, include the punchline.", json.dumps(JOKE)),
    Answer("Tell me a joke about cats.", json.dumps(JOKE)),
    Answer(
        "Explain briefly why the sky is blue.",
        SKY,
        reasoning="Rayleigh scattering: shorter wavelengths scatter more.",
    ),
    Answer("Here is a long shared context.", "A shared context, repeated."),
    Answer(
        "Write me 2 haikus. Only include the haikus.",
        "Gateway hums softly\nmany models, one key\n\nRequests come and go\nanswers stream back",
    ),
    Answer(
        "Write a story about a cat.",
        "A cat found a warm keyboard, sat on it, and wrote this story.",
    ),
    Answer("Hello!", "", calls={"magic_function": {"input": 1}}),
    Answer("Hello", "Hello! How can I help you today?"),
    Answer("Hey", "Hey! What can I do for you?"),
    Answer("hello", "Hello there."),
    Answer("how are you", "I am well, thank you for asking."),
    Answer("hi", "Hi! Nice to meet."),
)


@pytest.fixture(autouse=True)
def _scripted_answers(stand_in: Callable[[Sequence[Answer], str], None]) -> None:
    stand_in(STANDARD_ANSWERS, "STANDARD_ANSWERS in tests/replay/test_langchain_standard.py")


def _downloads(host: str) -> Callable[[_F], _F]:
    """Skip a standard test that fetches media over the internet, saying so.

    langchain-tests only accepts an overridden standard test marked xfail with a reason;
    the skip mark (same reason) decides the outcome, so the test reports as skipped.
    """
    reason = DOWNLOADS.format(host=host)

    def mark(test: _F) -> _F:
        return pytest.mark.skip(reason=reason)(pytest.mark.xfail(reason=reason)(test))

    return mark


def _stream(model: ChatSkillBoss, prompt: str) -> AIMessage:
    full: AIMessageChunk | None = None
    for chunk in model.stream(prompt):
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


@pytest.mark.vcr
class TestChatSkillBossStandard(SkillBossCapabilities, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatSkillBoss]:
        return ChatSkillBoss

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # The key comes from the environment: a dummy one when replaying (tests/conftest.py).
        return {"model": MODEL, "max_retries": 0}

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        details = ["reasoning_output", "cache_read_input"]
        return {"invoke": details, "stream": details}

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        model = ChatSkillBoss(model="deepseek/deepseek-reasoner", max_retries=0)
        prompt = "Explain briefly why the sky is blue."
        return _stream(model, prompt) if stream else model.invoke(prompt)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        model = ChatSkillBoss(model=MODEL, max_retries=0)
        # A long, repeated prefix is what providers cache.
        prompt = "Here is a long shared context. " * 40 + "Summarise it in one line."
        return _stream(model, prompt) if stream else model.invoke(prompt)

    @_downloads("raw.githubusercontent.com")
    def test_image_inputs(self, model: Any) -> None:
        super().test_image_inputs(model)

    @_downloads("raw.githubusercontent.com")
    def test_image_tool_message(self, model: Any) -> None:
        super().test_image_tool_message(model)

    @_downloads("www.w3.org")
    def test_pdf_inputs(self, model: Any) -> None:
        super().test_pdf_inputs(model)

    @_downloads("www.w3.org")
    def test_pdf_tool_message(self, model: Any) -> None:
        super().test_pdf_tool_message(model)

    @_downloads("upload.wikimedia.org")
    def test_audio_inputs(self, model: Any) -> None:
        super().test_audio_inputs(model)

    @_downloads("raw.githubusercontent.com")
    def test_anthropic_inputs(self, model: Any) -> None:
        super().test_anthropic_inputs(model)
