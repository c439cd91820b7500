"""SkillBossEmbeddings construction, validation, display, serialization, pickling (no HTTP).

Every call here fails before a byte is sent (bad input, no key), or never calls at all; the
base URL points at the discard port so that a request sent by mistake fails loudly. What
travels over HTTP is in tests/integration/test_langchain_embeddings.py.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.load import dumpd, dumps, load
from langchain_tests.unit_tests import EmbeddingsUnitTests
from pydantic import SecretStr, ValidationError

from langchain_skillboss import ChatSkillBoss, SkillBossEmbeddings

# langchain-core's classes, or the stand-ins older langchain-core versions get.
from langchain_skillboss.errors import (
    ModelAuthenticationError,
    ModelError,
    ModelInvalidRequestError,
)
from skillboss_core import EmbeddingInputTooLongError, InvalidParameterError, MissingAPIKeyError
from skillboss_core.catalog.models import lookup_embedding
from skillboss_core.wire.embeddings import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CONCURRENCY,
    DEFAULT_EMBEDDING_MODEL,
)
from tests.unit.test_adapter_surface import _attribute_docstrings, _own_fields
from tests.unit.test_constructor_typing import (
    MYPY_CONFIG,
    ROOT,
    _accepted_keywords,
    _cache_dir,
    _typed_init_keywords,
)

SECRET = "sb-embeddings-secret-0123456789"
NOWHERE = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there
ENV_KEY = "test-key-from-env"
ENV_BASE_URL = "https://gateway.example.test/v1"
PROXY = "http://user:hunter2@10.0.0.1:3128"  # a URL may carry credentials: never echoed


def make(**kwargs: Any) -> SkillBossEmbeddings:
    return SkillBossEmbeddings(**{"api_key": SECRET, "base_url": NOWHERE, **kwargs})


# -- fields, aliases, environment ------------------------------------------------------------


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLBOSS_BASE_URL", raising=False)
    embeddings = SkillBossEmbeddings(api_key=SECRET)
    assert isinstance(embeddings, Embeddings)
    assert embeddings.model == embeddings.model_name == DEFAULT_EMBEDDING_MODEL
    assert embeddings.base_url == "https://api.skillboss.co/v1"
    assert (DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY) == (512, 4)
    assert (embeddings.chunk_size, embeddings.max_concurrency) == (512, 4)
    assert (embeddings.timeout, embeddings.total_timeout, embeddings.max_retries) == (600, None, 2)
    assert (embeddings.dimensions, embeddings.encoding_format, embeddings.user) == (None,) * 3
    assert embeddings.default_headers is None


def test_the_same_names_as_chat_skillboss_and_openai_embeddings() -> None:
    embeddings = SkillBossEmbeddings(
        model_name="openai/text-embedding-3-large",
        openai_api_key=SECRET,
        openai_api_base="http://127.0.0.1:1/v1",
        request_timeout=5,
    )
    assert embeddings.model == "openai/text-embedding-3-large"
    assert embeddings.api_key is not None and embeddings.api_key.get_secret_value() == SECRET
    assert (embeddings.base_url, embeddings.timeout) == ("http://127.0.0.1:1/v1", 5)
    assert SkillBossEmbeddings(api_base="http://127.0.0.1:2/v1").base_url.endswith(":2/v1")
    assert make(api_key=SecretStr("sk-as-secret")).api_key == SecretStr("sk-as-secret")


def test_key_and_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", "from-env")
    monkeypatch.setenv("SKILLBOSS_BASE_URL", "http://127.0.0.1:9/v1")
    embeddings = SkillBossEmbeddings()
    assert embeddings.api_key is not None
    assert embeddings.api_key.get_secret_value() == "from-env"
    assert embeddings.base_url == "http://127.0.0.1:9/v1"


def test_missing_key_is_fine_until_a_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    embeddings = SkillBossEmbeddings(base_url=NOWHERE)
    assert embeddings.api_key is None
    with pytest.raises(MissingAPIKeyError, match="SKILLBOSS_WHOLESALE_KEY") as caught:
        embeddings.embed_query("hi")
    assert isinstance(caught.value, ModelAuthenticationError)


def test_gateway_settings_follow_the_fields() -> None:
    embeddings = make(
        base_url="http://127.0.0.1:1/v1/",
        timeout=5,
        max_retries=0,
        default_headers={"X-Team": "a"},
    )
    settings = embeddings.gateway.settings
    assert settings.base_url == "http://127.0.0.1:1/v1"
    assert (settings.timeout, settings.max_retries) == (5, 0)
    assert settings.headers()["X-Team"] == "a"
    assert make(max_retries=None).gateway.settings.max_retries == 2
    embeddings.max_retries = 1  # assigned: the next call uses it
    assert embeddings.gateway.settings.max_retries == 1


def test_one_connection_pool_with_a_chat_model_of_equal_settings() -> None:
    chat = ChatSkillBoss(api_key=SECRET, base_url=NOWHERE)
    assert make().gateway is chat.gateway
    assert make().gateway is make().gateway
    assert make(timeout=3).gateway is not chat.gateway


def test_the_request_carries_the_fields() -> None:
    embeddings = make(
        model="openai/text-embedding-3-large",
        dimensions=256,
        encoding_format="float",
        user="u-1",
        chunk_size=7,
        max_concurrency=3,
        total_timeout=30,
    )
    request = embeddings._request(None)
    assert dict(request.fields) == {
        "model": "openai/text-embedding-3-large",
        "dimensions": 256,
        "encoding_format": "float",
        "user": "u-1",
    }
    assert (request.batch_size, request.concurrency) == (7, 3)
    assert request.options.total_timeout == 30
    assert embeddings._request(2).batch_size == 2
    # base64 on the wire unless asked otherwise; the core decodes it.
    assert make()._request(None).fields["encoding_format"] == "base64"


def test_the_catalogs_input_window_is_checked_before_sending() -> None:
    info = lookup_embedding(DEFAULT_EMBEDDING_MODEL)
    assert info is not None
    assert make()._request(None).max_input_tokens == info.max_input_tokens
    assert make(model="my-own/embedder")._request(None).max_input_tokens is None
    with pytest.raises(EmbeddingInputTooLongError, match="split it") as caught:
        make().embed_documents(["fine", "word " * (info.max_input_tokens * 2)])
    assert (caught.value.position, caught.value.limit) == (1, info.max_input_tokens)
    assert isinstance(caught.value, ModelInvalidRequestError)
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is type(caught.value) and again.position == 1


# -- validation: before anything is sent --------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": " "}, "model must be a non-empty"),
        ({"dimensions": 0}, "dimensions must be an integer from 1"),
        ({"dimensions": True}, "dimensions"),
        ({"dimensions": "256"}, "dimensions"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": 2049}, "chunk_size"),
        ({"chunk_size": 2.0}, "chunk_size"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"max_concurrency": 65}, "max_concurrency"),
        ({"encoding_format": "hex"}, "encoding_format"),
        ({"user": 7}, "user"),
        ({"timeout": 0}, "timeout must be a positive"),
        ({"total_timeout": -1}, "total_timeout must be a positive"),
        ({"max_retries": -1}, "max_retries"),
        ({"base_url": "api.skillboss.co"}, "base_url must start with http"),
        ({"default_headers": {"Authorization": "Bearer x"}}, "may not set Authorization"),
        ({"api_key": "sk-pasted\n"}, "trailing newline"),
    ],
)
def test_bad_values_fail_at_construction(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        make(**kwargs)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["a", ""], r"texts\[1\] is empty"),
        (["a", 3], r"texts\[1\] is a int"),
        ("one string", "texts must be a list of strings"),
    ],
)
def test_bad_texts_fail_before_sending(texts: Any, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message) as caught:
        make().embed_documents(texts)
    assert isinstance(caught.value, ModelInvalidRequestError)
    assert isinstance(caught.value, ModelError)


def test_an_empty_query_fails_before_sending() -> None:
    with pytest.raises(InvalidParameterError, match="empty"):
        make().embed_query("")


async def test_bad_texts_fail_before_sending_async() -> None:
    with pytest.raises(InvalidParameterError, match="empty") as caught:
        await make().aembed_documents(["a", ""])
    assert isinstance(caught.value, ModelInvalidRequestError)
    with pytest.raises(InvalidParameterError, match="empty"):
        await make().aembed_query("")


def test_a_bad_per_call_chunk_size_fails_before_sending() -> None:
    with pytest.raises(InvalidParameterError, match="batch size"):
        make().embed_documents(["a"], chunk_size=0)


def test_no_texts_no_request() -> None:
    assert make().embed_documents([]) == []


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("model_kwargs", "no other request fields"),
        ("extra_body", "no other request fields"),
        ("batch_size", "chunk_size="),
        ("embed_batch_size", "chunk_size="),
        ("num_workers", "max_concurrency="),
        ("embedding_ctx_length", "input window"),
        ("temperature", "it takes model, api_key, base_url"),
        ("dimension", "it takes model"),
    ],
)
def test_unknown_keywords_are_refused_saying_what_to_use(name: str, hint: str) -> None:
    with pytest.raises(ValidationError, match=hint) as caught:
        make(**{name: {"k": 1}})
    assert repr(name) in str(caught.value)


@pytest.mark.parametrize(
    "name", ["azure_endpoint", "endpoint_url", "api_url", "url", "baseURL", "api_host"]
)
def test_endpoint_like_keywords_are_refused_naming_base_url(name: str) -> None:
    with pytest.raises(ValidationError, match="base_url=") as caught:
        make(**{name: PROXY})
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(caught.value)


def test_a_url_under_any_unknown_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="base_url="):
        make(gateway="https://my-proxy.example/v1")


@pytest.mark.parametrize("name", ["openai_proxy", "https_proxy"])
def test_a_proxy_setting_is_refused_saying_where_proxies_come_from(name: str) -> None:
    with pytest.raises(ValidationError, match="HTTPS_PROXY") as caught:
        make(**{name: PROXY})
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("name", ["apikey", "key", "auth_token", "client_secret"])
def test_a_key_under_another_name_is_refused_without_showing_it(name: str) -> None:
    with pytest.raises(ValidationError, match="api_key=") as caught:
        make(api_key=None, **{name: SECRET})
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_the_url_under_two_names_is_refused() -> None:
    with pytest.raises(ValueError, match=r"gateway URL under 2 names .*pass it once"):
        SkillBossEmbeddings(
            api_key=SECRET, base_url="http://127.0.0.1:1/v1", api_base="http://127.0.0.1:2/v1"
        )


# -- the key: never shown, serialized as a secret -----------------------------------------


def test_key_never_in_repr_str_or_dumps() -> None:
    embeddings = make(default_headers={"X-Api-Key": "hdr-secret-0123", "X-Team": "a"})
    shown = (repr(embeddings), str(embeddings), dumps(embeddings), repr(embeddings.model_dump()))
    for text in shown:
        assert SECRET not in text and "hdr-secret-0123" not in text
    assert embeddings.model_dump()["default_headers"] == {"X-Api-Key": "**********", "X-Team": "a"}
    kwargs = dumpd(embeddings)["kwargs"]
    assert kwargs["api_key"] == {"lc": 1, "type": "secret", "id": ["SKILLBOSS_WHOLESALE_KEY"]}
    assert kwargs["default_headers"] == {"X-Team": "a"}


def test_key_never_in_a_calls_error() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        make().embed_documents([""])
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_dump_load_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    embeddings = make(
        model="openai/text-embedding-3-large", dimensions=256, chunk_size=64, user="u-1"
    )
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", SECRET)
    loaded = load(
        dumpd(embeddings),
        allowed_objects=[SkillBossEmbeddings],
        valid_namespaces=["langchain_skillboss"],
        secrets_from_env=True,
    )
    assert isinstance(loaded, SkillBossEmbeddings)
    assert loaded.model_dump() == embeddings.model_dump()
    assert loaded.api_key is not None and loaded.api_key.get_secret_value() == SECRET


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_dump_load_round_trip_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    dumped = dumpd(SkillBossEmbeddings(base_url=NOWHERE, dimensions=8))
    assert "api_key" not in dumped["kwargs"]
    loaded = load(
        dumped, allowed_objects=[SkillBossEmbeddings], valid_namespaces=["langchain_skillboss"]
    )
    assert isinstance(loaded, SkillBossEmbeddings)
    assert (loaded.api_key, loaded.dimensions) == (None, 8)


def test_pickles_with_its_settings_and_no_live_client() -> None:
    """As ChatSkillBoss: the pickle carries the key (a worker must call the gateway) in the
    SecretStr it is held in, and no HTTP client (rebuilt in the worker on first use)."""
    embeddings = make(dimensions=64, chunk_size=8, max_concurrency=2, timeout=9)
    assert embeddings.gateway is not None  # a pool exists for these settings
    data = pickle.dumps(embeddings)
    assert b"httpx" not in data
    again = pickle.loads(data)
    assert isinstance(again, SkillBossEmbeddings)
    assert again.model_dump() == embeddings.model_dump()
    assert again.gateway.settings.require_api_key() == SECRET
    assert SECRET not in repr(again)


def test_close_and_context_managers() -> None:
    with make() as embeddings:
        assert isinstance(embeddings, SkillBossEmbeddings)
    embeddings.close()  # twice is fine: the next call reconnects


async def test_async_context_manager() -> None:
    async with make() as embeddings:
        assert isinstance(embeddings, SkillBossEmbeddings)


# -- documented, and typed for type checkers ----------------------------------------------


def test_every_field_has_an_attribute_docstring() -> None:
    docs = _attribute_docstrings(SkillBossEmbeddings)
    own = _own_fields(SkillBossEmbeddings)
    assert own and [name for name in own if not docs.get(name)] == []


def test_typed_signature_names_every_field_and_alias() -> None:
    assert _typed_init_keywords(SkillBossEmbeddings) == _accepted_keywords(SkillBossEmbeddings)


TYPED_USE = """\
from typing import Any

