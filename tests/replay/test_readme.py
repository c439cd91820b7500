"""README.md stays true: its Python compiles and runs, and its tables match the code.

Every ```python block is executed, section by section (the blocks of one `##` section share a
namespace, as a reader running them in order would), against cassettes in
cassettes/test_readme/ (re-recorded by `make record` / `make record-local`). Each section then
has a check on what its snippets produced, so "it ran" means "it did what the README says".
"""

from __future__ import annotations

import builtins
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage
from llama_index.core import Settings
from llama_index.core.llms.function_calling import FunctionCallingLLM
from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from langchain_skillboss import ChatSkillBoss, SkillBossEmbeddings
from llama_index_skillboss import SkillBoss
from skillboss_core.wire.params import RANGES
from tests.support.answer_table import Answer
from tests.support.cassettes import asked

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
ABSENT = "-"


# ---- reading the README ---------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    section: str
    language: str
    code: str
    line: int


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def read_blocks(text: str) -> list[Block]:
    """Fenced code blocks with their language and the `##` section they sit in."""
    found: list[Block] = []
    lines: list[str] = []
    section, language, start = "", "", 0
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            if fenced:
                found.append(Block(section, language, "\n".join(lines) + "\n", start))
            else:
                language, start, lines = line[3:].strip(), number + 1, []
            fenced = not fenced
        elif fenced:
            lines.append(line)
        elif line.startswith("## "):
            section = slug(line[3:])
    assert not fenced, "README.md has an unclosed code fence"
    return found


BLOCKS = read_blocks(README.read_text(encoding="utf-8"))
PYTHON = [block for block in BLOCKS if block.language == "python"]


def section_text(title: str, level: str = "## ") -> str:
    """The README text under one heading, up to the next heading of the same level or above."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{level}{title}\n")
    ends = [text.find(f"\n{mark} ", start + 1) for mark in ("##", "###")[: len(level) - 2]]
    ends = [end for end in ends if end != -1]
    return text[start : min(ends) if ends else len(text)]


def table_rows(text: str, first_header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose first header cell is `first_header`."""
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header}"))
    rows = []
    for line in lines[head + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def names_in(cell: str) -> list[str]:
    """Identifiers written in backticks in a table cell ('-' means none)."""
    return [] if cell == ABSENT else re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cell)


# ---- every Python block compiles ------------------------------------------------------------


def test_the_readme_has_python_in_the_sections_it_promises() -> None:
    assert set(SECTION_CHECKS) == {block.section for block in PYTHON}


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: f"{b.section}-line{b.line}")
def test_python_block_compiles(block: Block) -> None:
    compile(block.code, f"README.md:{block.line}", "exec", dont_inherit=True)


# ---- every Python block runs, and does what the README says ---------------------------------


@pytest.fixture
def deterministic_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """LlamaIndex names documents and nodes with uuid4 and breaks retrieval ties by id.

    Fixed ids keep every run's nodes, and any tie in retrieval, the same; the context in a
    replayed prompt must match the recorded one.
    """
    counter = iter(range(1, 1_000_000))
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))


def request_key(request: Any) -> str:
    return json.dumps([request.method, request.path, asked(request)], sort_keys=True)


def replayed_everything(cassette: Any) -> bool:
    """Each distinct recorded request was matched (identical ones replay the first)."""
    played = {
        request_key(cassette.data[i][0]) for i, count in cassette.play_counts.items() if count
    }
    return all(request_key(request) in played for request, _response in cassette.data)


def recorded_bodies(cassette: Any) -> list[str]:
    """The bodies recorded in the cassette. A replay served them only to requests that asked
    the same (tests/support/cassettes.asked: streaming, every message's text, the tools), so
    what the checks read from them is what the snippets sent."""
    return [request.body.decode() if request.body else "" for request in cassette.requests]


def embedded_texts(cassette: Any) -> set[str]:
    """Every text the snippets sent to /embeddings."""
    texts: set[str] = set()
    for request in cassette.requests:
        if request.path.endswith("/embeddings"):
            sent = json.loads(request.body)["input"]
            texts.update([sent] if isinstance(sent, str) else sent)
    return texts


