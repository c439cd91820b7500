"""A LlamaIndex query engine over a few local documents, answered by SkillBoss.

Run: python examples/llamaindex_rag.py
- With SKILLBOSS_WHOLESALE_KEY set it talks to the live gateway.
- Without it, it replays cassettes/examples/llamaindex_rag.yaml (no network, no key).
- SKILLBOSS_RECORD=local re-records that cassette against the project's scripted gateway.

MockEmbedding keeps the example self-contained (no embedding service); with a real
embedding model only the `embed_model=` line changes.
"""

from __future__ import annotations

from _gateway_mode import gateway_mode
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.node_parser import SentenceSplitter

from llama_index_skillboss import SkillBoss

MODEL = "openai/gpt-5.4-mini"

# The "local documents": a tiny knowledge base about the gateway.
DOCUMENTS = [
    Document(
        id_="billing",
        text="SkillBoss bills wholesale usage per million tokens, at a contract discount "
        "on the vendor's list price, with no platform markup.",
    ),
    Document(
        id_="keys",
        text="Wholesale keys are read from the SKILLBOSS_WHOLESALE_KEY environment variable; "
        "standard console keys are rejected with HTTP 401.",
    ),
    Document(
        id_="capacity",
        text="HTTP 503 means the lite-tier discount pool is out of capacity: retry later or "
        "fall back to a standard-tier model.",
    ),
]


def build_index() -> VectorStoreIndex:
    # Fixed node ids keep the prompt identical run to run (the cassette matches on it).
    splitter = SentenceSplitter(id_func=lambda i, doc: f"{doc.doc_id}-{i}")
    return VectorStoreIndex.from_documents(
        DOCUMENTS, embed_model=MockEmbedding(embed_dim=8), transformations=[splitter]
    )


def main() -> None:
    with gateway_mode(__file__, url_field="api_base") as connection:
        llm = SkillBoss(model=MODEL, max_tokens=300, **connection)
        index = build_index()

        # 1. A query engine: retrieve, then answer from what was retrieved.
        engine = index.as_query_engine(llm=llm, similarity_top_k=len(DOCUMENTS))
        response = engine.query("What does an HTTP 503 from the gateway mean?")
        print("\nanswer:", response.response)
        print("sources:", [node.node.ref_doc_id for node in response.source_nodes])

        # 2. The same engine, streaming: tokens as they arrive.
        streaming = index.as_query_engine(llm=llm, similarity_top_k=len(DOCUMENTS), streaming=True)
        print("\nstreamed: ", end="")
        for token in streaming.query("How is wholesale usage billed?").response_gen:
            print(token, end="", flush=True)
        print()


if __name__ == "__main__":
    main()
