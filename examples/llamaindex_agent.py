"""A LlamaIndex FunctionAgent with two tools, running on SkillBoss.

Plain user code: copy it into a project and run it with a wholesale key.
    pip install ".[llama-index]"   # in a clone of skillboss-integrations (not on PyPI yet)
    export SKILLBOSS_WHOLESALE_KEY=...
    python llamaindex_agent.py
It calls SKILLBOSS_BASE_URL if set, else https://api.skillboss.co/v1. Without a key,
`make demo` in the clone replays answers recorded earlier for this script.
"""

from __future__ import annotations

import asyncio

from llama_index.core.agent.workflow import (
    AgentStream,
    FunctionAgent,
    ToolCallResult,
)

from llama_index_skillboss import SkillBoss

MODEL = "openai/gpt-5.4-mini"

FORECASTS = {
    "paris": "21 °C and sunny",
    "oslo": "9 °C with light rain",
    "tokyo": "17 °C and cloudy",
}


def get_weather(city: str) -> str:
    """Get today's weather forecast for a city."""
    return FORECASTS.get(city.strip().lower(), f"no forecast for {city}")


def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert a temperature in degrees Celsius to degrees Fahrenheit."""
    return round(celsius * 9 / 5 + 32, 1)


async def ask(agent: FunctionAgent, question: str) -> None:
    """Run the agent, showing tool calls, their results and the streamed answer."""
    print(f"\nuser: {question}")
    handler = agent.run(question)
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"  [tool] {event.tool_name}({event.tool_kwargs}) -> {event.tool_output.content}")
        elif isinstance(event, AgentStream) and event.delta:
            print(event.delta, end="", flush=True)
    await handler
    print()


def main() -> None:
    llm = SkillBoss(model=MODEL, max_tokens=400)
    agent = FunctionAgent(
        tools=[get_weather, celsius_to_fahrenheit],
        llm=llm,
        system_prompt="Answer with the tools; keep the answer to one sentence.",
    )
    asyncio.run(ask(agent, "What is the weather in Paris, and what is 21 Celsius in Fahrenheit?"))


if __name__ == "__main__":
    main()