def prompt_asking(cassette: Any, question: str) -> str:
    """Every message's text of the one chat request asking `question`."""
    prompts = [
        "\n".join(str(message.get("content")) for message in json.loads(body)["messages"])
        for body in recorded_bodies(cassette)
        if '"messages"' in body and question in body
    ]
    assert len(prompts) == 1, f"expected one chat request asking {question!r}"
    return prompts[0]


def check_retrieval(cassette: Any, texts: list[str], question: str, nearest: str) -> None:
    """The documents and the question were embedded, and the nearest document, only it,
    reached the prompt that asks the question."""
    assert embedded_texts(cassette) >= {*texts, question}
    prompt = prompt_asking(cassette, question)
    assert [text for text in texts if text in prompt] == [nearest]


def check_langchain(scope: dict[str, Any], cassette: Any, output: str) -> None:
    reply = scope["reply"]
    assert isinstance(reply, AIMessage) and reply.text
    assert reply.usage_metadata and reply.usage_metadata["total_tokens"] > 0
    assert any('"stream":true' in body.replace(" ", "") for body in recorded_bodies(cassette))
    person = scope["person"]
    assert isinstance(person, scope["Person"]) and isinstance(person.age, int) and person.name
    # The agent loop: a tool call, its result answered by id, then a text answer.
    first_turn = scope["messages"][1]
    assert [call["name"] for call in first_turn.tool_calls] == ["get_weather"]
    assert first_turn.tool_calls[0]["args"]["city"].strip().lower() == "paris"
    results = [m for m in scope["messages"] if isinstance(m, ToolMessage)]
    assert [m.tool_call_id for m in results] == [c["id"] for c in first_turn.tool_calls]
    assert results[0].content == "18°C and sunny"
    assert not scope["ai_msg"].tool_calls and scope["ai_msg"].text
    # The retriever chain: the billing text, nearest the question, is what the model saw.
    assert isinstance(scope["store"].embedding, SkillBossEmbeddings)
    texts = scope["texts"]
    check_retrieval(cassette, texts, "How is wholesale usage billed?", nearest=texts[0])


def check_llamaindex(scope: dict[str, Any], cassette: Any, output: str) -> None:
    assert isinstance(Settings.llm, SkillBoss)
    # The query engine: the 503 document, nearest the question, retrieved and answered from.
    texts = [doc.text for doc in scope["documents"]]
    retrieved = [source.node.get_content() for source in scope["response"].source_nodes]
    assert retrieved == [texts[1]]
    check_retrieval(cassette, texts, "What does an HTTP 503 mean?", nearest=texts[1])
    bodies = recorded_bodies(cassette)
    tool_results = [
        message["content"]
        for body in bodies
        if body
        for message in json.loads(body).get("messages", [])
        if message["role"] == "tool"
    ]
    assert tool_results == ["78.0"], "multiply(19.5, 4) ran and its result went back"
    assert isinstance(scope["invoice"], scope["Invoice"])
    assert output.strip()


def check_configuration(scope: dict[str, Any], cassette: Any, output: str) -> None:
    printed = output.splitlines()
    assert "openai/gpt-5.4-mini" in printed[0]  # list_models() from the gateway
    assert int(printed[1]) == len(scope["known_models"]()) > 200
    assert printed[2] == "200000 64000 True"  # bedrock/claude-4-5-sonnet found
    assert printed[3] == scope["info"].source and printed[3].startswith("litellm==")
    assert any(request.path.endswith("/models") for request in cassette.requests)


def check_fallbacks(scope: dict[str, Any], cassette: Any, output: str) -> None:
    assert scope["reply"].text
    served = output.splitlines()
    assert len(served) == 2 and all(model.startswith("openai/gpt-5.4-mini") for model in served)
    assert scope["chat"].fallback_models == scope["llm"].fallback_models == ["reel-31-api"]


def check_embeddings(scope: dict[str, Any], cassette: Any, output: str) -> None:
    # The nearest text by the gateway's vectors is the one printed, and Settings takes ours.
    assert output.splitlines() == ["HTTP 503 means the pool is full."]
    assert embedded_texts(cassette) >= {
        "SkillBoss bills wholesale usage per million tokens.",
        "HTTP 503 means the pool is full.",
        "What does a 503 mean?",
    }
    assert isinstance(scope["embeddings"], SkillBossEmbeddings)
    assert isinstance(Settings.embed_model, scope["SkillBossEmbedding"])


