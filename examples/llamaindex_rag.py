"""A LlamaIndex query engine over a few local documents, answered by SkillBoss.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[llama-index]"   # in a clone of skillboss-integrations (not on PyPI yet)
    export SKILLBOSS_WHOLESALE_KEY=...
    python llamaindex_rag.py
It calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1. Without a key,
`make demo` in the clone replays answers recorded earlier for this script.

MockEmbedding keeps the example self-contained (no embedding service); with a real
embedding model only the `embed_model=` line changes.
"""

from __future__ import annotations

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
    # Fixed node ids: the same retrieval order, so the same prompt, on every run.
    splitter = SentenceSplitter(id_func=lambda i, doc: f"{doc.doc_id}-{i}")
    return VectorStoreIndex.from_documents(
        DOCUMENTS, embed_model=MockEmbedding(embed_dim=8), transformations=[splitter]
    )


def main() -> None:
    llm = SkillBoss(model=MODEL, max_tokens=300)
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
