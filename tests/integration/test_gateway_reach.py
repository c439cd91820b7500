"""Both adapters reach the gateway under the names other libraries give its URL, and list
its models (sync and async, each framework's errors), against a loopback server."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from langchain_skillboss import ChatSkillBoss
from langchain_skillboss.errors import ModelAuthenticationError
from llama_index_skillboss import SkillBoss
from skillboss_core import GatewayAuthenticationError
from tests.support.scripted_gateway import DEFAULT_MODELS, ScriptedGateway
from tests.support.wire import Reply

KEY = "sk-surface-secret-0123456789"


@pytest.fixture
def server() -> Iterator[ScriptedGateway]:
    with ScriptedGateway(lifetime=60.0, api_key=KEY, reply=Reply("Hello.")) as gateway:
        yield gateway


def test_api_base_is_base_url_on_chat_skillboss(server: ScriptedGateway) -> None:
    """LlamaIndex's and langchain-community's name reaches the proxy, not the request body."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm = ChatSkillBoss(api_key=KEY, api_base=server.base_url, max_retries=0)
    assert llm.base_url == server.base_url and llm.model_kwargs == {}
    assert llm.invoke("hi").content
    body = server.last_request.json
    assert "api_base" not in body and KEY not in server.last_request.body.decode()


def test_base_url_is_api_base_on_skillboss(server: ScriptedGateway) -> None:
    """The OpenAI SDK's name works on the LlamaIndex adapter too."""
    from llama_index.core.base.llms.types import ChatMessage

    llm = SkillBoss(api_key=KEY, base_url=server.base_url, max_retries=0)
    assert llm.api_base == server.base_url
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content
    assert server.last_request.path.startswith("/v1/chat/completions")
    again = SkillBoss.from_dict(llm.to_dict())
    assert again.api_base == server.base_url
    assert SkillBoss(base_url=None).api_base == SkillBoss().api_base  # None: the environment


def test_chat_skillboss_lists_models(server: ScriptedGateway) -> None:
    llm = ChatSkillBoss(api_key=KEY, base_url=server.base_url, max_retries=0)
    assert llm.list_models() == list(DEFAULT_MODELS)
    assert server.last_request.method == "GET"
    assert server.last_request.path.endswith("/models")


async def test_chat_skillboss_lists_models_async(server: ScriptedGateway) -> None:
    llm = ChatSkillBoss(api_key=KEY, base_url=server.base_url, max_retries=0)
    assert await llm.alist_models() == list(DEFAULT_MODELS)


def test_skillboss_lists_models(server: ScriptedGateway) -> None:
    llm = SkillBoss(api_key=KEY, api_base=server.base_url, max_retries=0)
    assert llm.list_models() == list(DEFAULT_MODELS)


async def test_skillboss_lists_models_async(server: ScriptedGateway) -> None:
    llm = SkillBoss(api_key=KEY, api_base=server.base_url, max_retries=0)
    assert await llm.alist_models() == list(DEFAULT_MODELS)


async def test_listing_models_uses_the_current_settings(server: ScriptedGateway) -> None:
    """A URL assigned after construction is used, as it is for chat calls."""
    llm = ChatSkillBoss(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0)
    llm.base_url = server.base_url
    assert llm.list_models() == list(DEFAULT_MODELS)
    index = SkillBoss(api_key=KEY, max_retries=0)
    index.api_base = server.base_url
    assert await index.alist_models() == list(DEFAULT_MODELS)


async def test_listing_errors_are_each_frameworks_errors(server: ScriptedGateway) -> None:
    wrong = "sk-wrong-key-0123456789"
    chat = ChatSkillBoss(api_key=wrong, base_url=server.base_url, max_retries=0)
    with pytest.raises(ModelAuthenticationError) as caught:
        chat.list_models()
    assert isinstance(caught.value, GatewayAuthenticationError)
    with pytest.raises(ModelAuthenticationError):
        await chat.alist_models()
    index = SkillBoss(api_key=wrong, api_base=server.base_url, max_retries=0)
    with pytest.raises(GatewayAuthenticationError):
        index.list_models()
    assert wrong not in str(caught.value)
