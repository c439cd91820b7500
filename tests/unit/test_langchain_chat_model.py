"""ChatSkillBoss construction, validation, LangChain metadata, serialization, tokens (no HTTP)."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, SecretStr, ValidationError
from typing_extensions import TypedDict

from langchain_skillboss import ChatSkillBoss
from langchain_skillboss.chat_models import DEFAULT_MODEL
from skillboss_core.catalog.models import lookup

SECRET = "sb-unit-secret-value-0123456789"


def make(**kwargs: Any) -> ChatSkillBoss:
    return ChatSkillBoss(**{"api_key": SECRET, **kwargs})


def test_defaults_and_model_name_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLBOSS_BASE_URL", raising=False)
    llm = make()
    assert llm.model == llm.model_name == DEFAULT_MODEL
    assert llm.base_url == "https://api.skillboss.co/v1"
    assert llm.stream_usage is True and llm.streaming is False
    assert make(model_name="reel-31-api").model == "reel-31-api"
    assert make(model="reel-31-api").model_name == "reel-31-api"


def test_key_and_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", "from-env")
    monkeypatch.setenv("SKILLBOSS_BASE_URL", "http://127.0.0.1:9/v1")
    llm = ChatSkillBoss()
    assert isinstance(llm.api_key, SecretStr)
    assert llm.api_key.get_secret_value() == "from-env"
    assert llm.base_url == "http://127.0.0.1:9/v1"


def test_missing_key_is_fine_until_a_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    llm = ChatSkillBoss()
    assert llm.api_key is None
    with pytest.raises(ValueError, match="SKILLBOSS_WHOLESALE_KEY"):
        llm.invoke("hi")


def test_unknown_kwargs_move_to_model_kwargs_with_a_warning() -> None:
    with pytest.warns(UserWarning) as caught:
        llm = make(user="u-1", logit_bias={"50256": -100})
    assert [str(w.message).split(" is not")[0] for w in caught] == ["'user'", "'logit_bias'"]
    assert llm.model_kwargs == {"user": "u-1", "logit_bias": {"50256": -100}}
    # Known ChatParams keys are validated; the rest go into the body via extra_body.
    params = llm._params(None, {})
    assert params.user == "u-1"
    assert params.extra_body == {"logit_bias": {"50256": -100}}


def test_explicit_parameters_in_model_kwargs_are_moved_out() -> None:
    with pytest.warns(UserWarning, match="should be passed as"):
        llm = make(model_kwargs={"temperature": 0.3})
    assert llm.temperature == 0.3 and llm.model_kwargs == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": 2.5}, "temperature must be a number from 0 to 2"),
        ({"top_p": -0.1}, "top_p"),
        ({"frequency_penalty": 3}, "frequency_penalty"),
        ({"presence_penalty": -3}, "presence_penalty"),
        ({"top_logprobs": 3}, "top_logprobs needs logprobs=True"),
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "at most 4"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort must be one of"),
        ({"max_tokens": 0}, "max_tokens must be a positive integer"),
        ({"max_completion_tokens": -5}, "max_completion_tokens"),
        ({"model": " "}, "model must be a non-empty"),
        ({"timeout": 0}, "timeout must be a positive"),
        ({"base_url": "api.skillboss.co"}, "base_url must start with http"),
        ({"model_kwargs": {"tool_choice": "sometimes"}}, "tool_choice"),
    ],
)
def test_out_of_range_values_fail_at_construction(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(**kwargs)


def test_validation_errors_never_echo_the_key() -> None:
    with pytest.raises(ValidationError) as caught:
        make(temperature=9)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


def test_key_never_in_repr_str_or_dump() -> None:
    llm = make(temperature=0.1)
    for text in (repr(llm), str(llm), dumps(llm), repr(llm.asdict())):
        assert SECRET not in text
    assert dumpd(llm)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["SKILLBOSS_WHOLESALE_KEY"],
    }


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_dump_load_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = make(
        model="openai/gpt-5.4", temperature=0.2, max_tokens=50, fallback_models=["reel-31-api"]
    )
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", SECRET)
    loaded = load(
        dumpd(llm),
        allowed_objects=[ChatSkillBoss],
        valid_namespaces=["langchain_skillboss"],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatSkillBoss)
    assert loaded.asdict() == llm.asdict()
    assert loaded.fallback_models == ["reel-31-api"]
    assert loaded.api_key is not None and loaded.api_key.get_secret_value() == SECRET


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_dump_load_round_trip_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A model built before the key is known (e.g. in a config file) serializes and loads;
    the key is looked up again when it is needed."""
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    llm = ChatSkillBoss(model="openai/gpt-5.4", stop_sequences=["END"])
    dumped = dumpd(llm)
    assert "api_key" not in dumped["kwargs"]
    loaded = load(
        dumped,
        allowed_objects=[ChatSkillBoss],
        valid_namespaces=["langchain_skillboss"],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatSkillBoss)
    assert (loaded.api_key, loaded.model, loaded.stop) == (None, "openai/gpt-5.4", ["END"])
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", SECRET)
    again = load(dumped, allowed_objects=[ChatSkillBoss], valid_namespaces=["langchain_skillboss"])
    assert again.api_key is not None and again.api_key.get_secret_value() == SECRET


