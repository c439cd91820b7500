"""Type checkers see both constructors' keywords: a typo or a wrong type is caught before run time.

Both mypy and pyright (basedpyright: pyright's checker with node bundled, so it runs offline;
pyright is what VS Code's Pylance shows) check the same two scripts.

The mypy test type-checks a small user script in a subprocess with `--strict` and the pydantic
plugin, as this project's configuration has it: the case the classes' typed `__init__` is for
(the plugin's own is untyped by default, and takes any keyword once a field has AliasChoices).
Slowish: about 25 s the first time, a few seconds after that (the mypy cache lives in the temp
directory, one per interpreter and mypy version).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices, BaseModel

from langchain_skillboss import ChatSkillBoss
from llama_index_skillboss import SkillBoss

ROOT = Path(__file__).resolve().parents[2]

# Mirrors [tool.mypy] in pyproject.toml (what a strict user with the pydantic plugin has).
MYPY_CONFIG = """\
[mypy]
strict = True
plugins = pydantic.mypy

[mypy-vcr.*,llama_index.*]
ignore_missing_imports = True
"""

CORRECT = """\
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from llama_index.core.callbacks import CallbackManager
from llama_index.core.types import PydanticProgramMode
from pydantic import SecretStr

from langchain_skillboss import ChatSkillBoss
from llama_index_skillboss import SkillBoss

settings: dict[str, Any] = {"model": "openai/gpt-5.4-mini", "temperature": 0.2}

index = SkillBoss(
    model="openai/gpt-5.4-mini",
    api_key="sk-plain-string",
    api_base="http://127.0.0.1:9/v1",
    temperature=0,
    max_tokens=256,
    stop=["END"],
    timeout=30,
    max_retries=0,
    fallback_models=["openai/gpt-5.4"],
    additional_kwargs={"user": "u-1"},
    callback_manager=CallbackManager([]),
    system_prompt="Be brief.",
    messages_to_prompt=None,
    completion_to_prompt=None,
    output_parser=None,
    pydantic_program_mode=PydanticProgramMode.DEFAULT,
    query_wrapper_prompt=None,
)
other = SkillBoss(base_url="http://127.0.0.1:9/v1", api_key=SecretStr("sk-secret"))
from_dict = SkillBoss(**settings)

chat = ChatSkillBoss(
    model="openai/gpt-5.4-mini",
    api_key="sk-plain-string",
    base_url="http://127.0.0.1:9/v1",
    temperature=0,
    max_tokens=256,
    stop=["END"],
    timeout=30,
    model_kwargs={"user": "u-1"},
    callbacks=[BaseCallbackHandler()],
    tags=["docs"],
    verbose=False,
)
renamed = ChatSkillBoss(
    model_name="openai/gpt-5.4-mini",
    openai_api_key="sk-plain-string",
    openai_api_base="http://127.0.0.1:9/v1",
    request_timeout=5,
    stop_sequences=["END"],
)
proxied = ChatSkillBoss(api_base="http://127.0.0.1:9/v1")
chat_from_dict = ChatSkillBoss(**settings)



def listing() -> list[str]:
    return chat.list_models() + index.list_models()


async def alisting() -> list[str]:
    return await chat.alist_models() + await index.alist_models()
