"""What SkillBoss calls cost, on LlamaIndex, over real HTTP against a scripted loopback gateway.

Every path (chat, complete, their async and streaming twins, tools, structured output) puts
the call's cost in `additional_kwargs`: the gateway's own figure when it reports one, else
the price data's arithmetic for the model that answered times the discount, and nothing when
the model has no price. A budget refuses, unsent, a call whose worst case does not fit and is
charged what the calls that fit cost. `CostHandler` adds the calls up exactly once each,
from threads, tasks, streams and LlamaIndex's own engines. Expected costs are computed from
the price data (`price_of(model).usd(...)`), never written down, so a price update does not
break these tests and a wrong formula does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import pytest
from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
from llama_index.core.callbacks import CallbackManager
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.core.types import PydanticProgramMode
from llama_index_instrumentation import get_dispatcher
from pydantic import BaseModel, ValidationError

from llama_index_skillboss import CostHandler, SkillBoss
from skillboss_core import Budget, BudgetExceededError
from skillboss_core.catalog.prices import price_of
from skillboss_core.errors import InvalidParameterError
from skillboss_core.security.env_names import DISCOUNT_ENV
from tests.support.scripted_gateway import (
    Reply,
    ScriptedGateway,
    ScriptResult,
    ToolCall,
    error_body,
)
from tests.support.wire import CREATED, DONE, JSON

MODEL = "openai/gpt-5.4-mini"
OTHER = "openai/gpt-5.4"  # dearer: a call priced as MODEL instead would show
UNKNOWN = "acme/unknown-model"  # no price in the price data
QUESTION = [ChatMessage(role="user", content="Name one colour of the rainbow.")]
PROMPT = "Name one planet."
ANSWER = "Red is one colour of the rainbow."
KEY = "sk-test-0123456789abcdef"
JSON_HEADERS = {"Content-Type": "application/json"}
SSE_HEADERS = {"Content-Type": "text/event-stream"}
# Cached tokens are part of the prompt, reasoning tokens part of the completion (OpenAI-style).
USAGE: JSON = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 400},
    "completion_tokens_details": {"reasoning_tokens": 120},
}
Mode = Literal[
    "chat",
    "achat",
    "stream_chat",
    "astream_chat",
    "complete",
    "acomplete",
    "stream_complete",
    "astream_complete",
]
MODES: tuple[Mode, ...] = (
    "chat",
    "achat",
    "stream_chat",
    "astream_chat",
    "complete",
    "acomplete",
    "stream_complete",
    "astream_complete",
)
STREAMS = ("stream_chat", "astream_chat", "stream_complete", "astream_complete")


def expected_cost(model: str, usage: JSON = USAGE, discount: float = 1.0) -> float:
    """The price data's list price of `usage` on `model`, times the discount."""
    price = price_of(model)
    assert price is not None
    usd = price.usd(
        usage["prompt_tokens"],
        usage["completion_tokens"],
        cached_tokens=usage["prompt_tokens_details"]["cached_tokens"],
        reasoning_tokens=usage["completion_tokens_details"]["reasoning_tokens"],
    )
    assert usd is not None and usd > 0
    return usd * discount


def added(cost: float, times: int) -> float:
    """`cost` added `times` times one after another, as a running total adds it (Python 3.12's
    `sum` of floats compensates rounding, so it may differ in the last bit)."""
    total = 0.0
    for _ in range(times):
        total += cost
    return total


def llm(server: ScriptedGateway, **kwargs: Any) -> SkillBoss:
    settings: dict[str, Any] = {"model": MODEL, "api_key": KEY, "max_retries": 0}
    return SkillBoss(**{**settings, "api_base": server.base_url, **kwargs})


def answer_all(server: ScriptedGateway, usage: JSON = USAGE) -> None:
    """Every chat request gets ANSWER with `usage` (streamed when asked to stream)."""
    server.script(lambda body: Reply(ANSWER, usage=usage))


