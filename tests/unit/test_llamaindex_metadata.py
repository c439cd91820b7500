"""SkillBoss construction, metadata from the catalog, serialization and secrecy (no HTTP)."""

from __future__ import annotations

import logging
import pickle

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms.function_calling import FunctionCallingLLM

from llama_index_skillboss import SkillBoss
from skillboss_core import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    InvalidParameterError,
    MissingAPIKeyError,
)

KEY = "sk-unit-secret-0123456789abcdef"


def test_is_a_function_calling_llm() -> None:
    assert isinstance(SkillBoss(api_key=KEY), FunctionCallingLLM)


def test_known_model_metadata_comes_from_the_catalog() -> None:
    meta = SkillBoss(model="openai/gpt-5.4-mini", api_key=KEY).metadata
    assert meta.is_chat_model is True
    assert meta.is_function_calling_model is True
    assert (meta.context_window, meta.num_output) == (272_000, 128_000)
    assert meta.model_name == "openai/gpt-5.4-mini"


def test_unknown_model_is_accepted_with_conservative_defaults() -> None:
    meta = SkillBoss(model="someone/brand-new-model", api_key=KEY).metadata
    assert meta.is_chat_model is True
    assert meta.is_function_calling_model is True
    assert (meta.context_window, meta.num_output) == (32_768, 4_096)


def test_model_known_not_to_call_functions() -> None:
    assert not SkillBoss(
        model="deepseek/deepseek-reasoner", api_key=KEY
    ).metadata.is_function_calling_model


def test_overrides_win_over_the_catalog() -> None:
    llm = SkillBoss(
        model="openai/gpt-5.4-mini",
        api_key=KEY,
        context_window=8_000,
        max_tokens=256,
        is_function_calling_model=False,
    )
    meta = llm.metadata
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (
        8_000,
        256,
        False,
    )


def test_is_chat_model_false_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        llm = SkillBoss(api_key=KEY, is_chat_model=False)
    assert llm.metadata.is_chat_model is True
    assert "always uses /chat/completions" in caplog.text


def test_key_and_base_url_default_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:9/v1")
    llm = SkillBoss()
    assert llm.api_key is not None and llm.api_key.get_secret_value() == KEY
    assert llm.api_base == "http://127.0.0.1:9/v1"
    monkeypatch.delenv(BASE_URL_ENV)
    assert SkillBoss().api_base == DEFAULT_BASE_URL


def test_missing_key_fails_at_call_time_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    llm = SkillBoss()  # construction works without a key (docs, tests)
    with pytest.raises(MissingAPIKeyError, match=API_KEY_ENV):
        llm.chat([ChatMessage(role="user", content="hi")])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": 2.5}, "temperature must be a number from 0 to 2"),
        ({"top_p": -0.1}, "top_p"),
        ({"max_tokens": 0}, "max_tokens must be a positive integer"),
        ({"top_logprobs": 5}, "top_logprobs needs logprobs=True"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort must be one of"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "at most 4"),
        ({"timeout": 0}, "timeout must be a positive, finite number"),
        ({"api_base": "api.skillboss.co"}, "api_base must start with http"),
        ({"additional_kwargs": {"bogus": 1}}, "unknown parameter 'bogus'"),
        ({"model": " "}, "model must be a non-empty model id"),
    ],
)
def test_bad_values_fail_clearly_at_construction(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        SkillBoss(api_key=KEY, **kwargs)


def test_misspelt_argument_is_an_error_not_silently_ignored() -> None:
    with pytest.raises(ValueError, match="temprature"):
        SkillBoss(api_key=KEY, temprature=0.3)


def test_key_never_appears_in_repr_dumps_or_payloads() -> None:
    llm = SkillBoss(api_key=KEY, temperature=0.2, fallback_models=["openai/gpt-5.4"])
    surfaces = [
        repr(llm),
        str(llm),
        str(llm.to_dict()),
        llm.to_json(),
        llm.model_dump_json(),
        str(llm.to_payload()),
        str(llm.metadata),
    ]
    for text in surfaces:
        assert KEY not in text
    assert "api_key" not in llm.to_dict()
    assert llm.to_payload()["class_name"] == "skillboss_llm"


def test_to_dict_round_trips_everything_but_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, "sk-from-env-0123456789")
    llm = SkillBoss(api_key=KEY, model="reel-31-api", temperature=0.4, seed=7, stop=["END"])
    again = SkillBoss.from_dict(llm.to_dict())
    assert (again.model, again.temperature, again.seed, again.stop) == (
        "reel-31-api",
        0.4,
        7,
        ["END"],
    )
    assert again.api_key is not None
    assert again.api_key.get_secret_value() == "sk-from-env-0123456789"


def test_pickles_with_its_settings() -> None:
    llm = SkillBoss(api_key=KEY, model="openai/gpt-5.4", max_retries=0, fallback_models=["x/y"])
    llm._ready_gateway()  # a gateway exists before pickling
    again = pickle.loads(pickle.dumps(llm))
    assert (again.model, again.max_retries, again.fallback_models) == ("openai/gpt-5.4", 0, ["x/y"])
    assert again.api_key is not None and again.api_key.get_secret_value() == KEY
    assert again._ready_gateway().settings.base_url == llm.api_base


def test_gateway_is_reused_until_settings_change() -> None:
    llm = SkillBoss(api_key=KEY)
    first = llm._ready_gateway()
    assert llm._ready_gateway() is first
    llm.timeout = 5.0
    assert llm._ready_gateway() is not first


def test_none_for_key_or_base_means_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenAILike(api_key=None, api_base=None) reads the environment; so does SkillBoss."""
    monkeypatch.setenv(API_KEY_ENV, KEY)
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:9/v1")
    llm = SkillBoss(api_key=None, api_base=None)
    assert llm.api_key is not None and llm.api_key.get_secret_value() == KEY
    assert llm.api_base == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("kwargs", "window", "output"),
    [
        ({"model": "openai/gpt-5.4-mini", "context_window": 8_000}, 8_000, 4_000),
        ({"model": "someone/brand-new-model", "context_window": 4_096}, 4_096, 2_048),
        (
            {"model": "someone/brand-new-model", "context_window": 4_096, "max_tokens": 100},
            4_096,
            100,
        ),
    ],
)
def test_a_smaller_window_override_leaves_room_for_the_prompt(
    kwargs: dict[str, object], window: int, output: int
) -> None:
    """num_output is what prompt helpers reserve; it must not eat the whole window."""
    from llama_index.core.indices.prompt_helper import PromptHelper
    from llama_index.core.prompts import PromptTemplate

    meta = SkillBoss(api_key=KEY, **kwargs).metadata
    assert (meta.context_window, meta.num_output) == (window, output)
    helper = PromptHelper.from_llm_metadata(meta)
    chunks = helper.repack(PromptTemplate("Context: {context_str}\nQ: {query_str}"), ["x " * 50])
    assert chunks  # "Calculated available context size ... was not non-negative" otherwise