"""

# Each line must be an error that names its argument.
WRONG = {
    "SkillBoss(temprature=0)": '"temprature"',
    'SkillBoss(temperature="hot")': 'Argument "temperature"',
    "ChatSkillBoss(temprature=0)": '"temprature"',
    'ChatSkillBoss(temperature="hot")': 'Argument "temperature"',
    'SkillBoss(max_tokens="many")': 'Argument "max_tokens"',
    "ChatSkillBoss(stop=1)": 'Argument "stop"',
}


def _cache_dir() -> Path:
    """One cache per interpreter and mypy version, outside the repository."""
    import mypy.version

    tag = hashlib.sha256(f"{sys.prefix}|{mypy.version.__version__}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"skillboss-mypy-cache-{tag}"


@pytest.mark.timeout(300)
def test_mypy_flags_unknown_and_mistyped_keywords(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="needs the dev dependency group")
    (tmp_path / "mypy.ini").write_text(MYPY_CONFIG)
    (tmp_path / "correct.py").write_text(CORRECT)
    wrong = [
        "from langchain_skillboss import ChatSkillBoss",
        "from llama_index_skillboss import SkillBoss",
        "",
    ]
    first_wrong_line = len(wrong) + 1
    wrong += [f"value_{number} = {call}" for number, call in enumerate(WRONG)]
    (tmp_path / "wrong.py").write_text("\n".join(wrong) + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(tmp_path / "mypy.ini"),
            "--cache-dir",
            str(_cache_dir()),
            "--no-error-summary",
            "--show-error-codes",
            "correct.py",
            "wrong.py",
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=280,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not [line for line in errors if not line.startswith("wrong.py:")], result.stdout
    by_line: dict[int, list[str]] = {}
    for line in errors:
        number = int(line.split(":")[1])
        by_line.setdefault(number, []).append(line)
    for offset, (call, named) in enumerate(WRONG.items()):
        found = by_line.get(first_wrong_line + offset, [])
        assert any(named in line for line in found), f"{call}: {found or result.stdout}"


@pytest.mark.timeout(120)
def test_pyright_flags_unknown_and_mistyped_keywords(tmp_path: Path) -> None:
    pytest.importorskip("basedpyright", reason="needs the dev dependency group")
    (tmp_path / "pyrightconfig.json").write_text('{"typeCheckingMode": "standard"}')
    (tmp_path / "correct.py").write_text(CORRECT)
    header = [
        "from langchain_skillboss import ChatSkillBoss",
        "from llama_index.llms.skillboss import SkillBoss",  # the namespace import too
        "",
    ]
    calls = [f"value_{number} = {call}" for number, call in enumerate(WRONG)]
    (tmp_path / "wrong.py").write_text("\n".join(header + calls) + "\n")
    command = [sys.executable, "-m", "basedpyright", "--pythonpath", sys.executable]
    result = subprocess.run(
        [*command, "--outputjson", "correct.py", "wrong.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
    )
    report = json.loads(result.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert not [d for d in errors if not d["file"].endswith("wrong.py")], errors
    by_line: dict[int, list[str]] = {}
    for diagnostic in errors:
        by_line.setdefault(diagnostic["range"]["start"]["line"], []).append(diagnostic["message"])
    for offset, (call, named) in enumerate(WRONG.items()):
        argument = re.findall(r'"(\w+)"', named)[0]
        found = by_line.get(len(header) + offset, [])
        assert any(f'"{argument}"' in message for message in found), f"{call}: {found}"


# -- the typed signatures match the fields --------------------------------------------------


def _typed_init_keywords(cls: type) -> set[str]:
    """Keyword names of the `__init__` type checkers see (declared under TYPE_CHECKING)."""
    module = sys.modules[cls.__module__]
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            for inner in ast.walk(node):
                if isinstance(inner, ast.FunctionDef) and inner.name == "__init__":
                    if inner.args.kwarg is not None or inner.args.vararg is not None:
                        continue  # the runtime one
                    return {arg.arg for arg in inner.args.kwonlyargs}
    raise AssertionError(f"no typed __init__ in {cls.__name__}")


def _accepted_keywords(cls: type[BaseModel]) -> set[str]:
    names = set(cls.model_fields)
    for info in cls.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
    return names


@pytest.mark.parametrize("cls", [ChatSkillBoss, SkillBoss])
def test_typed_signature_names_every_field_and_alias(cls: type[BaseModel]) -> None:
    """A field added to the class (or to the framework's base) must be added to the typed
    `__init__` too, or type checkers would reject a valid keyword."""
    assert _typed_init_keywords(cls) == _accepted_keywords(cls)


def test_what_type_checks_also_runs_without_warnings() -> None:
    """The typed signatures promise nothing the classes refuse at run time."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(CORRECT, "correct.py", "exec"), {})


def test_runtime_construction_from_a_dict_still_works() -> None:
    settings: dict[str, Any] = {"model": "openai/gpt-5.4-mini", "temperature": 0.2}
    assert SkillBoss(api_key="sk-x", **settings).temperature == 0.2
    assert ChatSkillBoss(api_key="sk-x", **settings).temperature == 0.2


def test_config_mirrors_the_projects_mypy_settings() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    section = re.search(r"\[tool\.mypy\](.*?)\n\[\[", text, re.S)
    assert section is not None
    assert 'plugins = ["pydantic.mypy"]' in section.group(1)
    assert "strict = true" in section.group(1)
    assert "[tool.pydantic-mypy]" not in text, "copy the plugin's settings into MYPY_CONFIG"
