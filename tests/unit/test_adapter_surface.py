"""What a newcomer meets first on both adapters (issue 14): the gateway URL under the names
other libraries use, listing models, the version, a missing framework, documented fields."""

from __future__ import annotations

import ast
import inspect
import itertools
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from langchain_skillboss import ChatSkillBoss
from langchain_skillboss.errors import ModelAuthenticationError
from llama_index_skillboss import SkillBoss
from skillboss_core import MissingAPIKeyError, __version__

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-surface-secret-0123456789"
PROXY = "http://user:hunter2@10.0.0.1:3128"  # a URL may carry credentials: never echoed


# -- the gateway URL under other libraries' names ------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "azure_endpoint",
        "endpoint",
        "endpoint_url",
        "api_url",
        "url",
        "baseURL",
        "host",
        "api_host",
        "inference_server_url",
        "openai_proxy",
    ],
)
def test_endpoint_like_keywords_are_refused_naming_base_url(name: str) -> None:
    """Moved to model_kwargs they would go to the public gateway, in the request body."""
    for kwargs in ({name: PROXY}, {"model_kwargs": {name: PROXY}}):
        with pytest.raises(ValidationError, match="base_url=") as caught:
            ChatSkillBoss(api_key=KEY, **kwargs)
        assert name in str(caught.value)
        assert "hunter2" not in str(caught.value) and "hunter2" not in repr(caught.value)


def test_a_url_under_any_unknown_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="base_url="):
        ChatSkillBoss(api_key=KEY, gateway="https://my-proxy.example/v1")


def test_proxy_names_say_where_proxies_come_from() -> None:
    with pytest.raises(ValidationError, match="HTTPS_PROXY"):
        ChatSkillBoss(api_key=KEY, openai_proxy=PROXY)


def test_urls_still_reach_the_body_through_extra_body_and_request_fields() -> None:
    """extra_body is the explicit way to send a field; `user` is a Chat Completions field."""
    llm = ChatSkillBoss(api_key=KEY, extra_body={"callback_url": "https://me.example/hook"})
    assert llm._params(None, {}).extra_body == {"callback_url": "https://me.example/hook"}
    with pytest.warns(UserWarning, match="'user'"):
        llm = ChatSkillBoss(api_key=KEY, user="https://me.example/alice")
    assert llm._params(None, {}).user == "https://me.example/alice"


def test_unknown_endpoint_names_on_skillboss_name_api_base() -> None:
    with pytest.raises(ValidationError, match="api_base=") as caught:
        SkillBoss(api_key=KEY, azure_endpoint=PROXY)
    assert "hunter2" not in str(caught.value)


# -- listing models --------------------------------------------------------------------------


def test_listing_without_a_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLBOSS_WHOLESALE_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match="SKILLBOSS_WHOLESALE_KEY") as caught:
        ChatSkillBoss(base_url="http://127.0.0.1:9/v1").list_models()
    assert isinstance(caught.value, ModelAuthenticationError)
    with pytest.raises(MissingAPIKeyError, match="SKILLBOSS_WHOLESALE_KEY"):
        SkillBoss(api_base="http://127.0.0.1:9/v1").list_models()


# -- version ------------------------------------------------------------------------------


def test_both_packages_give_the_version() -> None:
    import langchain_skillboss
    import llama_index_skillboss

    assert langchain_skillboss.__version__ == llama_index_skillboss.__version__ == __version__
    assert "__version__" in llama_index_skillboss.__all__


# -- a missing framework ------------------------------------------------------------------


