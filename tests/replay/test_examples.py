"""Every example runs offline exactly as `make demo` runs it, and prints what it promises.

`demo/run.py` (the `make demo` entry point) is run once with no key and no gateway URL, so
each example replays cassettes/examples/<name>.yaml in its own subprocess (demo/replay.py
around the unchanged example). Each example's section of the output is then checked: the
line saying who recorded the answers, streamed text that is the concatenation of the streamed
deltas in its cassette, tool calls with their arguments and results (and those results sent
back to the model), structured output, and answers that come from what the example gave the
model: the RAG examples print, for each question, the one document retrieved (the right one),
which is the nearest by the vectors recorded in their cassette and the only document in the
prompt. The checks read structure, not wording, so they survive a live re-record. Running them
as a user does (a copy in an empty folder, a key, a local server) is
tests/integration/test_examples_as_user_code.py.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from demo.run import CLUSTER_RECIPES, plan
from tests.support.cassettes import ORIGIN_PREFIX
from tests.support.embedder import cosine
from tests.support.embeddings_wire import decode_embedding

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"
# Every example but the batch recipes, which need a Ray or Dask cluster (tests/distributed).
EXAMPLES = sorted(
    path.name for path in EXAMPLES_DIR.glob("*.py") if path.name not in CLUSTER_RECIPES
)
OUR_ENV = ("SKILLBOSS_WHOLESALE_KEY", "SKILLBOSS_BASE_URL", "SKILLBOSS_RECORD")
TOOL_LINE = re.compile(r"\[tool\] (\w+)\((\{.*\})\) -> (.*)$")


# ---- running make demo's script -------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    returncode: int
    stdout: str
    stderr: str

    def sections(self) -> dict[str, list[str]]:
        """Each example's output lines, keyed by script name (demo/run.py's `=== x.py ===`)."""
        found: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in self.stdout.splitlines():
            if match := re.fullmatch(r"=== (\S+) ===", line):
                current = found.setdefault(match.group(1), [])
            elif current is not None:
                current.append(line)
        return found


def clean_env(extra_env: dict[str, str]) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in OUR_ENV}
    env.pop("PYTHONPATH", None)
    return {**env, **extra_env}


def run_demo(extra_env: dict[str, str]) -> Demo:
    done = subprocess.run(
        [sys.executable, "-m", "demo.run"],
        capture_output=True,
        text=True,
        env=clean_env(extra_env),
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    return Demo(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def offline() -> Demo:
    return run_demo({})


def test_make_demo_runs_every_example_offline(offline: Demo) -> None:
    assert offline.returncode == 0, offline.stdout + offline.stderr
    lines = offline.stdout.splitlines()
    assert lines[0].startswith("Offline replay: no key is set")
    assert lines[-1] == f"All {len(EXAMPLES)} examples ran."
    assert sorted(offline.sections()) == EXAMPLES
    assert "Traceback" not in offline.stderr, offline.stderr


def test_every_example_is_checked() -> None:
    assert sorted(CHECKS) == EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES)
def test_example_replays_and_shows_its_results(script: str, offline: Demo) -> None:
    lines = offline.sections()[script]
    name = Path(script).stem
    cassette = Cassette.load(name)
    assert lines[0] == f"(replaying answers recorded from {cassette.origin})"
    CHECKS[script](Output(lines[1:], cassette))


def test_replay_says_whether_the_answers_are_the_live_gateways(offline: Demo) -> None:
    """Each section says who answered: the stand-in (not the live gateway), or, after a live
    re-record, the live gateway."""
    for name, lines in offline.sections().items():
        cassette = Cassette.load(Path(name).stem)
        stand_in = "127.0.0.1" in json.dumps(cassette.interactions)
        if stand_in:
            assert "scripted stand-in" in lines[0] and "not the live gateway" in lines[0]
            # ... and where its vectors came from: no embedding model.
            if cassette.vectors():
                assert "embeddings are a hashed bag of words" in lines[0], lines[0]
                assert "tests/support/embedder.py" in lines[0]
        else:
            assert "the live SkillBoss gateway" in lines[0]


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        (None, "Live: every example calls https://api.skillboss.co/v1"),
        ("http://127.0.0.1:8123/v1", "(a server on this machine, not the public gateway)"),
        ("https://proxy.example/v1", "Live: every example calls https://proxy.example/v1"),
    ],
)
def test_with_a_key_the_demo_runs_the_examples_as_they_are(
    base_url: str | None, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in OUR_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKILLBOSS_WHOLESALE_KEY", "dummy-live-key")
    if base_url:
        monkeypatch.setenv("SKILLBOSS_BASE_URL", base_url)
    headline, command, _ = plan()
    assert says in headline and headline.startswith("Live: ")
    assert command == [sys.executable], "live runs are the examples alone, no replay around them"


# ---- reading an example's output and cassette -----------------------------------------------


@dataclass(frozen=True)
class Cassette:
    interactions: list[dict[str, Any]]

    origin: str

    @classmethod
    def load(cls, name: str) -> Cassette:
        text = (ROOT / "cassettes" / "examples" / f"{name}.yaml").read_text(encoding="utf-8")
        first = text.split("\n", 1)[0]
        assert first.startswith(ORIGIN_PREFIX), "the cassette does not say who recorded it"
        origin = first.removeprefix(ORIGIN_PREFIX).rstrip(".")
        return cls(yaml.safe_load(text)["interactions"], origin)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(i["request"]["body"]) for i in self.interactions if i["request"]["body"]]

    def streamed_texts(self) -> list[str]:
        """The text of each streamed answer: its SSE content deltas, concatenated."""
        texts = []
        for interaction in self.interactions:
            body = interaction["response"]["body"]["string"]
            if "data:" not in body:
                continue
            pieces = []
            for line in body.splitlines():
                data = line.removeprefix("data:").strip()
                if not line.startswith("data:") or data == "[DONE]":
                    continue
                for choice in json.loads(data).get("choices") or []:
                    pieces.append(choice.get("delta", {}).get("content") or "")
            texts.append("".join(pieces))
        return texts

    def tool_results_sent(self) -> dict[str, str]:
        """tool_call_id -> content of every tool message sent back to the model."""
        return {
            message["tool_call_id"]: message["content"]
            for body in self.bodies()
            for message in body.get("messages", [])
            if message["role"] == "tool"
        }

    def answered_texts(self) -> list[str]:
        """The text of each answer that was not streamed."""
        texts = []
        for interaction in self.interactions:
            body = interaction["response"]["body"]["string"]
            if "data:" in body or not interaction["request"]["uri"].endswith("/completions"):
                continue
            texts += [c["message"]["content"] for c in json.loads(body).get("choices") or []]
        return texts

    def vectors(self) -> dict[str, list[float]]:
        """text -> the vector its recorded embeddings answer gave it."""
        found: dict[str, list[float]] = {}
        for interaction in self.interactions:
            if not interaction["request"]["uri"].endswith("/embeddings"):
                continue
            texts = json.loads(interaction["request"]["body"])["input"]
            texts = [texts] if isinstance(texts, str) else texts
            answer = json.loads(interaction["response"]["body"]["string"])
            for item in answer["data"]:
                found[texts[item["index"]]] = decode_embedding(item["embedding"])
        return found

    def prompt_for(self, question: str) -> str:
        """Every message's text in the one chat request that asks `question`."""
        prompts = [
            "\n".join(str(m.get("content")) for m in body["messages"])
            for body in self.bodies()
            if "messages" in body
            and any(question in str(m.get("content")) for m in body["messages"])
        ]
        assert len(prompts) == 1, f"expected one chat request asking {question!r}"
        return prompts[0]


