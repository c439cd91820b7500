"""ChatSkillBoss in three steps: invoke, stream, structured output.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[langchain]"   # in a clone of skillboss-integrations (not on PyPI yet)
    export SKILLBOSS_WHOLESALE_KEY=...
    python langchain_quickstart.py
It calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1. Without a key,
`make demo` in the clone replays answers recorded earlier for this script.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from langchain_skillboss import ChatSkillBoss

MODEL = "openai/gpt-5.4-mini"


class City(BaseModel):
    """Facts about a city."""

    name: str = Field(description="The city's name")
    country: str = Field(description="The country it is in")
    population: int = Field(description="Approximate population")


def main() -> None:
    llm = ChatSkillBoss(model=MODEL, temperature=0, max_tokens=200)

    # 1. invoke: one answer, with token usage.
    reply = llm.invoke("In one sentence, what is the SkillBoss gateway good for?")
    print("\ninvoke:", reply.text)
    print("usage:", reply.usage_metadata)

    # 2. stream: tokens as they arrive; usage arrives once, on the last chunk.
    print("\nstream: ", end="")
    for chunk in llm.stream("Say hello to a new LangChain user in a few words."):
        print(chunk.text, end="", flush=True)
    print()

    # 3. structured output: a validated pydantic object (json_schema by default).
    city = llm.with_structured_output(City).invoke(
        "The city of Paris, country France, has about 2100000 inhabitants. Extract the city."
    )
    print("\nstructured:", repr(city))


if __name__ == "__main__":
    main()
