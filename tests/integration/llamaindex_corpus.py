"""The three small documents the LlamaIndex engine tests retrieve from (the `corpus_index`
fixture in tests/integration/conftest.py indexes them)."""

from __future__ import annotations

from llama_index.core import Document

MODEL = "openai/gpt-5.4-mini"
DOCUMENTS = [
    Document(id_="billing", text="SkillBoss bills wholesale usage per million tokens."),
    Document(id_="keys", text="Wholesale keys are read from SKILLBOSS_WHOLESALE_KEY."),
    Document(id_="errors", text="A 402 answer means the balance is too low; top up."),
]
