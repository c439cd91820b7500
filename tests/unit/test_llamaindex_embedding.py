"""SkillBossEmbedding construction, fields, aliases, validation, secrecy and serialisation (no
HTTP: every call here fails, or is refused, before anything is sent)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import ValidationError

from llama_index_skillboss import DEFAULT_EMBEDDING_MODEL, SkillBoss, SkillBossEmbedding
from skillboss_core import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    EmbeddingInputTooLongError,
    InvalidParameterError,
    MissingAPIKeyError,
    __version__,
)
from tests.unit.test_constructor_typing import _accepted_keywords, _typed_init_keywords
from tests.unit.test_package_metadata import pyproject

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-embedding-secret-0123456789abcdef"
# Nothing listens there: a test that reached the network would fail with a connection error.
NOWHERE = "http://127.0.0.1:9/v1"


def make(**kwargs: Any) -> SkillBossEmbedding:
    return SkillBossEmbedding(**{"api_key": KEY, "api_base": NOWHERE, **kwargs})


# -- what it is and where it is found ---------------------------------------------------------


def test_is_a_llama_index_embedding_named_for_serialisation() -> None:
    model = make()
    assert isinstance(model, BaseEmbedding)
    assert SkillBossEmbedding.class_name() == "SkillBossEmbedding"
    assert model.to_dict()["class_name"] == "SkillBossEmbedding"
    assert model.to_payload() == {
        "class_name": "SkillBossEmbedding",
        "model_name": DEFAULT_EMBEDDING_MODEL,
        "embed_batch_size": 512,
    }


def test_llama_index_users_find_the_class_where_they_look() -> None:
    import llama_index.embeddings.skillboss as namespaced
    from llama_index.embeddings.skillboss import SkillBossEmbedding as Namespaced

    assert Namespaced is SkillBossEmbedding
    assert namespaced.__version__ == __version__
    assert namespaced.DEFAULT_EMBEDDING_MODEL == DEFAULT_EMBEDDING_MODEL
    package = ROOT / "llama_index" / "embeddings" / "skillboss"
    assert (package / "py.typed").exists()
    assert not (ROOT / "llama_index" / "embeddings" / "__init__.py").exists(), "a namespace"


def test_the_namespace_package_is_shipped_and_type_checked() -> None:
    tool = pyproject()["tool"]
    assert "llama_index" in tool["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert "llama_index.embeddings.skillboss" in tool["mypy"]["packages"]


# -- fields, defaults and other names ---------------------------------------------------------


def test_defaults() -> None:
    model = make()
    assert model.model_name == DEFAULT_EMBEDDING_MODEL == "openai/text-embedding-3-small"
    assert (model.embed_batch_size, model.num_workers) == (512, None)
    assert (model.timeout, model.total_timeout, model.max_retries) == (600.0, None, 2)
    assert (model.dimensions, model.additional_kwargs, model.default_headers) == (None, {}, None)
    request = model._request()
    assert (request.batch_size, request.concurrency) == (512, 4)  # None: the core's 4
    assert request.max_input_tokens == 8191  # the catalog's window for the model


def test_every_setting_is_a_field() -> None:
    model = make(
        model_name="openai/text-embedding-3-large",
        dimensions=256,
        embed_batch_size=100,
        num_workers=8,
        timeout=30,
        total_timeout=120,
        max_retries=0,
        default_headers={"X-Team": "search"},
        additional_kwargs={"user": "u-1", "encoding_format": "float"},
    )
    request = model._request()
    assert dict(request.fields) == {
        "model": "openai/text-embedding-3-large",
        "dimensions": 256,
        "encoding_format": "float",
        "user": "u-1",
    }
    assert (request.batch_size, request.concurrency) == (100, 8)
    assert request.options.total_timeout == 120
    settings = model._gateway().settings
    assert (settings.timeout, settings.max_retries) == (30, 0)
    assert settings.default_headers == {"X-Team": "search"}


def test_model_and_base_url_are_accepted_as_openai_embeddings_names_them() -> None:
    model = SkillBossEmbedding(api_key=KEY, model="openai/text-embedding-3-large", base_url=NOWHERE)
    assert model.model_name == "openai/text-embedding-3-large"
    assert model.api_base == NOWHERE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "a/b", "model_name": "c/d"}, r"model under 2 names .*pass it once"),
        ({"api_base": NOWHERE, "base_url": "http://127.0.0.1:8/v1"}, "gateway URL under 2 names"),
    ],
)
def test_one_setting_under_two_names_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SkillBossEmbedding(api_key=KEY, **kwargs)


def test_key_and_base_url_default_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    monkeypatch.setenv(BASE_URL_ENV, NOWHERE)
    for model in (SkillBossEmbedding(), SkillBossEmbedding(api_key=None, api_base=None)):
        assert model.api_key is not None and model.api_key.get_secret_value() == KEY
        assert model.api_base == NOWHERE
    monkeypatch.delenv(BASE_URL_ENV)
    assert SkillBossEmbedding().api_base == DEFAULT_BASE_URL


def test_typed_signature_names_every_field_and_alias() -> None:
    assert _typed_init_keywords(SkillBossEmbedding) == _accepted_keywords(SkillBossEmbedding)


def test_shares_the_llms_gateway_until_a_setting_differs() -> None:
    model = make()
    assert model._gateway() is SkillBoss(api_key=KEY, api_base=NOWHERE)._gateway()
    first = model._gateway()
    model.timeout = 5.0
    assert model._gateway() is not first


# -- validation at construction ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": " "}, "model must be a non-empty model id"),
        ({"dimensions": 0}, "dimensions must be an integer from 1"),
        ({"timeout": 0}, "timeout must be a positive, finite number"),
        ({"total_timeout": -1}, "total_timeout must be a positive, finite number"),
        ({"api_base": "api.skillboss.co"}, "api_base must start with http"),
        ({"additional_kwargs": {"bogus": 1}}, "unknown embeddings parameter 'bogus'"),
        ({"additional_kwargs": {"encoding_format": "int8"}}, "encoding_format must be"),
        ({"additional_kwargs": {"user": 7}}, "user must be a string"),
        ({"default_headers": {"Authorization": "Bearer x"}}, "may not set Authorization"),
    ],
)
def test_bad_request_values_fail_at_construction(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        make(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"embed_batch_size": 0}, "embed_batch_size"),
        ({"embed_batch_size": 2049}, "embed_batch_size"),
        ({"num_workers": 0}, "num_workers"),
        ({"num_workers": 65}, "num_workers"),
        ({"max_retries": -1}, "max_retries"),
        ({"temprature": 0}, "temprature"),
    ],
)
def test_out_of_range_or_unknown_fields_are_validation_errors(
    kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError, match=field) as caught:
        make(**kwargs)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


@pytest.mark.parametrize("name", ["openai_api_key", "skillboss_api_key", "token"])
def test_a_key_under_a_wrong_name_is_refused_without_echoing_it(name: str) -> None:
    with pytest.raises(ValueError, match="api_key=") as caught:
        SkillBossEmbedding(**{name: KEY})
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("chunk_size", "embed_batch_size"),
        ("batch_size", "embed_batch_size"),
        ("max_concurrency", "num_workers"),
        ("model_kwargs", "additional_kwargs"),
    ],
)
def test_other_libraries_names_say_which_field_to_use(name: str, field: str) -> None:
    with pytest.raises(
        ValueError, match=f"'{name}' is not a SkillBossEmbedding parameter.*{field}"
    ):
        make(**{name: 4})


def test_every_own_field_has_a_description() -> None:
    own = [
        name
        for name in SkillBossEmbedding.model_fields
        if name in vars(SkillBossEmbedding)["__annotations__"]
    ]
    assert "num_workers" in own and "api_key" in own
    assert [name for name in own if not SkillBossEmbedding.model_fields[name].description] == []


def test_an_endpoint_under_another_name_is_refused_naming_api_base() -> None:
    with pytest.raises(ValueError, match="api_base=") as caught:
        make(azure_endpoint="http://user:hunter2@10.0.0.1:3128")
    assert "hunter2" not in str(caught.value)


def test_a_pasted_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidParameterError, match="newline") as caught:
        make(api_key=KEY + "\n")
    assert KEY not in str(caught.value)


# -- refused before anything is sent ----------------------------------------------------------


def test_missing_key_fails_at_call_time_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    model = SkillBossEmbedding(api_base=NOWHERE)  # construction works without a key
    with pytest.raises(MissingAPIKeyError, match=API_KEY_ENV):
        model.get_query_embedding("hello")


def test_texts_that_cannot_be_sent_are_refused_naming_their_position() -> None:
    model = make(embed_batch_size=2, num_workers=2)
    texts = ["fine"] * 9 + [""]  # the empty one is in the third group of four
    with pytest.raises(InvalidParameterError, match=r"texts\[9\] is empty"):
        model.get_text_embedding_batch(texts)
    with pytest.raises(InvalidParameterError, match=r"texts\[0\] is empty"):
        model.get_query_embedding("")
    with pytest.raises(InvalidParameterError, match=r"texts\[1\] is a int"):
        model.get_text_embedding_batch(["fine", 3])  # type: ignore[list-item]


def test_a_text_longer_than_the_models_window_is_refused() -> None:
    with pytest.raises(EmbeddingInputTooLongError, match="8191") as caught:
        make().get_text_embedding_batch(["short", "word " * 20000])
    assert caught.value.position == 1


async def test_async_calls_refuse_the_same_texts() -> None:
    with pytest.raises(InvalidParameterError, match=r"texts\[1\] is empty"):
        await make().aget_text_embedding_batch(["fine", ""])


def test_no_texts_no_request_no_event() -> None:
    assert make().get_text_embedding_batch([]) == []


# -- secrecy and serialisation ----------------------------------------------------------------


def test_key_and_secret_headers_never_appear_in_renderings() -> None:
    model = make(default_headers={"X-Api-Key": "hdr-secret-42", "X-Team": "search"})
    surfaces = [
        repr(model),
        str(model),
        str(model.to_dict()),
        model.to_json(),
        model.model_dump_json(),
        str(model.to_payload()),
    ]
    for text in surfaces:
        assert KEY not in text and "hdr-secret-42" not in text
    assert "api_key" not in model.to_dict()
    assert model.to_dict()["default_headers"] == {"X-Team": "search"}


def test_to_dict_round_trips_everything_but_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, "sk-from-env-0123456789")
    model = make(model="openai/text-embedding-3-large", dimensions=64, num_workers=2)
    again = SkillBossEmbedding.from_dict(model.to_dict())
    assert (again.model_name, again.dimensions, again.num_workers, again.api_base) == (
        "openai/text-embedding-3-large",
        64,
        2,
        NOWHERE,
    )
    assert again.api_key is not None
    assert again.api_key.get_secret_value() == "sk-from-env-0123456789"
    assert SkillBossEmbedding.from_json(model.to_json()).dimensions == 64


def test_pickles_with_its_settings() -> None:
    model = make(
        model="openai/text-embedding-3-large",
        dimensions=128,
        embed_batch_size=64,
        num_workers=3,
        timeout=20,
        total_timeout=90,
        max_retries=1,
        default_headers={"X-Team": "search", "X-Api-Key": "hdr-secret-42"},
        additional_kwargs={"user": "u-1"},
    )
    model._ready_gateway()  # a gateway exists before pickling
    again = pickle.loads(pickle.dumps(model))
    assert isinstance(again, SkillBossEmbedding)
    fields = ["model_name", "dimensions", "embed_batch_size", "num_workers", "timeout"]
    fields += ["total_timeout", "max_retries", "default_headers", "additional_kwargs", "api_base"]
    assert {f: getattr(again, f) for f in fields} == {f: getattr(model, f) for f in fields}
    assert again.api_key is not None and again.api_key.get_secret_value() == KEY
    assert again._ready_gateway().settings == model._ready_gateway().settings


@pytest.mark.parametrize("name", ["model", "dimensions", "timeout"])
def test_a_field_given_again_in_additional_kwargs_is_refused(name: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"additional_kwargs may not hold '{name}'"):
        SkillBossEmbedding(api_key="sk-test", additional_kwargs={name: 1})


def test_llama_index_users_find_the_cost_handler_where_they_look() -> None:
    import llama_index.callbacks.skillboss as namespaced
    from llama_index_skillboss import CostHandler

    assert namespaced.CostHandler is CostHandler and namespaced.__version__ == __version__
    assert (ROOT / "llama_index" / "callbacks" / "skillboss" / "py.typed").exists()
    assert not (ROOT / "llama_index" / "callbacks" / "__init__.py").exists(), "a namespace"
    assert "llama_index.callbacks.skillboss" in pyproject()["tool"]["mypy"]["packages"]
