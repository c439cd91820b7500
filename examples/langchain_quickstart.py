"""ChatSkillBoss in three steps: invoke, stream, structured output.

Run: python examples/langchain_quickstart.py
- With SKILLBOSS_WHOLESALE_KEY set it talks to the live gateway.
- Without it, it replays cassettes/examples/langchain_quickstart.yaml (no network, no key).
- SKILLBOSS_RECORD=local re-records that cassette against the project's scripted gateway.
"""

from __future__ import annotations

from _gateway_mode import gateway_mode
from pydantic import BaseModel, Field

from langchain_skillboss import ChatSkillBoss

MODEL = "openai/gpt-5.4-mini"


class City(BaseModel):
    """Facts about a city."""

    name: str = Field(description="The city's name")
    country: str = Field(description="The country it is in")
    population: int = Field(description="Approximate population")


def main() -> None:
    with gateway_mode(__file__) as connection:
        llm = ChatSkillBoss(model=MODEL, temperature=0, max_tokens=200, **connection)

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