def test_pickles_without_losing_settings() -> None:
    llm = pickle.loads(pickle.dumps(make(temperature=0.4)))
    assert llm.temperature == 0.4
    assert llm.gateway.settings.require_api_key() == SECRET


def test_gateway_settings_follow_the_fields() -> None:
    llm = make(
        base_url="http://127.0.0.1:1/v1/",
        timeout=5,
        max_retries=0,
        default_headers={"X-Team": "a"},
    )
    settings = llm.gateway.settings
    assert settings.base_url == "http://127.0.0.1:1/v1"
    assert (settings.timeout, settings.max_retries) == (5, 0)
    assert settings.headers()["X-Team"] == "a"
    assert make(max_retries=None).gateway.settings.max_retries == 2


def test_identity_and_langsmith_params() -> None:
    llm = make(temperature=0.5, max_tokens=20, stop="END")
    assert llm._llm_type == "skillboss-chat"
    assert llm._identifying_params["model_name"] == DEFAULT_MODEL
    assert llm._identifying_params["temperature"] == 0.5
    assert llm._get_ls_params() == {
        "ls_provider": "skillboss",
        "ls_model_name": DEFAULT_MODEL,
        "ls_model_type": "chat",
        "ls_temperature": 0.5,
        "ls_max_tokens": 20,
        "ls_stop": ["END"],
    }
    per_call = llm._get_ls_params(stop=["x"], model="reel-31-api", temperature=1.0)
    assert per_call["ls_model_name"] == "reel-31-api"
    assert per_call["ls_temperature"] == 1.0
    assert per_call["ls_stop"] == ["x"]
    assert make(max_completion_tokens=7)._get_ls_params()["ls_max_tokens"] == 7


def test_per_call_overrides_are_merged_and_validated() -> None:
    llm = make(temperature=0.5, stop=["a"], extra_body={"k": 1})
    params = llm._params(
        ["b"], {"temperature": 1.5, "model": "reel-31-api", "extra_body": {"j": 2}}
    )
    assert (params.temperature, params.stop, params.model) == (1.5, ["b"], "reel-31-api")
    assert params.extra_body == {"k": 1, "j": 2}
    assert make(stop=[])._params(None, {}).stop is None
    with pytest.raises(ValueError, match="temperature"):
        llm._params(None, {"temperature": 7})
    with pytest.raises(ValueError, match="unknown parameter 'temprature'"):
        llm._params(None, {"temprature": 1})


def test_per_call_chat_completions_fields_go_into_the_body() -> None:
    """`invoke(..., logit_bias=..., service_tier=...)` works as with ChatOpenAI."""
    llm = make(extra_body={"k": 1})
    params = llm._params(None, {"logit_bias": {"50256": -100}, "service_tier": "flex", "user": "u"})
    assert params.extra_body == {"k": 1, "logit_bias": {"50256": -100}, "service_tier": "flex"}
    assert params.user == "u"
    body = params.to_body([{"role": "user", "content": "hi"}], stream=False)
    assert body["logit_bias"] == {"50256": -100} and body["service_tier"] == "flex"


