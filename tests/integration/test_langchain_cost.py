"""What each ChatSkillBoss call costs, and a budget (issue 25), over real HTTP.

Every path (invoke, ainvoke, stream, astream, batch, tools, structured output, agents)
reports the call's cost in response_metadata: the gateway's own figure when it sends one,
else the list-price estimate for the model that answered times the discount, and nothing
(never a guess) for a model without a price. A budget refuses, unsent, a call whose worst
case does not fit; `get_skillboss_callback` sums every call of its block exactly once, across
threads, tasks, streams and agents. Each test scripts the gateway's answers and usage.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.exceptions import LangChainException
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_skillboss import ChatSkillBoss, SkillBossCallbackHandler, get_skillboss_callback

# langchain-core's ModelError, or the stand-in ChatSkillBoss raises where it predates it (1.5).
from langchain_skillboss.errors import ModelError, SkillBossBudgetExceededError
from skillboss_core import Budget, BudgetExceededError
from skillboss_core.catalog.prices import price_of
from tests.integration.langchain_streams import aggregate
from tests.support.scripted_gateway import Fault, Reply, ScriptedGateway, ScriptResult, ToolCall
from tests.support.wire import JSON, render

MODEL = "openai/gpt-5.4-mini"
OTHER = "openai/gpt-5.4"
UNKNOWN = "acme/unknown-model"
PROMPT = "Say hello."
# A reasoning answer that read part of its prompt from the provider's cache.
USAGE: JSON = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1000},
    "completion_tokens_details": {"reasoning_tokens": 200},
}
HELLO = Reply("Hello there, friend.", usage=USAGE)
Mode = Literal["invoke", "ainvoke", "stream", "astream"]
MODES: tuple[Mode, ...] = ("invoke", "ainvoke", "stream", "astream")


def llm(server: ScriptedGateway, **kwargs: Any) -> ChatSkillBoss:
    options: dict[str, Any] = {
        "model": MODEL,
        "api_key": "sk-test",
        "max_retries": 0,
        "max_tokens": 64,
        **kwargs,
    }
    return ChatSkillBoss(base_url=server.base_url, **options)


def listed(model: str, usage: JSON = USAGE, discount: float = 1.0) -> float:
    """The price data's own arithmetic for `usage` on `model`, times the discount."""
    price = price_of(model)
    assert price is not None
    details = usage.get("prompt_tokens_details") or {}
    reasoning = usage.get("completion_tokens_details") or {}
    usd = price.usd(
        usage["prompt_tokens"],
        usage["completion_tokens"],
        cached_tokens=details.get("cached_tokens", 0),
        reasoning_tokens=reasoning.get("reasoning_tokens", 0),
    )
    assert usd is not None and usd > 0
    return usd * discount


def run(model: Any, mode: Mode, prompt: Any = PROMPT) -> tuple[AIMessage, list[BaseMessage]]:
    """The whole message of one call in `mode`, and the chunks when it streamed."""
    if mode == "invoke":
        return model.invoke(prompt), []
    if mode == "ainvoke":
        return asyncio.run(model.ainvoke(prompt)), []
    if mode == "stream":
        chunks = list(model.stream(prompt))
    else:

        async def collect() -> list[BaseMessage]:
            return [chunk async for chunk in model.astream(prompt)]

        chunks = asyncio.run(collect())
    return aggregate(chunks), chunks


def on_one_chunk(chunks: list[BaseMessage], key: str) -> BaseMessage:
    """The one chunk carrying `key` in its response_metadata (merging would double it)."""
    carrying = [chunk for chunk in chunks if key in chunk.response_metadata]
    assert len(carrying) == 1, (key, [c.response_metadata for c in chunks])
    return carrying[0]


# --------------------------------------------------------------------------- the figure


@pytest.mark.parametrize("mode", MODES)
def test_the_gateways_usage_cost_is_preferred(gateway_server: ScriptedGateway, mode: Mode) -> None:
    gateway_server.reply = Reply("Hello.", usage={**USAGE, "cost": 0.0123})
    message, _ = run(llm(gateway_server), mode)
    assert message.response_metadata["cost"] == 0.0123
    assert message.response_metadata["cost_source"] == "gateway"


