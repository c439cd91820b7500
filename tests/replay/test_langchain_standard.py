"""langchain-tests' standard integration suite for ChatSkillBoss, replayed from cassettes.

Recorded against the project's scripted local server (`SKILLBOSS_RECORD=local`) or the live
gateway (`make record`); replayed offline by default with a dummy key. The tests that
download media from public hosts cannot run here and are skipped, each with its reason;
test_langchain_media.py covers images, PDFs and audio with media the tests generate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_skillboss import ChatSkillBoss
from tests.support.cassettes import vcr_settings
from tests.support.langchain_capabilities import SkillBossCapabilities

_F = TypeVar("_F", bound=Callable[..., Any])

MODEL = "openai/gpt-5.4-mini"
DOWNLOADS = (
    "needs a download from a public host ({host}), which cannot be reached here and is not "
    "in a cassette; covered by tests/replay/test_langchain_media.py with generated media"
)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _canonical_uuids(request: Any) -> Any:
    """Number the random UUIDs a standard test puts in its messages, in order of appearance.

    test_structured_few_shot_examples builds its tool-call ids with uuid4(), so its request
    body differs on every run; numbering them keeps JSON body matching exact otherwise.
    """
    if not request.body:
        return request
    text = request.body.decode("utf-8") if isinstance(request.body, bytes) else request.body
    seen: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(), f"00000000-0000-4000-8000-{len(seen):012d}")

    canonical = _UUID.sub(number, text)
    if canonical != text:
        json.loads(canonical)  # still JSON: only whole UUID strings were replaced
        request.body = canonical.encode("utf-8")
    return request


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    settings = vcr_settings()
    settings["before_record_request"] = [settings["before_record_request"], _canonical_uuids]
    return settings


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
