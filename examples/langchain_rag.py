"""A LangChain RAG chain: SkillBossEmbeddings in a vector store, ChatSkillBoss answering.

SkillBossEmbeddings turns the documents and each question into vectors (the gateway's
openai/text-embedding-3-small) for an `InMemoryVectorStore`; its retriever returns the one
document nearest the question (k=1 of four), and an LCEL chain (retriever | format the
documents -> prompt -> ChatSkillBoss -> StrOutputParser) answers from it. Each answer is
printed with its sources: the ids of the documents retrieved for that question, the only text
the model saw. One question is answered at once, the other streamed.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[langchain]"   # in a clone of skillboss-integrations (not on PyPI yet)
    export SKILLBOSS_WHOLESALE_KEY=...
    python langchain_rag.py
It calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1 (both the embeddings and
the answers). Without a key, `make demo` in the clone replays answers recorded earlier for
this script.
"""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableParallel, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_skillboss import ChatSkillBoss, SkillBossEmbeddings

MODEL = "openai/gpt-5.4-mini"
EMBEDDING_MODEL = "openai/text-embedding-3-small"
K = 1  # documents retrieved per question: the nearest one

# The "local documents": a tiny knowledge base about the gateway, one fact each.
DOCUMENTS = [
    Document(
        id="credits",
        page_content="An HTTP 402 from the gateway means your wholesale credits ran out: top "
        "up on the wholesale dashboard. A 402 is never retried.",
    ),
    Document(
        id="fallbacks",
        page_content="fallback_models names the models to try next when a model is out of "
        "capacity; one wholesale key serves them all.",
    ),
    Document(
        id="streaming",
        page_content="A streamed answer reports its token usage once, on the last chunk, "
        "whatever the base URL.",
    ),
    Document(
        id="model-ids",
        page_content="Gateway model ids name the vendor first, as in openai/gpt-5.4-mini; "
        "list_models() returns the ids your key can use.",
    ),
]

PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Answer the question from this context only, in one or two sentences.\n\n"
            "Context:\n{context}",
        ),
        ("human", "{question}"),
    ]
)


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(doc.page_content for doc in docs)


def build_chain(llm: ChatSkillBoss, store: InMemoryVectorStore) -> Runnable[str, dict[str, Any]]:
    """question -> {"docs": the retrieved documents, "question", "answer"}: the answer chain
    is retriever | format_docs -> prompt -> llm -> parser, with the documents kept for the
    sources."""
    retriever = store.as_retriever(search_kwargs={"k": K})
    answer = (
        RunnablePassthrough.assign(context=lambda state: format_docs(state["docs"]))
        | PROMPT
        | llm
        | StrOutputParser()
    )
    return RunnableParallel(docs=retriever, question=RunnablePassthrough()).assign(answer=answer)


def sources(docs: list[Document]) -> list[str | None]:
    """The ids of the retrieved documents."""
    return [doc.id for doc in docs]


def main() -> None:
    llm = ChatSkillBoss(model=MODEL, temperature=0, max_tokens=200)
    embeddings = SkillBossEmbeddings(model=EMBEDDING_MODEL)
    store = InMemoryVectorStore(embeddings)
    store.add_documents(DOCUMENTS)  # one embeddings request for the four documents
    chain = build_chain(llm, store)

    # 1. invoke: retrieve the nearest document, then answer from it.
    question = "What should I do after an HTTP 402 from the gateway?"
    result = chain.invoke(question)
    print(f"\nquestion: {question}")
    print("answer:", result["answer"])
    print("sources:", sources(result["docs"]))

    # 2. stream: the retrieved documents arrive first, then the answer token by token.
    question = "Which chunk of a streamed answer reports the token usage?"
    print(f"\nquestion: {question}")
    print("streamed: ", end="")
    docs: list[Document] = []
    for chunk in chain.stream(question):
        docs = chunk.get("docs", docs)
        print(chunk.get("answer", ""), end="", flush=True)
    print()
    print("sources:", sources(docs))


if __name__ == "__main__":
    main()
