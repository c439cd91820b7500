"""A gateway's own /models facts over HTTP: fetched, cached per settings, preferred over the
catalog, and seen by both adapters (LangChain's `profile`, LlamaIndex's `metadata`).

How an entry is parsed into facts (no I/O) is in tests/unit/test_core_listing.py.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from langchain_skillboss import ChatSkillBoss
from llama_index_skillboss import SkillBoss
from skillboss_core import Gateway, GatewaySettings
from tests.support.scripted_gateway import ScriptedGateway

KEY = "sk-listing-test-key-000000"
MODEL = "openai/gpt-5.4-mini"
# What the gateway's /models says about MODEL, in OpenRouter's shape: a window, an output
# cap, parameters and modalities.
DESCRIBED = {
    "context_length": 12_345,
    "top_provider": {"max_completion_tokens": 678},
    "supported_parameters": ["tools", "response_format"],
    "architecture": {"input_modalities": ["text"]},
}


def test_the_gateway_lookup_prefers_listed_facts(gateway_server: ScriptedGateway) -> None:
    gateway_server.model_details = {MODEL: DESCRIBED}
    gateway = Gateway(GatewaySettings(api_key=SecretStr(KEY), base_url=gateway_server.base_url))
    assert gateway.lookup(MODEL).source.startswith("litellm==")  # nothing fetched yet
    infos = {info.id: info for info in gateway.model_infos()}
    assert infos[MODEL].context_window == 12_345
    assert infos[MODEL].source.startswith("gateway: GET /models, over litellm==")
    assert not infos[MODEL].supports_vision  # the gateway says text only
    undescribed = next(info for model_id, info in infos.items() if model_id != MODEL)
    assert not undescribed.source.startswith("gateway")
    assert gateway.lookup(MODEL).context_window == 12_345, "cached, no second request"
    assert [r.path for r in gateway_server.requests].count("/v1/models") == 1


def test_both_adapters_see_the_gateways_facts_once_listed(gateway_server: ScriptedGateway) -> None:
    gateway_server.model_details = {MODEL: DESCRIBED}
    url = gateway_server.base_url
    chat = ChatSkillBoss(model=MODEL, api_key=KEY, base_url=url)
    assert chat.profile is not None and chat.profile["max_input_tokens"] == 272_000
    llm = SkillBoss(model=MODEL, api_key=KEY, api_base=url)
    assert llm.metadata.context_window == 272_000
    assert MODEL in chat.list_models()
    # the same settings share one gateway: LlamaIndex's metadata follows at once ...
    assert llm.metadata.context_window == 12_345
    # ... and a LangChain model built afterwards reports the gateway's window.
    again = ChatSkillBoss(model=MODEL, api_key=KEY, base_url=url)
    assert again.profile is not None and again.profile["max_input_tokens"] == 12_345
    # per-instance overrides still win
    assert (
        SkillBoss(model=MODEL, api_key=KEY, api_base=url, context_window=99).metadata.context_window
        == 99
    )


@pytest.mark.asyncio
async def test_async_listing_caches_too(gateway_server: ScriptedGateway) -> None:
    gateway_server.model_details = {MODEL: DESCRIBED}
    llm = SkillBoss(model=MODEL, api_key=KEY, api_base=gateway_server.base_url, max_retries=1)
    assert MODEL in await llm.alist_models()
    assert llm.model_info.context_window == 12_345