@dataclass(frozen=True)
class Output:
    lines: list[str]
    cassette: Cassette

    def after(self, label: str) -> str:
        """The text after `label` on the line that starts with it."""
        found = [line[len(label) :].strip() for line in self.lines if line.startswith(label)]
        assert len(found) == 1, f"expected one {label!r} line in {self.lines}"
        return found[0]

    def tool_calls(self) -> list[tuple[str, dict[str, Any], str]]:
        """(name, arguments, result) of each `[tool] name({...}) -> result` line."""
        calls = []
        for line in self.lines:
            if match := TOOL_LINE.search(line):
                calls.append((match[1], ast.literal_eval(match[2]), match[3]))
        return calls

    def streamed(self, text: str) -> None:
        assert text, "streamed text is empty"
        assert text in self.cassette.streamed_texts(), f"{text!r} is not a streamed answer"

    def results_went_back(self) -> None:
        sent = list(self.cassette.tool_results_sent().values())
        for _name, _args, result in self.tool_calls():
            assert result in sent, f"tool result {result!r} was not sent back to the model"

    def answered(self, text: str) -> None:
        assert text, "the answer is empty"
        assert text in self.cassette.answered_texts(), f"{text!r} is not a recorded answer"

    def rag_turns(self) -> list[tuple[str, str, str, list[str]]]:
        """(question, "answer" or "streamed", the text, the sources) of each `question:` line
        and the two lines after it."""
        turns = []
        for i, line in enumerate(self.lines):
            if not line.startswith("question: "):
                continue
            label, _, text = self.lines[i + 1].partition(": ")
            assert self.lines[i + 2].startswith("sources: "), self.lines[i : i + 3]
            sources = ast.literal_eval(self.lines[i + 2].removeprefix("sources: "))
            turns.append((line.removeprefix("question: "), label, text.strip(), sources))
        return turns

    def final_answer(self) -> str:
        """The last non-empty line, which must come after every tool line."""
        lines = [line for line in self.lines if line.strip()]
        assert not TOOL_LINE.search(lines[-1]), "the answer follows the tool calls"
        return lines[-1].strip()


# ---- what each example must show ------------------------------------------------------------


