"""The model groups the proxy of tests/proxy serves, all calling the scripted gateway."""

from __future__ import annotations

from tests.proxy.litellm_proxy import Deployment

EMBED_MODEL = "openai/text-embedding-3-small"
CHAT_MODEL = "openai/gpt-5.4-mini"
# A model id the catalog does not know, whose name LiteLLM does not take for text-embedding-3.
OTHER_EMBED_MODEL = "someone/embedder"


def deployments() -> list[Deployment]:
    """The model groups the proxy serves. "openai/<SkillBoss id>": LiteLLM's OpenAI provider,
    sending the SkillBoss id upstream unchanged. Each error test has a group of its own, since
    LiteLLM cools a failing deployment down for a while (then answers 429 without asking)."""
    embed = f"openai/{EMBED_MODEL}"
    other = f"openai/{OTHER_EMBED_MODEL}"
    chat = f"openai/{CHAT_MODEL}"
    return [
        Deployment(EMBED_MODEL, embed),
        Deployment(CHAT_MODEL, chat),
        Deployment(OTHER_EMBED_MODEL, other),
        Deployment(f"{OTHER_EMBED_MODEL}-drop", other, params={"drop_params": True}),
        Deployment(
            f"{OTHER_EMBED_MODEL}-allow", other, params={"allowed_openai_params": ["dimensions"]}
        ),
        Deployment("errors/upstream-key", embed, api_key="sk-not-the-upstream-key-000000"),
        Deployment("errors/402", embed),
        Deployment("errors/400", embed),
        Deployment("errors/429-brief", embed),
        Deployment("errors/429-persistent", embed),
        Deployment("errors/chat-overflow", chat),
        Deployment("langchain/402", embed),
        Deployment("llamaindex/402", embed),
    ]
