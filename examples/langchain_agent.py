"""A tool-calling agent loop on ChatSkillBoss: tools bound, called, fed back; answer streamed.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[langchain]"   # in a clone of skillboss-integrations (not on PyPI yet)
    export SKILLBOSS_WHOLESALE_KEY=...
    python langchain_agent.py
It calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1. Without a key,
`make demo` in the clone replays answers recorded earlier for this script.
"""

from __future__ import annotations

from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool, tool

from langchain_skillboss import ChatSkillBoss

MODEL = "openai/gpt-5.4-mini"
MAX_TURNS = 5


@tool
def get_weather(city: str) -> str:
    """Get today's weather forecast for a city."""
    forecasts = {"paris": "21 °C and sunny", "tokyo": "24 °C with light rain"}
    return forecasts.get(city.strip().lower(), "15°C and cloudy")


@tool
def convert_currency(amount: float, currency: str) -> str:
    """Convert an amount in euros to another currency (JPY or USD)."""
    rates = {"JPY": 162.0, "USD": 1.08}
    rate = rates.get(currency.strip().upper())
    return f"{amount * rate:.2f} {currency.upper()}" if rate else f"unknown currency {currency}"


TOOLS: dict[str, BaseTool] = {t.name: t for t in (get_weather, convert_currency)}


def run_agent(llm: ChatSkillBoss, question: str) -> str:
    """Stream each model turn; run the tools it asks for; stop when it answers in text."""
    agent = llm.bind_tools(list(TOOLS.values()))
    history: list[BaseMessage] = [
        SystemMessage("You are a travel assistant. Use the tools; answer briefly."),
        HumanMessage(question),
    ]
    for _ in range(MAX_TURNS):
        turn: AIMessageChunk | None = None
        for chunk in agent.stream(history):
            print(chunk.text, end="", flush=True)  # the final answer appears token by token
            turn = chunk if turn is None else turn + chunk
        assert turn is not None
        history.append(turn)
        if not turn.tool_calls:
            print()
            return turn.text
        for call in turn.tool_calls:
            result = TOOLS[call["name"]].invoke(call)
            print(f"[tool] {call['name']}({call['args']}) -> {result.content}")
            history.append(result)
    raise RuntimeError(f"no final answer after {MAX_TURNS} turns")


def main() -> None:
    llm = ChatSkillBoss(model=MODEL, temperature=0)
    question = "What is the weather in Paris, and what are 250 euros in currency JPY?"
    print(f"> {question}")
    run_agent(llm, question)


if __name__ == "__main__":
    main()