def cost_header_script(usd: str) -> Any:
    """Answers as LiteLLM's proxy does: the cost in `x-litellm-response-cost`."""

    def answer(body: JSON) -> ScriptResult:
        rendered = render(body, Reply("Hello.", usage=USAGE))
        headers = {"x-litellm-response-cost": usd, "x-request-id": "req_litellm"}
        if isinstance(rendered, list):
            return 200, {"Content-Type": "text/event-stream", **headers}, [e.data for e in rendered]
        return 200, {"Content-Type": "application/json", **headers}, json.dumps(rendered).encode()

    return answer


@pytest.mark.parametrize("mode", MODES)
def test_the_litellm_cost_header_is_used(gateway_server: ScriptedGateway, mode: Mode) -> None:
    gateway_server.script(cost_header_script("0.0042"))
    message, _ = run(llm(gateway_server, discount=0.5), mode)
    # The gateway's figure is what was charged: no discount applies to it.
    assert message.response_metadata["cost"] == 0.0042
    assert message.response_metadata["cost_source"] == "gateway"
    assert message.response_metadata["request_id"] == "req_litellm"


@pytest.mark.parametrize("mode", MODES)
def test_estimate_prices_cached_and_reasoning_tokens(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    gateway_server.reply = HELLO
    message, _ = run(llm(gateway_server), mode)
    assert message.response_metadata["cost"] == pytest.approx(listed(MODEL), rel=1e-12)
    assert message.response_metadata["cost_source"] == "estimate"
    # The cached tokens are billed at the cache rate: less than the plain list price.
    plain = listed(MODEL, {"prompt_tokens": 1200, "completion_tokens": 300})
    assert message.response_metadata["cost"] < plain


def test_llm_output_carries_the_cost_and_sums_it(gateway_server: ScriptedGateway) -> None:
    gateway_server.reply = Reply("Hello.", usage={**USAGE, "cost": 0.25})
    result = llm(gateway_server).generate([[HumanMessage("a")], [HumanMessage("b")]])
    assert result.llm_output is not None and result.llm_output["cost"] == 0.5
    messages = [g[0].message for g in result.generations if isinstance(g[0], ChatGeneration)]
    assert [m.response_metadata["cost"] for m in messages] == [0.25, 0.25]


def test_discount_field_and_environment(
    gateway_server: ScriptedGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway_server.reply = HELLO
    cost = llm(gateway_server, discount=0.5).invoke(PROMPT).response_metadata["cost"]
    assert cost == pytest.approx(listed(MODEL, discount=0.5), rel=1e-12)
    monkeypatch.setenv("SKILLBOSS_DISCOUNT", "0.8")
    from_env = llm(gateway_server)
    assert from_env.invoke(PROMPT).response_metadata["cost"] == pytest.approx(
        listed(MODEL, discount=0.8), rel=1e-12
    )
    streamed, _ = run(from_env, "stream")
    assert streamed.response_metadata["cost"] == pytest.approx(listed(MODEL, discount=0.8))
    # The field wins over the environment.
    chosen = llm(gateway_server, discount=0.25).invoke(PROMPT).response_metadata["cost"]
    assert chosen == pytest.approx(listed(MODEL, discount=0.25), rel=1e-12)


@pytest.mark.parametrize("wrong", [0, -0.1, 1.5, 20, float("nan"), True])
def test_a_wrong_discount_is_refused_at_construction(wrong: Any) -> None:
    with pytest.raises(ValueError, match="discount must be a number greater than 0"):
        ChatSkillBoss(api_key="sk-test", discount=wrong)


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_a_stream_reports_its_cost_once_on_the_usage_chunk(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    gateway_server.reply = HELLO
    full, chunks = run(llm(gateway_server, include_response_headers=True), mode)
    costed = on_one_chunk(chunks, "cost")
    assert isinstance(costed, AIMessageChunk) and costed.usage_metadata is not None
    assert on_one_chunk(chunks, "cost_source") is costed
    for key in ("request_id", "vendor", "headers", "model_name"):
        on_one_chunk(chunks, key)
    assert full.response_metadata["cost"] == pytest.approx(listed(MODEL), rel=1e-12)
    assert full.response_metadata["cost_source"] == "estimate"
    assert full.response_metadata["request_id"] == "req_scripted_1"
    assert full.response_metadata["vendor"] == "openai"
    assert full.response_metadata["headers"]["x-request-id"] == "req_scripted_1"


def test_a_stream_without_usage_still_reports_its_cost(gateway_server: ScriptedGateway) -> None:
    gateway_server.reply = HELLO
    full, chunks = run(llm(gateway_server, stream_usage=False), "stream")
    assert all(chunk.usage_metadata is None for chunk in chunks)  # type: ignore[attr-defined]
    on_one_chunk(chunks, "cost")
    assert full.response_metadata["cost"] == pytest.approx(listed(MODEL), rel=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_an_unpriced_model_has_no_cost(gateway_server: ScriptedGateway, mode: Mode) -> None:
    gateway_server.reply = HELLO
    message, _ = run(llm(gateway_server, model=UNKNOWN), mode)
    assert "cost" not in message.response_metadata
    assert "cost_source" not in message.response_metadata
    assert message.response_metadata["vendor"] == "acme"
    assert message.usage_metadata is not None  # the usage is there, the price is not


def test_a_model_the_catalog_does_not_place_has_no_vendor(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.reply = HELLO
    message = llm(gateway_server, model="reel-31-api").invoke(PROMPT)
    assert "vendor" not in message.response_metadata
    assert "cost" not in message.response_metadata


@pytest.mark.parametrize("mode", MODES)
def test_a_fallback_is_priced_as_the_model_that_answered(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    def overloaded_primary(body: JSON) -> ScriptResult | Reply:
        if body["model"] == MODEL:
            return 503, {"Content-Type": "application/json"}, b'{"error": {"message": "busy"}}'
        return HELLO

    gateway_server.script(overloaded_primary)
    budget = Budget(usd=5.0)
    message, _ = run(llm(gateway_server, fallback_models=[OTHER], budget=budget), mode)
    assert [r.json["model"] for r in gateway_server.requests] == [MODEL, OTHER]
    assert message.response_metadata["model_name"] == OTHER
    assert message.response_metadata["cost"] == pytest.approx(listed(OTHER), rel=1e-12)
    assert listed(OTHER) != pytest.approx(listed(MODEL))
    # The refused attempt cost nothing; the answer its own price.
    assert budget.spent_usd == pytest.approx(listed(OTHER), rel=1e-12)
    assert budget.reserved_usd == 0


@pytest.mark.parametrize("mode", MODES)
def test_request_id_vendor_and_headers_only_when_asked(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    gateway_server.reply = HELLO
    plain, _ = run(llm(gateway_server), mode)
    assert plain.response_metadata["request_id"] == "req_scripted_1"
    assert plain.response_metadata["vendor"] == "openai"
    assert plain.response_metadata["model_provider"] == "skillboss"
    assert "headers" not in plain.response_metadata
    with_headers, _ = run(llm(gateway_server, include_response_headers=True), mode)
    headers = with_headers.response_metadata["headers"]
    assert type(headers) is dict and headers["x-request-id"] == "req_scripted_2"


def test_response_headers_never_show_the_key(gateway_server: ScriptedGateway) -> None:
    key = "sk-live-0123456789abcdef"

    def echoing_proxy(body: JSON) -> ScriptResult:
        headers = {"Content-Type": "application/json", "x-echo": f"Bearer {key}"}
        return 200, headers, json.dumps(render(body, HELLO)).encode()

    gateway_server.script(echoing_proxy)
    model = llm(gateway_server, include_response_headers=True, api_key=key)
    headers = model.invoke(PROMPT).response_metadata["headers"]
    assert "x-echo" in headers and key not in json.dumps(headers)


def test_the_budget_is_never_serialized(gateway_server: ScriptedGateway) -> None:
    model = llm(gateway_server, budget=Budget(usd=1.0), discount=0.5)
    assert "budget" not in model.model_dump()
    assert "budget" not in json.loads(dumps(model))["kwargs"]
    assert json.loads(dumps(model))["kwargs"]["discount"] == 0.5


# --------------------------------------------------------------------------- budgets


class Joke(BaseModel):
    setup: str
    punchline: str


@tool
def weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def refused_call(model: ChatSkillBoss, how: str) -> None:
    """One call in the way `how` names; each must raise before sending."""
    if how in MODES:
        run(model, how)
    elif how == "batch":
        model.batch([PROMPT, PROMPT], config={"max_concurrency": 2})
    elif how == "abatch":
        asyncio.run(model.abatch([PROMPT, PROMPT]))
    elif how == "bind_tools":
        model.bind_tools([weather]).invoke(PROMPT)
    elif how == "structured":
        model.with_structured_output(Joke).invoke(PROMPT)
    elif how == "structured_tools":
        model.with_structured_output(Joke, method="function_calling").invoke(PROMPT)
    elif how == "streaming_invoke":
        model.model_copy(update={"streaming": True}).invoke(PROMPT)
    else:
        raise AssertionError(how)


HOW = (
    *MODES,
    "batch",
    "abatch",
    "bind_tools",
    "structured",
    "structured_tools",
    "streaming_invoke",
)


def assert_refused(error: BaseException) -> None:
    assert isinstance(error, SkillBossBudgetExceededError)
    assert isinstance(error, BudgetExceededError)
    assert isinstance(error, ModelError) and isinstance(error, LangChainException)
    assert error.model == MODEL and error.needed_usd is not None


@pytest.mark.parametrize("how", HOW)
def test_a_call_that_does_not_fit_is_refused_unsent(
    gateway_server: ScriptedGateway, how: str
) -> None:
    gateway_server.reply = HELLO
    budget = Budget(usd=1e-7)
    with pytest.raises(SkillBossBudgetExceededError) as caught:
        refused_call(llm(gateway_server, budget=budget), how)
    assert_refused(caught.value)
    assert len(gateway_server.requests) == 0
    assert (budget.spent_usd, budget.reserved_usd, budget.calls) == (0, 0, 0)


@pytest.mark.parametrize("how", HOW)
def test_the_callbacks_budget_refuses_the_calls_of_its_block(
    gateway_server: ScriptedGateway, how: str
) -> None:
    gateway_server.reply = HELLO
    with (
        get_skillboss_callback(budget=Budget(usd=1e-7)) as cb,
        pytest.raises(SkillBossBudgetExceededError) as caught,
    ):
        refused_call(llm(gateway_server), how)
    assert_refused(caught.value)
    assert len(gateway_server.requests) == 0
    assert cb.successful_requests == 0
    # Outside the block the budget no longer applies.
    assert llm(gateway_server).invoke(PROMPT).response_metadata["cost"] > 0


def test_an_unpriced_model_is_refused_unless_allowed(gateway_server: ScriptedGateway) -> None:
    gateway_server.reply = Reply("Hi.", usage={**USAGE, "cost": 0.5})
    with pytest.raises(SkillBossBudgetExceededError, match="no list price"):
        llm(gateway_server, model=UNKNOWN, budget=Budget(usd=100)).invoke(PROMPT)
    assert len(gateway_server.requests) == 0
    allowing = Budget(usd=100, unpriced="allow")
    llm(gateway_server, model=UNKNOWN, budget=allowing).invoke(PROMPT)
    assert allowing.spent_usd == 0.5  # what the gateway reported


def test_calls_that_fit_are_sent_and_charged_what_they_cost(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.reply = HELLO
    budget = Budget(usd=1.0)
    model = llm(gateway_server, budget=budget)
    costs = [run(model, mode)[0].response_metadata["cost"] for mode in MODES]
    costs += [m.response_metadata["cost"] for m in model.batch([PROMPT] * 3)]
    bound = model.bind_tools([weather])
    costs.append(bound.invoke(PROMPT).response_metadata["cost"])
    assert len(gateway_server.requests) == len(costs) == 8
    assert budget.spent_usd == pytest.approx(sum(costs), rel=1e-12)
    assert budget.calls == 8 and budget.reserved_usd == 0
    assert budget.left_usd == pytest.approx(1.0 - sum(costs), rel=1e-12)


def test_a_call_counts_against_its_own_budget_and_every_enclosing_one(
    gateway_server: ScriptedGateway,
) -> None:
    """An application-wide limit holds around library code with limits of its own."""
    gateway_server.reply = HELLO
    own, inner, outer = Budget(usd=1.0), Budget(usd=1.0), Budget(usd=1.0)
    with get_skillboss_callback(budget=outer), get_skillboss_callback(budget=inner) as cb:
        message = llm(gateway_server, budget=own).invoke(PROMPT)
    cost = message.response_metadata["cost"]
    assert own.spent_usd == inner.spent_usd == outer.spent_usd == cost == cb.total_cost
    tight = Budget(usd=1e-7)
    with get_skillboss_callback(budget=tight), pytest.raises(SkillBossBudgetExceededError):
        llm(gateway_server, budget=Budget(usd=1.0)).invoke(PROMPT)
    assert len(gateway_server.requests) == 1


def test_the_budget_stops_calls_once_it_is_spent(gateway_server: ScriptedGateway) -> None:
    gateway_server.reply = Reply("Hello.", usage={**USAGE, "cost": 0.004})
    # Room for the worst case of one call, not of a second after its real cost.
    worst = listed(MODEL, {"prompt_tokens": 20, "completion_tokens": 64})
    budget = Budget(usd=0.004 + worst * 0.5)
    model = llm(gateway_server, budget=budget)
    model.invoke(PROMPT)
    with pytest.raises(SkillBossBudgetExceededError):
        model.invoke(PROMPT)
    assert len(gateway_server.requests) == 1
    assert budget.spent_usd == 0.004


# --------------------------------------------------------------------------- the callback


def by_model(body: JSON) -> Reply:
    """Each model answers with its own usage and a reported cost that sums exactly."""
    if body["model"] == MODEL:
        return Reply("Hi.", usage={"prompt_tokens": 10, "completion_tokens": 2, "cost": 0.125})
    usage = {
        "prompt_tokens": 30,
        "completion_tokens": 5,
        "prompt_tokens_details": {"cached_tokens": 20},
        "completion_tokens_details": {"reasoning_tokens": 3},
        "cost": 0.25,
    }
    return Reply("Hello.", usage=usage)


@pytest.fixture
def two_models(gateway_server: ScriptedGateway) -> Iterator[tuple[ChatSkillBoss, ChatSkillBoss]]:
    gateway_server.script(by_model)
    yield llm(gateway_server), llm(gateway_server, model=OTHER)


N = 6


def test_the_callback_sums_concurrent_calls_exactly(
    gateway_server: ScriptedGateway, two_models: tuple[ChatSkillBoss, ChatSkillBoss]
) -> None:
    mini, big = two_models
    budget = Budget(usd=100.0)

    async def concurrently() -> None:
        await asyncio.gather(*(m.ainvoke(PROMPT) for m in (mini, big) for _ in range(N)))
        for model in (mini, big):
            async for _ in model.astream(PROMPT):
                pass

    with get_skillboss_callback(budget=budget) as cb:
        mini.batch([PROMPT] * N, config={"max_concurrency": 4})
        big.batch([PROMPT] * N, config={"max_concurrency": 4})
        asyncio.run(concurrently())
        list(big.stream(PROMPT))
        list(mini.stream(PROMPT))
    calls = 2 * N + 2  # per model: batch, gather, astream and stream
    assert len(gateway_server.requests) == 2 * calls
    small, large = cb.by_model[MODEL], cb.by_model[OTHER]
    assert (small.requests, large.requests) == (calls, calls)
    assert (small.cost_usd, large.cost_usd) == (calls * 0.125, calls * 0.25)
    assert (small.prompt_tokens, small.completion_tokens) == (calls * 10, calls * 2)
    assert (large.cached_tokens, large.reasoning_tokens) == (calls * 20, calls * 3)
    assert large.reported_requests == calls
    assert cb.successful_requests == 2 * calls
    assert cb.total_cost == calls * (0.125 + 0.25)
    assert cb.total_tokens == calls * (12 + 35)
    assert cb.prompt_tokens == calls * 40 and cb.completion_tokens == calls * 7
    assert cb.cached_tokens == calls * 20 and cb.reasoning_tokens == calls * 3
    assert cb.unpriced_requests == 0
    # The block's budget was charged for every call, once.
    assert budget.spent_usd == cb.total_cost and budget.calls == 2 * calls
    assert "Total Cost (USD): $" in repr(cb) and f"Successful Requests: {2 * calls}" in repr(cb)


async def test_the_callback_counts_async_calls_and_streams_once(
    two_models: tuple[ChatSkillBoss, ChatSkillBoss],
) -> None:
    mini, big = two_models
    with get_skillboss_callback() as cb:
        await asyncio.gather(*(mini.ainvoke(PROMPT) for _ in range(N)))
        chunks = [chunk async for chunk in big.astream(PROMPT)]
        await big.abatch([PROMPT] * 2)
    assert sum("cost" in chunk.response_metadata for chunk in chunks) == 1
    assert cb.by_model[MODEL].requests == N and cb.by_model[OTHER].requests == 3
    assert cb.total_cost == N * 0.125 + 3 * 0.25


def test_the_callback_sums_estimates_and_counts_unpriced_calls(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.reply = HELLO
    with get_skillboss_callback() as cb:
        priced = llm(gateway_server).invoke(PROMPT)
        streamed, _ = run(llm(gateway_server), "stream")
        llm(gateway_server, model=UNKNOWN).invoke(PROMPT)
    assert cb.total_cost == pytest.approx(2 * listed(MODEL), rel=1e-12)
    assert cb.total_cost == pytest.approx(
        priced.response_metadata["cost"] + streamed.response_metadata["cost"], rel=1e-12
    )
    assert cb.successful_requests == 3 and cb.unpriced_requests == 1
    assert cb.by_model[UNKNOWN].cost_usd == 0 and cb.by_model[UNKNOWN].total_tokens == 1500
    assert "Unpriced Requests" in repr(cb)


def test_the_callback_counts_only_skillboss_calls_that_were_made(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.reply = Reply("Hi.", usage={**USAGE, "cost": 0.5})
    cached = llm(gateway_server, cache=InMemoryCache())
    other = GenericFakeChatModel(messages=iter([AIMessage("fake")]))
    with get_skillboss_callback() as cb:
        cached.invoke(PROMPT)
        cached.invoke(PROMPT)  # from the cache: nothing sent, nothing spent
        other.invoke(PROMPT)
    assert len(gateway_server.requests) == 1
    assert cb.successful_requests == 1 and cb.total_cost == 0.5


def test_the_callback_ignores_calls_outside_its_block(gateway_server: ScriptedGateway) -> None:
    gateway_server.reply = Reply("Hi.", usage={**USAGE, "cost": 0.5})
    model = llm(gateway_server)
    with get_skillboss_callback() as cb:
        model.invoke(PROMPT)
    model.invoke(PROMPT)
    assert cb.successful_requests == 1


def test_nested_blocks_and_an_explicit_handler_count_each_call_once(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.reply = Reply("Hi.", usage={**USAGE, "cost": 0.5})
    model = llm(gateway_server)
    explicit = SkillBossCallbackHandler()
    with get_skillboss_callback() as outer:
        model.invoke(PROMPT, config={"callbacks": [explicit]})
        with get_skillboss_callback() as inner:
            model.invoke(PROMPT)
            # The outer handler attached by hand and told by the inner one: still once.
            list(model.stream(PROMPT, config={"callbacks": [outer]}))
    assert (outer.successful_requests, inner.successful_requests) == (3, 2)
    assert (outer.total_cost, inner.total_cost) == (1.5, 1.0)
    assert explicit.successful_requests == 1


# --------------------------------------------------------------------------- agents


def agent_script(body: JSON) -> Reply:
    """A tool call first, then the answer once the tool's result is in the conversation."""
    if any(message.get("role") == "tool" for message in body["messages"]):
        return Reply("It is sunny in Paris.", usage={**USAGE, "cost": 0.25})
    return Reply(
        tool_calls=[ToolCall("weather", {"city": "Paris"}, id="call_1")],
        usage={**USAGE, "cost": 0.125},
    )


def test_an_agent_inside_the_block_is_counted(gateway_server: ScriptedGateway) -> None:
    create_agent = pytest.importorskip("langchain.agents").create_agent
    gateway_server.script(agent_script)
    agent = create_agent(model=llm(gateway_server), tools=[weather])
    question = {"messages": [HumanMessage("Weather in Paris?")]}
    with get_skillboss_callback() as cb:
        result = agent.invoke(question)
        streamed = list(agent.stream(question, stream_mode="messages"))
    assert result["messages"][-1].text == "It is sunny in Paris."
    assert streamed and len(gateway_server.requests) == 4
    assert cb.successful_requests == 4 and cb.total_cost == 2 * (0.125 + 0.25)


async def test_an_async_agent_is_counted_and_bound_by_the_blocks_budget(
    gateway_server: ScriptedGateway,
) -> None:
    create_agent = pytest.importorskip("langchain.agents").create_agent
    gateway_server.script(agent_script)
    agent = create_agent(model=llm(gateway_server), tools=[weather])
    question = {"messages": [HumanMessage("Weather in Paris?")]}
    budget = Budget(usd=1.0)
    with get_skillboss_callback(budget=budget) as cb:
        await agent.ainvoke(question)
    assert cb.successful_requests == 2 and budget.spent_usd == 0.375 == cb.total_cost
    with (
        get_skillboss_callback(budget=Budget(usd=1e-7)),
        pytest.raises(SkillBossBudgetExceededError),
    ):
        await agent.ainvoke(question)
    assert len(gateway_server.requests) == 2


def test_a_failed_call_costs_nothing(gateway_server: ScriptedGateway) -> None:
    gateway_server.enqueue(Fault.status(400))
    budget = Budget(usd=1.0)
    with get_skillboss_callback() as cb, pytest.raises(ModelError):
        llm(gateway_server, budget=budget).invoke(PROMPT)
    assert (budget.spent_usd, budget.reserved_usd, cb.successful_requests) == (0, 0, 0)


# ---- embeddings: the same budget guards a RAG pipeline's vectors ------------------------------


EMBEDDING_MODEL = "openai/text-embedding-3-small"
TEXTS = [f"Passage {n} on how wholesale usage is billed." for n in range(6)]


def embeddings(server: ScriptedGateway, **kwargs: Any) -> Any:
    from langchain_skillboss import SkillBossEmbeddings

    return SkillBossEmbeddings(
        model=EMBEDDING_MODEL, api_key="sk-test", base_url=server.base_url, max_retries=0, **kwargs
    )


@pytest.mark.parametrize("style", ["sync", "async"])
def test_an_embeddings_budget_refuses_unsent_and_charges_what_fits(
    gateway_server: ScriptedGateway, style: str
) -> None:
    from skillboss_core.wire.cost import embeddings_worst_case

    worst = embeddings_worst_case(EMBEDDING_MODEL, TEXTS)
    assert worst is not None

    def embed(model: Any) -> list[list[float]]:
        if style == "sync":
            return model.embed_documents(TEXTS)  # type: ignore[no-any-return]
        return asyncio.run(model.aembed_documents(TEXTS))  # type: ignore[no-any-return]

    tight = Budget(usd=worst * 0.9)
    with pytest.raises(SkillBossBudgetExceededError):
        embed(embeddings(gateway_server, budget=tight))
    assert gateway_server.requests == []
    roomy = Budget(usd=worst * 2)
    assert len(embed(embeddings(gateway_server, budget=roomy, discount=0.5))) == len(TEXTS)
    assert sum(len(r.json["input"]) for r in gateway_server.requests) == len(TEXTS)
    assert 0 < roomy.spent_usd <= worst * 0.5 and roomy.reserved_usd == 0.0
    assert "budget" not in dumps(embeddings(gateway_server, budget=roomy))


def test_a_callback_budget_guards_the_embeddings_in_its_block(
    gateway_server: ScriptedGateway,
) -> None:
    with get_skillboss_callback(budget=Budget(usd=0.0)), pytest.raises(BudgetExceededError):
        embeddings(gateway_server).embed_query("What is billed?")
    assert gateway_server.requests == []
    assert len(embeddings(gateway_server).embed_query("What is billed?")) > 0


@pytest.mark.parametrize("bad", [0, 1.5, "0.8", True])
def test_an_embeddings_discount_out_of_range_is_refused(
    gateway_server: ScriptedGateway, bad: Any
) -> None:
    with pytest.raises(ValueError, match="discount"):
        embeddings(gateway_server, discount=bad)