def check_cost_and_budgets(scope: dict[str, Any], cassette: Any, output: str) -> None:
    from skillboss_core.wire.cost import estimate_cost
    from skillboss_core.wire.results import Usage

    reply = scope["reply"]
    usage = reply.usage_metadata
    assert usage is not None
    counts = Usage(usage["input_tokens"], usage["output_tokens"], usage["total_tokens"])
    expected = estimate_cost("openai/gpt-5.4-mini", counts, discount=0.8)
    assert expected is not None
    assert reply.response_metadata["cost"] == pytest.approx(expected.usd)
    printed = output.splitlines()
    assert printed[0] == f"{reply.response_metadata['cost']} estimate"
    callback = scope["cb"]
    assert callback.successful_requests == 2 and callback.total_cost > 0
    assert printed[1].endswith("2 ['openai/gpt-5.4-mini']")
    # The haiku's worst case (100,000 output tokens) did not fit: it was never sent.
    assert printed[2].startswith("refused: up to $")
    assert not any("haiku" in body for body in recorded_bodies(cassette))
    assert scope["budget"].spent_usd == 0.0
    response, costs = scope["response"], scope["costs"]
    assert costs.total_cost == response.additional_kwargs["cost"] > 0
    assert printed[3] == f"{response.additional_kwargs['cost']} {costs.total_cost}"


SECTION_CHECKS: dict[str, Callable[[dict[str, Any], Any, str], None]] = {
    "langchain-quickstart": check_langchain,
    "llamaindex-quickstart": check_llamaindex,
    "configuration": check_configuration,
    "fallbacks": check_fallbacks,
    "embeddings": check_embeddings,
    "cost-and-budgets": check_cost_and_budgets,
}


# What the scripted stand-in answers the README's questions when re-recording with
# `make record-local` (tests/support/answer_table.py: the first entry asked answers).
README_ANSWERS = (
    Answer(
        "What is the weather in Paris? Answer in one sentence.",
        lambda results: f"It is {results['get_weather']} in Paris.",
        calls={"get_weather": {"city": "Paris"}},
    ),
    Answer("What is the weather in Paris?", "", calls={"get_weather": {"city": "Paris"}}),
    Answer(
        "what does an API gateway do?",
        "It is the one front door that routes, authenticates and meters calls to many services.",
    ),
    Answer(
        "Write a haiku about a gateway.",
        "One key, many doors\nrequests flow through quietly\nanswers come back home",
    ),
    Answer("Ada Lovelace was 36 years old.", json.dumps({"name": "Ada Lovelace", "age": 36})),
    Answer("Say hello in French.", "Bonjour !"),
    # The RAG snippets: the answer restates the one document retrieved for the question.
    Answer(
        "What does an HTTP 503 mean?",
        "The gateway's lite-tier pool is out of capacity.",
    ),
    Answer("How is wholesale usage billed?", "Per million tokens, with no markup."),
    Answer(
        "What is 19.5 times 4?",
        lambda results: f"19.5 times 4 is {results['multiply']}.",
        calls={"multiply": {"a": 19.5, "b": 4}},
    ),
    Answer(
        "Extract the invoice: ACME Corp billed 120.50 EUR.",
        json.dumps({"vendor": "ACME Corp", "total": 120.5}),
    ),
    Answer("Hello!", "Hello! How can I help?"),
)


@pytest.mark.vcr
@pytest.mark.usefixtures("deterministic_ids", "restore_settings")
@pytest.mark.parametrize("section", sorted({block.section for block in PYTHON}))
def test_readme_snippets_run(
    section: str,
    vcr: Any,
    capsys: pytest.CaptureFixture[str],
    stand_in: Callable[[Sequence[Answer], str], None],
) -> None:
    stand_in(README_ANSWERS, "README_ANSWERS in tests/replay/test_readme.py")
    scope: dict[str, Any] = {"__name__": "readme", "__builtins__": builtins}
    for block in (block for block in PYTHON if block.section == section):
        exec(compile(block.code, f"README.md:{block.line}", "exec", dont_inherit=True), scope)
    SECTION_CHECKS[section](scope, vcr, capsys.readouterr().out)
    if vcr.record_mode == "none":
        assert replayed_everything(vcr), "every recorded request was made again"