def test_profile_comes_from_the_catalog() -> None:
    known = make(model="openai/gpt-5.4-mini").profile
    assert known is not None
    assert known["max_input_tokens"] == lookup("openai/gpt-5.4-mini").context_window == 272_000
    assert known["image_inputs"] and known["pdf_inputs"] and known["reasoning_output"]
    assert known["tool_calling"] and known["structured_output"]
    unknown = make(model="vendor/unknown-model").profile
    assert unknown is not None
    assert unknown["max_input_tokens"] == 32_768 and unknown["image_inputs"] is False
    reasoner = make(model="deepseek/deepseek-reasoner").profile
    assert reasoner is not None and reasoner["tool_calling"] is False
    gemini = make(model="vertex/gemini-2.5-pro").profile  # a window no hand table had
    assert gemini is not None and gemini["max_input_tokens"] == 1_048_576
    assert gemini["audio_inputs"] and gemini["image_inputs"]


def test_an_explicit_profile_wins_over_the_catalog() -> None:
    llm = make(model="openai/gpt-5.4-mini", profile={"max_input_tokens": 1000})
    assert llm.profile == {"max_input_tokens": 1000}


def test_token_counting_is_offline_and_approximate(monkeypatch: pytest.MonkeyPatch) -> None:
    import langchain_core.language_models.base as base

    def no_downloads(*_: Any, **__: Any) -> Any:
        raise AssertionError("token counting must not load a tokenizer")

    monkeypatch.setattr(base, "get_tokenizer", no_downloads)
    llm = make()
    assert llm.get_num_tokens("Hello, world!") == 4
    assert llm.get_token_ids("hi hi") == llm.get_token_ids("hi") * 2
    assert llm.get_num_tokens("internationalization") == 2  # as o200k_base: international|ization
    messages = [
        SystemMessage("Be brief."),
        HumanMessage("What is 2 + 2?"),
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 2, "b": 2}, "id": "c1"}]),
        ToolMessage("4", tool_call_id="c1"),
    ]
    base_count = llm.get_num_tokens_from_messages(messages)
    assert 20 < base_count < 60
    with_tools = llm.get_num_tokens_from_messages(
        messages, tools=[{"type": "function", "function": {"name": "add", "parameters": {}}}]
    )
    assert with_tools > base_count


def test_custom_token_counter_still_wins() -> None:
    llm = make(custom_get_token_ids=lambda text: [1] * len(text))
    assert llm.get_num_tokens("abc") == 3


def test_no_warnings_for_documented_parameters() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make(
            temperature=0,
            top_p=1,
            max_tokens=10,
            max_completion_tokens=10,
            stop=["x"],
            seed=1,
            frequency_penalty=0,
            presence_penalty=0,
            logprobs=True,
            top_logprobs=2,
            reasoning_effort="low",
            streaming=True,
            stream_usage=False,
            timeout=10,
            max_retries=1,
            default_headers={},
            model_kwargs={},
            extra_body={},
            fallback_models=["reel-31-api"],
        )