def _import_with(blocked: str, package: str) -> subprocess.CompletedProcess[str]:
    """Import `package` in a fresh interpreter where `blocked` cannot be imported."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules[{blocked!r}] = None  # what an install without it looks like to import
        try:
            import {package}
        except ImportError as exc:
            print(type(exc).__name__)
            print(exc.name)
            print(exc)
        else:
            print("imported")
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("blocked", "package", "extra"),
    [
        ("llama_index", "llama_index_skillboss", "llama-index"),
        ("llama_index.core", "llama_index_skillboss", "llama-index"),
        ("langchain_core", "langchain_skillboss", "langchain"),
    ],
)
def test_a_missing_framework_says_what_to_install(blocked: str, package: str, extra: str) -> None:
    result = _import_with(blocked, package)
    kind, name, message = result.stdout.split("\n", 2)
    assert kind == "ModuleNotFoundError", result.stdout + result.stderr
    assert name.split(".")[0] == blocked.split(".")[0]  # the original's, e.g. llama_index.core
    assert f'pip install "skillboss-integrations[{extra}]"' in message
    assert f'pip install ".[{extra}]"' in message  # what works before the first release


@pytest.mark.parametrize(
    ("blocked", "package"),
    [
        ("llama_index_instrumentation", "llama_index_skillboss"),
        ("langsmith", "langchain_skillboss"),
    ],
)
def test_other_missing_modules_are_not_blamed_on_the_framework(blocked: str, package: str) -> None:
    """A framework's broken dependency is its own error, not "install the extra"."""
    result = _import_with(blocked, package)
    kind, _, message = result.stdout.split("\n", 2)
    assert kind in ("ImportError", "ModuleNotFoundError"), result.stdout + result.stderr
    assert blocked in message and "skillboss-integrations[" not in message


# -- documentation --------------------------------------------------------------------------


def _attribute_docstrings(cls: type) -> dict[str, str]:
    """Field name -> the string literal right under its definition (LangChain's convention)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = following.value.value
    return docs


def _own_fields(cls: type[BaseModel]) -> list[str]:
    return [name for name in cls.model_fields if name in inspect.get_annotations(cls)]


def test_every_chat_skillboss_field_has_an_attribute_docstring() -> None:
    docs = _attribute_docstrings(ChatSkillBoss)
    assert [name for name in _own_fields(ChatSkillBoss) if not docs.get(name)] == []


def test_every_skillboss_field_has_a_description() -> None:
    own = _own_fields(SkillBoss)
    assert own
    assert [name for name in own if not SkillBoss.model_fields[name].description] == []


@pytest.mark.parametrize(
    ("cls", "sections"),
    [
        (
            ChatSkillBoss,
            [
                "Setup:",
                "Key init args — completion params:",
                "Key init args — client params:",
                "Instantiate:",
                "Invoke:",
                "Stream:",
                "Async:",
                "Tool calling:",
                "Structured output:",
                "Token usage:",
                "Response metadata:",
            ],
        ),
        (SkillBoss, ["Examples:"]),
    ],
)
def test_class_docstrings_follow_each_frameworks_outline(cls: type, sections: list[str]) -> None:
    doc = inspect.getdoc(cls) or ""
    missing = [section for section in sections if section not in doc]
    assert missing == []
    assert "SKILLBOSS_WHOLESALE_KEY" in doc and "openai/gpt-5.4-mini" in doc


@pytest.mark.parametrize(
    ("make", "names"),
    [
        (ChatSkillBoss, ("base_url", "api_base")),
        (ChatSkillBoss, ("api_base", "openai_api_base")),
        (SkillBoss, ("api_base", "base_url")),
    ],
)
def test_the_url_under_two_names_is_refused_not_left_to_alias_order(
    make: Any, names: tuple[str, str]
) -> None:
    urls = dict(zip(names, ("http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"), strict=True))
    with pytest.raises(ValueError, match=r"gateway URL under 2 names .*pass it once"):
        make(api_key="sk-two-urls-0123456789", **urls)


@pytest.mark.parametrize("name", ["openai_proxy", "http_proxy", "https_proxy"])
def test_a_proxy_setting_is_refused_even_without_a_url(name: str) -> None:
    with pytest.raises(ValueError, match="HTTPS_PROXY"):
        ChatSkillBoss(api_key="sk-proxy-0123456789", **{name: "proxy.internal:3128"})