# ---- the parameter table is the models' fields ----------------------------------------------


PARAMETERS = table_rows(section_text("Parameters", "### "), "ChatSkillBoss")


def own_fields(model: type[Any], base: type[Any]) -> dict[str, FieldInfo]:
    return {name: f for name, f in model.model_fields.items() if name not in base.model_fields}


@pytest.mark.parametrize(
    ("column", "model", "base"),
    [(0, ChatSkillBoss, BaseChatModel), (1, SkillBoss, FunctionCallingLLM)],
    ids=["ChatSkillBoss", "SkillBoss"],
)
def test_parameter_table_lists_exactly_the_fields(column: int, model: Any, base: Any) -> None:
    listed = [name for row in PARAMETERS for name in names_in(row[column])]
    assert sorted(listed) == sorted(own_fields(model, base))


@pytest.mark.parametrize(
    ("label", "base"),
    [("BaseChatModel", BaseChatModel), ("FunctionCallingLLM", FunctionCallingLLM)],
)
def test_inherited_parameters_are_listed(label: str, base: Any) -> None:
    text = " ".join(section_text("Parameters", "### ").split())
    sentence = text.split(f"`{label}`:", 1)[1].split(".", 1)[0]
    assert sorted(names_in(sentence)) == sorted(base.model_fields)


def test_parameter_ranges_are_the_cores() -> None:
    for name, (_low, _high, allowed) in RANGES.items():
        row = next(row for row in PARAMETERS if name in names_in(row[0]) + names_in(row[1]))
        assert allowed in row[3], f"{name}: README says {row[3]!r}, the core {allowed!r}"


def test_parameter_defaults_are_the_fields_defaults() -> None:
    fields: tuple[dict[str, FieldInfo], ...] = (
        ChatSkillBoss.model_fields,
        SkillBoss.model_fields,
    )
    for row in PARAMETERS:
        for column, model_fields in enumerate(fields):
            for name in names_in(row[column]):
                field = model_fields[name]
                if field.default is PydanticUndefined:
                    factory = field.default_factory
                    if factory in (dict, list):
                        assert row[2] == f"`{factory()!r}`", name
                    continue
                assert row[2] == f"`{field.default!r}`".replace("'", '"'), name


# ---- the drop-in tables match what the constructors accept ----------------------------------

CHAT_OPENAI = "`ChatOpenAI(...)` -> `ChatSkillBoss(...)`"
OPENAI_LIKE = "`OpenAI(...)` / `OpenAILike(...)` -> `SkillBoss(...)`"
LITERALS = {"None", "True", "False"}


def accepted_names(model: Any) -> set[str]:
    """Every keyword the constructor maps to a field: field names and their aliases."""
    names = set(model.model_fields)
    for field in model.model_fields.values():
        alias = field.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        names.update(choice for choice in choices if isinstance(choice, str))
    return names


def swap_tables(title: str) -> tuple[list[list[str]], list[list[str]]]:
    """(what carries over, what does not) for one of the drop-in sections."""
    text = section_text(title, "### ")
    carried, dropped = text.split("Does not carry over", 1)
    return table_rows(carried, "`"), table_rows(dropped, "`")


@pytest.mark.parametrize(
    ("title", "model"), [(CHAT_OPENAI, ChatSkillBoss), (OPENAI_LIKE, SkillBoss)], ids=["lc", "li"]
)
def test_what_carries_over_is_accepted(title: str, model: Any) -> None:
    accepted = accepted_names(model)
    for before, after, _notes in swap_tables(title)[0]:
        named = names_in(before if after == "the same" else after)
        unknown = {n for n in named if not n.isupper()} - accepted - LITERALS
        assert not unknown, f"{title}: {model.__name__} does not accept {unknown}"


def test_what_does_not_carry_over_to_chatskillboss_goes_to_model_kwargs() -> None:
    rows = swap_tables(CHAT_OPENAI)[1]
    dropped = [(name, row[1]) for row in rows for name in names_in(row[0])]
    assert len(dropped) >= 15
    for name, why in dropped:
        assert name not in accepted_names(ChatSkillBoss), f"{name} is accepted now"
        if why.startswith("refused"):
            with pytest.raises(ValueError, match=name):
                ChatSkillBoss(api_key="unused", **{name: 1})
            continue
        with pytest.warns(UserWarning, match=name):
            llm = ChatSkillBoss(api_key="unused", **{name: 1})
        assert llm.model_kwargs == {name: 1}