def check_langchain_quickstart(out: Output) -> None:
    assert out.after("invoke:")
    usage = ast.literal_eval(out.after("usage:"))
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    out.streamed(out.after("stream:"))
    city = re.fullmatch(
        r"City\(name='(.+)', country='(.+)', population=(\d+)\)", out.after("structured:")
    )
    assert city, out.after("structured:")
    assert (city[1], city[2]) == ("Paris", "France") and int(city[3]) > 1_000_000


def check_langchain_agent(out: Output) -> None:
    assert out.lines[0].startswith("> ")
    calls = {name: (args, result) for name, args, result in out.tool_calls()}
    assert set(calls) == {"get_weather", "convert_currency"}
    args, result = calls["get_weather"]
    assert args["city"].strip().lower() == "paris" and result == "21 °C and sunny"
    args, result = calls["convert_currency"]
    assert float(args["amount"]) == 250 and args["currency"].upper() == "JPY"
    assert result == "40500.00 JPY"
    out.results_went_back()
    out.streamed(out.final_answer())


# The document each RAG question must retrieve (k=1): the one that answers it.
RIGHT_SOURCES = {
    "langchain_rag.py": {
        "What should I do after an HTTP 402 from the gateway?": "credits",
        "Which chunk of a streamed answer reports the token usage?": "streaming",
    },
    "llamaindex_rag.py": {
        "What does an HTTP 503 from the gateway mean?": "capacity",
        "How is wholesale usage billed?": "billing",
    },
}


def example_documents(script: str) -> dict[str, str]:
    """id -> text of an example's DOCUMENTS (LangChain or LlamaIndex documents)."""
    spec = importlib.util.spec_from_file_location(
        f"example_{Path(script).stem}", EXAMPLES_DIR / script
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if script.startswith("langchain"):
        return {doc.id: doc.page_content for doc in module.DOCUMENTS}
    return {doc.id_: doc.text for doc in module.DOCUMENTS}


def check_rag(out: Output, script: str) -> None:
    """One answer, one streamed answer, each with the right document as its only source:
    the nearest by the recorded vectors, the only document in that question's prompt."""
    documents = example_documents(script)
    vectors = out.cassette.vectors()
    assert set(documents.values()) <= set(vectors), "every document was embedded"
    turns = out.rag_turns()
    assert [(question, label) for question, label, _, _ in turns] == list(
        zip(RIGHT_SOURCES[script], ["answer", "streamed"], strict=True)
    )
    for question, label, text, sources in turns:
        assert sources == [RIGHT_SOURCES[script][question]], f"{question}: {sources}"
        assert len(sources) < len(documents), "retrieval chose among the documents"
        nearest = max(documents, key=lambda d: cosine(vectors[question], vectors[documents[d]]))
        assert sources == [nearest], "the sources printed are the ones retrieved"
        prompt = out.cassette.prompt_for(question)
        for name, document in documents.items():
            assert (document in prompt) == (name in sources), f"{name} in the prompt: wrong"
        if label == "streamed":
            out.streamed(text)
        else:
            out.answered(text)


def check_langchain_rag(out: Output) -> None:
    check_rag(out, "langchain_rag.py")


def check_llamaindex_rag(out: Output) -> None:
    check_rag(out, "llamaindex_rag.py")


def check_llamaindex_agent(out: Output) -> None:
    assert out.after("user:")
    calls = {name: (args, result) for name, args, result in out.tool_calls()}
    assert set(calls) == {"get_weather", "celsius_to_fahrenheit"}
    args, result = calls["get_weather"]
    assert args["city"].strip().lower() == "paris" and result == "21 °C and sunny"
    args, result = calls["celsius_to_fahrenheit"]
    assert float(args["celsius"]) == 21 and result == "69.8"
    out.results_went_back()
    out.streamed(out.final_answer())


def check_drop_in_swap(out: Output) -> None:
    diff = [line.strip() for line in out.lines if line.startswith(("  - ", "  + "))]
    assert diff[0:2] == [
        "- from langchain_openai import ChatOpenAI",
        "+ from langchain_skillboss import ChatSkillBoss",
    ]
    before = re.fullmatch(r'- llm = ChatOpenAI\(model="([^"]+)", (.*)\)', diff[2])
    after = re.fullmatch(r'\+ llm = ChatSkillBoss\(model="([^"]+)", (.*)\)', diff[3])
    assert before and after and len(diff) == 4
    assert before[2] == after[2], "every constructor argument but the model carries over"
    assert after[1] == "openai/" + before[1]
    out.streamed(out.after("reply chain (streamed):"))
    [(name, args, result)] = out.tool_calls()
    assert name == "order_status" and args["order_id"].strip().upper() == "A1042"
    assert result == "shipped on Monday, arriving Thursday"
    out.results_went_back()
    assert out.after("answer:")


CHECKS: dict[str, Callable[[Output], None]] = {
    "langchain_quickstart.py": check_langchain_quickstart,
    "langchain_agent.py": check_langchain_agent,
    "langchain_rag.py": check_langchain_rag,
    "llamaindex_rag.py": check_llamaindex_rag,
    "llamaindex_agent.py": check_llamaindex_agent,
    "drop_in_swap.py": check_drop_in_swap,
}