async def ask(model: SkillBoss, mode: Mode) -> ChatResponse | CompletionResponse:
    """One call in `mode`; a stream is read to its end and its last response returned."""
    if mode == "chat":
        return model.chat(QUESTION)
    if mode == "achat":
        return await model.achat(QUESTION)
    if mode == "stream_chat":
        return list(model.stream_chat(QUESTION))[-1]
    if mode == "astream_chat":
        return [r async for r in await model.astream_chat(QUESTION)][-1]
    if mode == "complete":
        return model.complete(PROMPT)
    if mode == "acomplete":
        return await model.acomplete(PROMPT)
    if mode == "stream_complete":
        return list(model.stream_complete(PROMPT))[-1]
    return [r async for r in await model.astream_complete(PROMPT)][-1]


def completion_body(model: str, usage: JSON) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-cost",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ANSWER},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        }
    ).encode()


def stream_events(model: str, usage: JSON) -> list[bytes]:
    def event(choices: list[JSON], **extra: Any) -> bytes:
        chunk = {
            "id": "chatcmpl-cost",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": choices,
            **extra,
        }
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    return [
        event([{"index": 0, "delta": {"role": "assistant", "content": ANSWER}}]),
        event([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
        event([], usage=usage),
        DONE,
    ]


def serve_with_headers(server: ScriptedGateway, headers: dict[str, str]) -> None:
    """Answer with USAGE and these extra response headers, as a body or a stream."""

    def answer(body: JSON) -> ScriptResult:
        model = str(body["model"])
        if body.get("stream") is True:
            return 200, {**SSE_HEADERS, **headers}, stream_events(model, USAGE)
        return 200, {**JSON_HEADERS, **headers}, completion_body(model, USAGE)

    server.script(answer)


@pytest.fixture
def callbacks() -> Iterator[None]:
    """Put LlamaIndex's global callback manager back after a test that sets it."""
    saved = Settings._callback_manager
    try:
        yield
    finally:
        Settings._callback_manager = saved


# -- the cost of each answer ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_every_path_carries_the_estimate_and_who_answered(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    answer_all(gateway_server)
    response = await ask(llm(gateway_server), mode)
    extra = response.additional_kwargs
    assert extra["cost"] == expected_cost(MODEL)
    assert extra["cost_source"] == "estimate"
    assert extra["model"] == MODEL
    assert extra["vendor"] == "openai"
    assert extra["request_id"] == "req_scripted_1"
    assert (extra["prompt_tokens"], extra["cached_tokens"], extra["reasoning_tokens"]) == (
        1200,
        400,
        120,
    )
    assert "headers" not in extra


@pytest.mark.parametrize("mode", ["stream_chat", "astream_chat"])
async def test_a_stream_reports_the_cost_on_its_final_response_only(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    answer_all(gateway_server)
    model = llm(gateway_server)
    if mode == "stream_chat":
        responses = list(model.stream_chat(QUESTION))
    else:
        responses = [r async for r in await model.astream_chat(QUESTION)]
    *partials, final = responses
    assert partials and all("cost" not in r.additional_kwargs for r in partials)
    assert final.message.content == ANSWER
    assert final.additional_kwargs["cost"] == expected_cost(MODEL)


@pytest.mark.parametrize("mode", ["chat", "stream_chat", "acomplete"])
async def test_the_gateways_usage_cost_is_preferred_to_the_estimate(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    answer_all(gateway_server, usage={**USAGE, "cost": 0.0123})
    extra = (await ask(llm(gateway_server), mode)).additional_kwargs
    assert expected_cost(MODEL) != 0.0123
    assert (extra["cost"], extra["cost_source"]) == (0.0123, "gateway")


@pytest.mark.parametrize("mode", ["chat", "stream_chat", "astream_complete"])
async def test_the_litellm_cost_header_is_the_gateways_figure(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    serve_with_headers(gateway_server, {"x-litellm-response-cost": "0.0456"})
    extra = (await ask(llm(gateway_server), mode)).additional_kwargs
    assert (extra["cost"], extra["cost_source"]) == (0.0456, "gateway")


async def test_the_discount_field_and_the_environment_price_estimates(
    gateway_server: ScriptedGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_all(gateway_server)
    assert (await ask(llm(gateway_server, discount=0.8), "chat")).additional_kwargs[
        "cost"
    ] == expected_cost(MODEL, discount=0.8)
    monkeypatch.setenv(DISCOUNT_ENV, "0.5")
    for mode in ("chat", "stream_chat"):
        extra = (await ask(llm(gateway_server), mode)).additional_kwargs
        assert extra["cost"] == expected_cost(MODEL, discount=0.5)
    # The field wins over the environment; a gateway's own figure is never discounted.
    assert (await ask(llm(gateway_server, discount=0.8), "stream_chat")).additional_kwargs[
        "cost"
    ] == expected_cost(MODEL, discount=0.8)
    answer_all(gateway_server, usage={**USAGE, "cost": 0.0123})
    assert (await ask(llm(gateway_server, discount=0.8), "chat")).additional_kwargs[
        "cost"
    ] == 0.0123


@pytest.mark.parametrize("bad", [0, -0.2, 1.5, 20, float("nan")])
def test_a_discount_out_of_range_is_refused_when_the_llm_is_built(bad: float) -> None:
    with pytest.raises(InvalidParameterError, match="discount"):
        SkillBoss(api_key=KEY, discount=bad)


@pytest.mark.parametrize("bad", [True, "0.8"])
def test_a_discount_that_is_not_a_number_is_refused(bad: Any) -> None:
    with pytest.raises(ValidationError, match="discount"):
        SkillBoss(api_key=KEY, discount=bad)


@pytest.mark.parametrize("mode", ["chat", "stream_chat", "complete"])
async def test_a_model_without_a_price_has_no_cost_never_a_wrong_one(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    answer_all(gateway_server)
    extra = (await ask(llm(gateway_server, model=UNKNOWN), mode)).additional_kwargs
    assert "cost" not in extra and "cost_source" not in extra
    assert (extra["model"], extra["vendor"]) == (UNKNOWN, "acme")
    assert extra["prompt_tokens"] == 1200


@pytest.mark.parametrize("mode", ["chat", "achat", "stream_chat", "astream_chat"])
async def test_a_fallback_is_priced_as_the_model_that_answered(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    def answer(body: JSON) -> ScriptResult | Reply:
        if body["model"] == MODEL:
            return 503, JSON_HEADERS, json.dumps(error_body(503)).encode()
        return Reply(ANSWER, usage=USAGE)

    gateway_server.script(answer)
    budget = Budget(usd=1.0)
    model = llm(gateway_server, fallback_models=[OTHER], max_tokens=200, budget=budget)
    extra = (await ask(model, mode)).additional_kwargs
    assert [r.json["model"] for r in gateway_server.requests] == [MODEL, OTHER]
    assert expected_cost(OTHER) != expected_cost(MODEL)
    assert extra["cost"] == expected_cost(OTHER)
    assert (extra["model"], extra["request_id"]) == (OTHER, "req_scripted_1")
    # The failed first attempt cost nothing.
    assert budget.spent_usd == expected_cost(OTHER) and budget.calls == 1


async def test_the_request_id_is_the_gateways_x_request_id(
    gateway_server: ScriptedGateway,
) -> None:
    serve_with_headers(gateway_server, {"X-Request-ID": "req-abc-123"})
    for mode in ("chat", "astream_chat"):
        extra = (await ask(llm(gateway_server), mode)).additional_kwargs
        assert extra["request_id"] == "req-abc-123"


@pytest.mark.parametrize("mode", ["chat", "stream_chat", "complete", "astream_complete"])
async def test_response_headers_only_on_request_and_without_the_key(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    serve_with_headers(gateway_server, {"x-ratelimit-remaining": "99", "x-echo": f"key {KEY}"})
    assert "headers" not in (await ask(llm(gateway_server), mode)).additional_kwargs
    extra = (await ask(llm(gateway_server, include_response_headers=True), mode)).additional_kwargs
    headers = extra["headers"]
    assert type(headers) is dict
    assert headers["x-ratelimit-remaining"] == "99"
    assert KEY not in json.dumps(headers)


# -- budgets ----------------------------------------------------------------------------------


class City(BaseModel):
    name: str


def weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


WEATHER = FunctionTool.from_defaults(weather)
CITY_PROMPT = PromptTemplate("Name a city in {country}.")
BudgetedCall = Literal[
    "chat",
    "achat",
    "stream_chat",
    "astream_chat",
    "complete",
    "stream_complete",
    "predict_and_call",
    "apredict_and_call",
    "structured_predict",
    "structured_predict_by_tool",
]


async def budgeted_call(model: SkillBoss, call: BudgetedCall) -> Any:
    """Make one call of any path that reaches the gateway."""
    if call in MODES:
        return await ask(model, call)
    if call == "predict_and_call":
        return model.predict_and_call([WEATHER], user_msg="Weather in Lima?")
    if call == "apredict_and_call":
        return await model.apredict_and_call([WEATHER], user_msg="Weather in Lima?")
    if call == "structured_predict_by_tool":
        model.pydantic_program_mode = PydanticProgramMode.FUNCTION
    return model.structured_predict(City, CITY_PROMPT, country="Peru")


def answer_any_call(server: ScriptedGateway) -> None:
    """A tool call when tools were sent, the JSON of a City otherwise."""

    def answer(body: JSON) -> Reply:
        if body.get("tools"):
            name = body["tools"][0]["function"]["name"]
            args = {"city": "Lima"} if name == "weather" else {"name": "Lima"}
            return Reply(tool_calls=[ToolCall(name, args)], usage=USAGE)
        if body.get("response_format"):
            return Reply('{"name": "Lima"}', usage=USAGE)
        return Reply(ANSWER, usage=USAGE)

    server.script(answer)


CALLS: tuple[BudgetedCall, ...] = (
    "chat",
    "achat",
    "stream_chat",
    "astream_chat",
    "complete",
    "stream_complete",
    "predict_and_call",
    "apredict_and_call",
    "structured_predict",
    "structured_predict_by_tool",
)


@pytest.mark.parametrize("call", CALLS)
async def test_a_budget_refuses_a_call_whose_worst_case_does_not_fit(
    gateway_server: ScriptedGateway, call: BudgetedCall
) -> None:
    answer_any_call(gateway_server)
    budget = Budget(usd=0.01)  # the whole output cap of the model would cost more
    with pytest.raises(BudgetExceededError) as refused:
        await budgeted_call(llm(gateway_server, budget=budget), call)
    assert len(gateway_server.requests) == 0
    assert refused.value.model == MODEL and refused.value.needed_usd is not None
    assert refused.value.needed_usd > 0.01
    assert (budget.spent_usd, budget.reserved_usd, budget.calls) == (0.0, 0.0, 0)


@pytest.mark.parametrize("call", CALLS)
async def test_a_call_that_fits_is_charged_what_it_cost(
    gateway_server: ScriptedGateway, call: BudgetedCall
) -> None:
    answer_any_call(gateway_server)
    budget = Budget(usd=0.05)
    costs = CostHandler()
    model = llm(
        gateway_server, budget=budget, max_tokens=200, callback_manager=CallbackManager([costs])
    )
    await budgeted_call(model, call)
    await budgeted_call(model, call)
    assert len(gateway_server.requests) == 2
    assert costs.successful_requests == 2
    assert budget.spent_usd == costs.total_cost == expected_cost(MODEL) + expected_cost(MODEL)
    assert budget.calls == 2 and budget.reserved_usd == 0.0
    assert budget.left_usd == pytest.approx(0.05 - budget.spent_usd)


async def test_the_budget_is_checked_when_a_stream_is_read(
    gateway_server: ScriptedGateway,
) -> None:
    answer_all(gateway_server)
    responses = llm(gateway_server, budget=Budget(usd=0.01)).stream_chat(QUESTION)
    assert len(gateway_server.requests) == 0
    with pytest.raises(BudgetExceededError):
        next(iter(responses))
    assert len(gateway_server.requests) == 0


async def test_the_cost_handlers_budget_applies_to_llms_without_their_own(
    gateway_server: ScriptedGateway,
) -> None:
    answer_all(gateway_server)
    tight = CostHandler(budget=Budget(usd=0.01))
    manager = CallbackManager([tight])
    with pytest.raises(BudgetExceededError):
        llm(gateway_server, callback_manager=manager).chat(QUESTION)
    with pytest.raises(BudgetExceededError):
        list(llm(gateway_server, callback_manager=manager).stream_chat(QUESTION))
    assert len(gateway_server.requests) == 0
    # The LLM's own budget does not lift the handler's: the call must fit both.
    own = Budget(usd=1.0)
    with pytest.raises(BudgetExceededError):
        llm(gateway_server, callback_manager=manager, budget=own).chat(QUESTION)
    assert len(gateway_server.requests) == 0 and own.reserved_usd == 0.0
    roomy = CostHandler(budget=Budget(usd=1.0))
    manager = CallbackManager([roomy])
    llm(gateway_server, callback_manager=manager, budget=own, max_tokens=200).chat(QUESTION)
    assert own.spent_usd == expected_cost(MODEL)
    assert roomy.budget is not None and roomy.budget.spent_usd == expected_cost(MODEL)
    assert roomy.total_cost == expected_cost(MODEL)
    # A handler added after the LLM was built is found at the next call.
    later = CostHandler(budget=Budget(usd=1.0))
    model = llm(gateway_server, max_tokens=200)
    model.callback_manager.add_handler(later)
    model.complete(PROMPT)
    assert later.budget is not None and later.budget.spent_usd == expected_cost(MODEL)


def test_a_budget_is_shared_state_not_a_setting(gateway_server: ScriptedGateway) -> None:
    budget = Budget(usd=1.0)
    model = llm(gateway_server, budget=budget, discount=0.8)
    assert "budget" not in model.to_dict() and "budget" not in model.model_dump()
    assert model.to_dict()["discount"] == 0.8
    assert model.model_copy().budget is budget
    assert "budget" not in SkillBoss.model_json_schema()["properties"]


# -- CostHandler ------------------------------------------------------------------------------


def two_models(server: ScriptedGateway, costs: CostHandler) -> tuple[SkillBoss, SkillBoss]:
    manager = CallbackManager([costs])
    return llm(server, callback_manager=manager), llm(server, model=OTHER, callback_manager=manager)


def assert_counted(costs: CostHandler, per_model: int) -> None:
    """`per_model` calls to each of MODEL and OTHER, each with USAGE."""
    by_model = costs.by_model
    assert set(by_model) == {MODEL, OTHER}
    for model in (MODEL, OTHER):
        totals = by_model[model]
        assert totals.requests == per_model
        # Equal costs add up to the same figure in any order.
        assert totals.cost_usd == added(expected_cost(model), per_model)
        assert (totals.prompt_tokens, totals.completion_tokens, totals.total_tokens) == (
            1200 * per_model,
            300 * per_model,
            1500 * per_model,
        )
        assert (totals.cached_tokens, totals.reasoning_tokens) == (400 * per_model, 120 * per_model)
    assert costs.successful_requests == 2 * per_model
    assert costs.total_cost == pytest.approx(
        per_model * (expected_cost(MODEL) + expected_cost(OTHER)), rel=1e-12
    )
    assert costs.total_tokens == costs.total_llm_token_count == 2 * 1500 * per_model
    assert costs.prompt_llm_token_count == costs.prompt_tokens == 2 * 1200 * per_model
    assert costs.completion_llm_token_count == costs.completion_tokens == 2 * 300 * per_model
    assert costs.unpriced_requests == 0 and costs.reported_requests == 0


def test_cost_handler_sums_calls_from_many_threads_exactly(
    gateway_server: ScriptedGateway,
) -> None:
    answer_all(gateway_server)
    costs = CostHandler()
    models = two_models(gateway_server, costs)
    per_model = 12

    def one(i: int) -> None:
        model = models[i % 2]
        if i % 4 < 2:
            model.chat(QUESTION)
        else:
            list(model.stream_chat(QUESTION))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(2 * per_model)))
    assert len(gateway_server.requests) == 2 * per_model
    assert_counted(costs, per_model)


async def test_cost_handler_sums_concurrent_tasks_exactly(
    gateway_server: ScriptedGateway,
) -> None:
    answer_all(gateway_server)
    costs = CostHandler()
    models = two_models(gateway_server, costs)
    modes: tuple[Mode, ...] = ("achat", "astream_chat", "acomplete", "astream_complete")
    per_model = 8
    await asyncio.gather(*(ask(models[i % 2], modes[i % 4]) for i in range(2 * per_model)))
    assert len(gateway_server.requests) == 2 * per_model
    assert_counted(costs, per_model)


@pytest.mark.parametrize("mode", MODES)
async def test_cost_handler_counts_each_call_once(
    gateway_server: ScriptedGateway, mode: Mode
) -> None:
    answer_all(gateway_server)
    costs = CostHandler()
    await ask(llm(gateway_server, callback_manager=CallbackManager([costs])), mode)
    assert costs.successful_requests == 1
    assert costs.total_cost == expected_cost(MODEL)


async def test_cost_handler_counts_unpriced_and_reported_calls_apart(
    gateway_server: ScriptedGateway,
) -> None:
    costs = CostHandler()
    manager = CallbackManager([costs])
    answer_all(gateway_server)
    llm(gateway_server, model=UNKNOWN, callback_manager=manager).chat(QUESTION)
    answer_all(gateway_server, usage={**USAGE, "cost": 0.0123})
    list(llm(gateway_server, callback_manager=manager).stream_chat(QUESTION))
    assert costs.successful_requests == 2
    assert (costs.unpriced_requests, costs.reported_requests) == (1, 1)
    assert costs.total_cost == 0.0123
    assert costs.by_model[UNKNOWN].cost_usd == 0.0 and costs.by_model[UNKNOWN].requests == 1
    assert costs.total_tokens == 3000
    costs.reset_counts()
    assert (costs.successful_requests, costs.total_cost, costs.by_model) == (0, 0.0, {})


async def test_cost_handler_does_not_count_a_wrapper_around_a_call_twice(
    gateway_server: ScriptedGateway,
) -> None:
    """A structured LLM's chat is an LLM event around SkillBoss's own: one call, once."""
    gateway_server.script(lambda body: Reply('{"name": "Lima"}', usage=USAGE))
    costs = CostHandler()
    manager = CallbackManager([costs])
    structured = llm(gateway_server, callback_manager=manager).as_structured_llm(City)
    structured.callback_manager = manager
    structured.chat([ChatMessage(role="user", content="A city in Peru?")])
    assert len(gateway_server.requests) == 1
    assert costs.successful_requests == 1 and costs.total_cost == expected_cost(MODEL)


async def test_cost_handler_counts_nothing_for_a_failed_call(
    gateway_server: ScriptedGateway,
) -> None:
    gateway_server.script(
        lambda body: (400, JSON_HEADERS, json.dumps(error_body(400, "bad request")).encode())
    )
    costs = CostHandler()
    with pytest.raises(Exception, match="bad request"):
        llm(gateway_server, callback_manager=CallbackManager([costs])).chat(QUESTION)
    assert costs.successful_requests == 0 and costs.by_model == {}


# -- CostHandler under LlamaIndex's engines -------------------------------------------------


def test_cost_handler_in_settings_counts_a_query_engines_calls(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex, callbacks: None
) -> None:
    costs = CostHandler()
    Settings.callback_manager = CallbackManager([costs])
    answer_all(gateway_server)
    # refine: one LLM call per retrieved node.
    engine = corpus_index.as_query_engine(response_mode="refine", similarity_top_k=3)
    assert engine.query("How does billing work?").response == ANSWER
    assert len(gateway_server.requests) == 3
    assert costs.successful_requests == 3
    assert costs.total_cost == added(expected_cost(MODEL), 3)
    streaming = corpus_index.as_query_engine(similarity_top_k=3, streaming=True)
    assert "".join(streaming.query("How does billing work?").response_gen) == ANSWER
    assert costs.successful_requests == 4 == len(gateway_server.requests)


def test_cost_handlers_budget_in_settings_guards_a_query_engine(
    gateway_server: ScriptedGateway, corpus_index: VectorStoreIndex, callbacks: None
) -> None:
    Settings.callback_manager = CallbackManager([CostHandler(budget=Budget(usd=0.01))])
    answer_all(gateway_server)
    with pytest.raises(BudgetExceededError):
        corpus_index.as_query_engine(similarity_top_k=3).query("How does billing work?")
    assert len(gateway_server.requests) == 0


async def test_cost_handler_counts_a_chat_engines_calls(gateway_server: ScriptedGateway) -> None:
    answer_all(gateway_server)
    costs = CostHandler()
    engine = SimpleChatEngine.from_defaults(
        llm=llm(gateway_server, callback_manager=CallbackManager([costs]))
    )
    assert engine.chat("Hello").response == ANSWER
    assert "".join(engine.stream_chat("Again").response_gen) == ANSWER
    streamed = await engine.astream_chat("Once more")
    assert "".join([token async for token in streamed.async_response_gen()]) == ANSWER
    assert len(gateway_server.requests) == 3
    assert costs.successful_requests == 3
    assert costs.total_cost == added(expected_cost(MODEL), 3)


async def test_cost_handler_through_instrumentation(gateway_server: ScriptedGateway) -> None:
    """`costs.event_handler` on the root dispatcher counts SkillBoss calls, streams once."""
    answer_all(gateway_server)
    costs = CostHandler()
    root = get_dispatcher()
    root.add_event_handler(costs.event_handler)
    try:
        model = llm(gateway_server)
        model.chat(QUESTION)
        list(model.stream_chat(QUESTION))
        [r async for r in await model.astream_complete(PROMPT)]
        structured = model.as_structured_llm(City)
        gateway_server.script(lambda body: Reply('{"name": "Lima"}', usage=USAGE))
        structured.chat([ChatMessage(role="user", content="A city in Peru?")])
    finally:
        root.event_handlers.remove(costs.event_handler)
    assert len(gateway_server.requests) == 4
    assert costs.successful_requests == 4
    assert costs.total_cost == added(expected_cost(MODEL), 4)


# ---- embeddings: the same budget guards an index's vectors ----------------------------------

EMBEDDING_MODEL = "openai/text-embedding-3-small"


def embedder(server: ScriptedGateway, **kwargs: Any) -> Any:
    from llama_index_skillboss import SkillBossEmbedding

    settings: dict[str, Any] = {"api_key": KEY, "max_retries": 0, "embed_batch_size": 2}
    return SkillBossEmbedding(
        model_name=EMBEDDING_MODEL, api_base=server.base_url, **{**settings, **kwargs}
    )


def test_an_index_is_built_within_its_budget_or_not_at_all(
    gateway_server: ScriptedGateway,
) -> None:
    from llama_index.core import Document

    from skillboss_core.wire.cost import embeddings_worst_case

    documents = [Document(text=f"Note {n}: wholesale usage is billed per token.") for n in range(4)]
    texts = [document.text for document in documents]
    worst = embeddings_worst_case(EMBEDDING_MODEL, texts[:2])  # one batch of two notes
    assert worst is not None
    with pytest.raises(BudgetExceededError):
        VectorStoreIndex.from_documents(
            documents, embed_model=embedder(gateway_server, budget=Budget(usd=worst * 0.5))
        )
    assert gateway_server.requests == []
    budget = Budget(usd=1.0)
    index = VectorStoreIndex.from_documents(
        documents, embed_model=embedder(gateway_server, budget=budget)
    )
    assert len(index.docstore.docs) == 4
    assert len(gateway_server.requests) == 2  # two batches of two, in one embedding call
    assert budget.spent_usd > 0 and budget.reserved_usd == 0.0 and budget.calls == 1


def test_a_cost_handlers_budget_guards_the_embedding_model_it_is_given_to(
    gateway_server: ScriptedGateway,
) -> None:
    handler = CostHandler(budget=Budget(usd=0.0))
    model = embedder(gateway_server, callback_manager=CallbackManager([handler]))
    with pytest.raises(BudgetExceededError):
        asyncio.run(model.aget_text_embedding_batch(["What is billed?"]))
    with pytest.raises(BudgetExceededError):
        model.get_query_embedding("What is billed?")
    assert gateway_server.requests == []
    assert "budget" not in model.to_dict()