from pydantic import SecretStr

from langchain_skillboss import SkillBossEmbeddings

settings: dict[str, Any] = {"model": "openai/text-embedding-3-small", "dimensions": 8}
full = SkillBossEmbeddings(
    model="openai/text-embedding-3-small",
    api_key="sk-plain-string",
    base_url="http://127.0.0.1:9/v1",
    dimensions=256,
    chunk_size=64,
    max_concurrency=2,
    encoding_format="float",
    user="u-1",
    timeout=5,
    total_timeout=30,
    max_retries=0,
    default_headers={"X-Team": "a"},
)
renamed = SkillBossEmbeddings(
    model_name="m", openai_api_key=SecretStr("k"), openai_api_base="http://x/v1", request_timeout=3
)
proxied = SkillBossEmbeddings(api_base="http://127.0.0.1:9/v1")
from_dict = SkillBossEmbeddings(**settings)


def sync() -> list[list[float]]:
    return full.embed_documents(["a"], chunk_size=1) + [full.embed_query("b")]


async def concurrent() -> list[float]:
    return (await full.aembed_documents(["a"]))[0] + await full.aembed_query("b")
"""
# Each line must be an error that names its argument.
TYPED_WRONG = {
    "SkillBossEmbeddings(dimension=8)": '"dimension"',
    'SkillBossEmbeddings(dimensions="8")': 'Argument "dimensions"',
    'SkillBossEmbeddings(encoding_format="hex")': 'Argument "encoding_format"',
    "SkillBossEmbeddings(chunk_size=None)": 'Argument "chunk_size"',
    "SkillBossEmbeddings(model_kwargs={})": '"model_kwargs"',
}


@pytest.mark.timeout(300)
def test_mypy_sees_the_typed_constructor(tmp_path: Path) -> None:
    """As tests/unit/test_constructor_typing.py does for the chat models (same config and
    cache): correct use passes mypy --strict with the pydantic plugin, mistakes are named."""
    pytest.importorskip("mypy", reason="needs the dev dependency group")
    (tmp_path / "mypy.ini").write_text(MYPY_CONFIG)
    (tmp_path / "correct.py").write_text(TYPED_USE)
    header = ["from langchain_skillboss import SkillBossEmbeddings", ""]
    calls = [f"value_{number} = {call}" for number, call in enumerate(TYPED_WRONG)]
    (tmp_path / "wrong.py").write_text("\n".join(header + calls) + "\n")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--config-file", "mypy.ini"),
            *("--cache-dir", str(_cache_dir()), "--no-error-summary", "--show-error-codes"),
            *("correct.py", "wrong.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=280,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not [line for line in errors if not line.startswith("wrong.py:")], result.stdout
    for offset, (call, named) in enumerate(TYPED_WRONG.items()):
        found = [
            line for line in errors if line.startswith(f"wrong.py:{len(header) + offset + 1}:")
        ]
        assert any(named in line for line in found), f"{call}: {found or result.stdout}"


# -- langchain-tests' standard unit suite -------------------------------------------------


class TestSkillBossEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[SkillBossEmbeddings]:
        return SkillBossEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": DEFAULT_EMBEDDING_MODEL, "base_url": "https://api.skillboss.co/v1"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"SKILLBOSS_WHOLESALE_KEY": ENV_KEY, "SKILLBOSS_BASE_URL": ENV_BASE_URL},
            {"model": DEFAULT_EMBEDDING_MODEL},
            {"api_key": ENV_KEY, "base_url": ENV_BASE_URL, "model": DEFAULT_EMBEDDING_MODEL},
        )
