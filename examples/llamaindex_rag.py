"""A LlamaIndex query engine over a few local documents: SkillBoss embeds, retrieves, answers.

SkillBossEmbedding turns the documents and each question into vectors (the gateway's
openai/text-embedding-3-small); the query engine retrieves the one document nearest the
question (`similarity_top_k=1` of three) and SkillBoss answers from it. Each answer is printed
with its sources: the ids of the documents retrieved for that question, the only text the
model saw. One question is answered at once, the other streamed.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[llama-index]"   # in a clone of skillboss-integrations (not on PyPI yet)
    export SKILLBOSS_WHOLESALE_KEY=...
    python llamaindex_rag.py
It calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1 (both the embeddings and
the answers). Without a key, `make demo` in the clone replays answers recorded earlier for
this script.
"""

from __future__ import annotations

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.schema import NodeWithScore

from llama_index_skillboss import SkillBoss, SkillBossEmbedding

MODEL = "openai/gpt-5.4-mini"
EMBEDDING_MODEL = "openai/text-embedding-3-small"
TOP_K = 1  # documents retrieved per question: the nearest one

# The "local documents": a tiny knowledge base about the gateway, one fact each.
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
        text="An HTTP 503 from the gateway means the lite-tier discount pool is out of "
        "capacity: retry later or fall back to a standard-tier model.",
    ),
]


def sources(nodes: list[NodeWithScore]) -> list[str | None]:
    """The ids of the documents the retrieved nodes come from."""
    return [node.node.ref_doc_id for node in nodes]


def main() -> None:
    llm = SkillBoss(model=MODEL, max_tokens=300)
    embed_model = SkillBossEmbedding(model=EMBEDDING_MODEL)
    # One embeddings request for the documents; each query embeds its question.
    index = VectorStoreIndex.from_documents(DOCUMENTS, embed_model=embed_model)

    # 1. A query engine: retrieve the nearest document, then answer from it.
    question = "What does an HTTP 503 from the gateway mean?"
    engine = index.as_query_engine(llm=llm, similarity_top_k=TOP_K)
    response = engine.query(question)
    print(f"\nquestion: {question}")
    print("answer:", response.response)
    print("sources:", sources(response.source_nodes))

    # 2. The same, streaming: tokens as they arrive, then the sources they came from.
    question = "How is wholesale usage billed?"
    streaming = index.as_query_engine(llm=llm, similarity_top_k=TOP_K, streaming=True)
    streamed = streaming.query(question)
    print(f"\nquestion: {question}")
    print("streamed: ", end="")
    for token in streamed.response_gen:
        print(token, end="", flush=True)
    print()
    print("sources:", sources(streamed.source_nodes))


if __name__ == "__main__":
    main()