def test_what_does_not_carry_over_to_skillboss_is_refused_by_name() -> None:
    dropped = [name for row in swap_tables(OPENAI_LIKE)[1] for name in names_in(row[0])]
    assert len(dropped) >= 10
    for name in dropped:
        with pytest.raises(ValueError, match=name):
            SkillBoss(api_key="unused", **{name: None})


# ---- commands, extras and versions the README promises exist --------------------------------


def test_the_examples_table_lists_every_example_in_demo_order() -> None:
    from demo.run import CLUSTER_RECIPES, ORDER

    rows = table_rows(section_text("Try the examples"), "example")
    assert [row[0] for row in rows] == [f"`examples/{name}`" for name in ORDER]
    examples = sorted(path.name for path in (ROOT / "examples").glob("*.py"))
    assert sorted([*ORDER, *CLUSTER_RECIPES]) == examples
    scaling_out = section_text("Scaling out")
    assert all(f"`examples/{name}`" in scaling_out for name in CLUSTER_RECIPES)
    for name, _shows, needs in rows:
        extra = "llama-index" if "llamaindex" in name else "langchain"
        assert needs == f"`[{extra}]`", name


def test_make_targets_and_extras_exist() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, flags=re.MULTILINE))
    contributing = read_blocks(CONTRIBUTING.read_text(encoding="utf-8"))
    commands = " ".join(block.code for block in BLOCKS if block.language == "bash")
    dev_commands = " ".join(block.code for block in contributing if block.language == "bash")
    assert {"demo"} <= set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", commands)) <= targets
    assert (
        {"demo", "test", "record", "record-local", "bench"}
        <= set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", dev_commands))
        <= targets
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = set(re.findall(r'pip install "\.\[([a-z-]+)\]"', commands))
    assert extras == {"langchain", "llama-index", "all"} <= set(project["optional-dependencies"])
    assert set(project["scripts"]) == {"skillboss"} and "skillboss check" in commands


def test_compatibility_matrix_matches_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {"Python": project["requires-python"]}
    for requirement in project["dependencies"] + [
        spec for specs in project["optional-dependencies"].values() for spec in specs
    ]:
        if match := re.match(r"([a-z][a-z0-9-]*)(.+)", requirement):
            pins[match.group(1)] = match.group(2)
    rows = table_rows(section_text("Compatibility"), "dependency")
    assert {row[0] for row in rows} >= {"Python", "openai", "pydantic", "langchain-core"}
    for name, supported, lowest, *_tested in rows:
        assert supported.startswith(f"`{pins[name]}`"), f"{name}: pyproject says {pins[name]}"
        # the lowest version tested is the lower bound the package declares
        lower = re.search(r">=([0-9.]+)", pins[name])
        assert lower and lowest.startswith(lower.group(1)), f"{name}: lowest tested {lowest}"


def test_every_ci_leg_in_the_readme_runs_in_ci() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    legs = table_rows(CONTRIBUTING.read_text(encoding="utf-8"), "leg")
    assert {leg[0] for leg in legs} == {
        "locked",
        "openai 2.x",
        "lowest",
        "newest",
        "proxy",
        "distributed",
    }
    for _leg, target, *_rest in legs:
        for command in re.findall(r"`(make [^`]+)`", target):
            assert command.split(" PY=")[0] in ci, f"{command} is not run by .ci/run"
        for version in re.findall(r"PY=([0-9.]+)", target):
            assert f"PY={version}" in ci, f"Python {version} is not run by .ci/run"


def test_dev_tools_are_a_dependency_group_not_an_extra() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(pyproject["project"]["optional-dependencies"]) == {"langchain", "llama-index", "all"}
    groups = pyproject["dependency-groups"]
    dev = " ".join(str(spec) for name in ("dev", "test") for spec in groups[name])
    assert {"include-group": "test"} in groups["dev"]
    assert all(tool in dev for tool in ("pytest", "ruff", "mypy", "vcrpy"))
    assert (ROOT / "uv.lock").is_file()