def test_chat_openai_parameter_names_are_accepted() -> None:
    """ChatOpenAI(openai_api_key=..., openai_api_base=..., request_timeout=...,
    stop_sequences=...) keeps working after the swap, with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm = ChatSkillBoss(
            openai_api_key=SECRET,
            openai_api_base="http://127.0.0.1:1/v1",
            request_timeout=7,
            stop_sequences=["END"],
        )
    assert llm.api_key is not None and llm.api_key.get_secret_value() == SECRET
    assert (llm.base_url, llm.timeout, llm.stop) == ("http://127.0.0.1:1/v1", 7, ["END"])
    assert llm.model_kwargs == {}
    assert SECRET not in repr(llm) and SECRET not in dumps(llm)


@pytest.mark.parametrize("name", ["anthropic_api_key", "client_secret", "key"])
def test_key_like_unknown_kwargs_are_refused_not_sent(name: str) -> None:
    for kwargs in ({name: SECRET}, {"model_kwargs": {name: SECRET}}):
        with pytest.raises(ValidationError) as caught:
            ChatSkillBoss(**kwargs)
        assert "api_key=" in str(caught.value)
        assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_chat_openai_names_in_model_kwargs_are_moved_out() -> None:
    with pytest.warns(UserWarning, match="should be passed as"):
        llm = ChatSkillBoss(model_kwargs={"openai_api_key": SECRET, "request_timeout": 3})
    assert llm.model_kwargs == {} and llm.timeout == 3
    assert llm.api_key is not None and llm.api_key.get_secret_value() == SECRET
    assert SECRET not in repr(llm)


def test_request_parameters_named_like_keys_still_reach_the_body() -> None:
    with pytest.warns(UserWarning, match="prompt_cache_key"):
        llm = make(prompt_cache_key="team-a")
    assert llm._params(None, {}).extra_body == {"prompt_cache_key": "team-a"}


ADD_TOOL = {
    "type": "function",
    "function": {"name": "add", "parameters": {"type": "object", "properties": {}}},
}


def test_empty_tool_lists_and_tool_only_options_are_not_sent() -> None:
    """Chat Completions rejects tools=[] and parallel_tool_calls without tools."""
    params = make()._params(
        None, {"tools": [], "tool_choice": "auto", "parallel_tool_calls": False}
    )
    assert (params.tools, params.tool_choice, params.parallel_tool_calls) == (None, None, None)
    kept = make()._params(None, {"tools": [ADD_TOOL], "parallel_tool_calls": False})
    assert kept.parallel_tool_calls is False and kept.tools == [ADD_TOOL]
    with pytest.raises(ValueError, match="needs at least one tool"):
        make()._params(None, {"tools": [], "tool_choice": "required"})


def test_per_call_strict_applies_to_tools() -> None:
    params = make()._params(None, {"tools": [ADD_TOOL]}, strict=True)
    assert params.tools is not None and params.tools[0]["function"]["strict"] is True
    assert make()._params(None, {"tools": [ADD_TOOL]}).tools == [ADD_TOOL]


class City(BaseModel):
    """A city."""

    name: str


class CityDict(TypedDict):
    """A city."""

    name: str


@pytest.mark.parametrize("schema", [City, CityDict, City.model_json_schema()])
def test_response_format_may_be_a_schema_as_with_chat_openai(schema: Any) -> None:
    fmt = make()._params(None, {"response_format": schema}, strict=True).response_format
    assert fmt is not None and fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] in ("City", "CityDict")
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["properties"]["name"]["type"] == "string"


def test_ready_response_formats_pass_through() -> None:
    for ready in (
        {"type": "json_object"},
        {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
    ):
        assert make()._params(None, {"response_format": ready}).response_format == ready
    with pytest.raises(ValueError, match="response_format"):
        make()._params(None, {"response_format": 3})


def test_pydantic_response_format_asks_for_a_parsed_answer() -> None:
    call = make()._prepare([HumanMessage("hi")], None, {"response_format": City})
    assert call.parse_into is City
    assert call.request.body(stream=False)["response_format"]["json_schema"]["name"] == "City"
    plain = make()._prepare([HumanMessage("hi")], None, {"response_format": CityDict})
    assert plain.parse_into is None


def test_chat_model_copy_and_assignment_take_effect_on_the_next_call() -> None:
    """Reproduces issue 12 item 7: the client was built once and never re-derived."""
    llm = ChatSkillBoss(api_key="sk-a", base_url="http://127.0.0.1:9/v1")
    moved = llm.model_copy(update={"base_url": "http://127.0.0.1:10/v1", "timeout": 3.0})
    assert moved.gateway.settings.base_url == "http://127.0.0.1:10/v1"
    assert moved.gateway.settings.timeout == 3.0
    assert llm.gateway.settings.base_url == "http://127.0.0.1:9/v1"
    llm.timeout = 0.5
    assert llm.gateway.settings.timeout == 0.5
    twin = ChatSkillBoss(api_key="sk-a", base_url="http://127.0.0.1:9/v1", timeout=0.5)
    assert twin.gateway is llm.gateway
