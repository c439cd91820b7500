"""The core's folders are its layers, and a lower layer never imports a higher one.

Read from the source (no import runs), so a lazy import inside a function counts too. Also:
the core knows no framework, the adapters never import each other, and nobody inside the
project uses an old module path (those are for users' code, see skillboss_core/_moved.py).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import skillboss_core
from skillboss_core import _moved

ROOT = Path(skillboss_core.__file__).parent.parent
CORE = ROOT / "skillboss_core"

# What each top-level part of skillboss_core may import besides itself, bottom to top.
_BOTTOM = {"errors", "security", "catalog", "_version", "_moved"}
MAY_IMPORT: dict[str, set[str]] = {
    "_version": set(),
    "_moved": set(),
    "errors": {"_moved"},
    "security": set(),
    "catalog": {"_moved"},
    "wire": _BOTTOM,
    "config": _BOTTOM | {"wire"},
    "transport": _BOTTOM | {"wire", "config"},
    "cli": _BOTTOM | {"wire", "config", "transport"},
    "__main__": {"cli"},
    "__init__": _BOTTOM | {"wire", "config", "transport"},
}


def _part(module_path: str) -> str:
    """The layer a dotted module (below skillboss_core) belongs to."""
    return module_path.split(".", 1)[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module name an import statement of `path` names (relative ones resolved), with
    its line."""
    package = list(path.relative_to(ROOT).parts[:-1])  # a module's, or an __init__'s own
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.append((node.lineno, module))
            names += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return names


def _core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def _layer_of(path: Path) -> str:
    relative = path.relative_to(CORE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_every_core_module_belongs_to_a_known_layer() -> None:
    unknown = {_layer_of(path) for path in _core_modules()} - set(MAY_IMPORT)
    assert not unknown, f"modules outside the layers: {unknown}"


def test_a_lower_layer_never_imports_a_higher_one() -> None:
    wrong = []
    for path in _core_modules():
        layer = _layer_of(path)
        for line, name in _imports(path):
            if not name.startswith("skillboss_core."):
                continue
            target = _part(name.removeprefix("skillboss_core."))
            if target != layer and target not in MAY_IMPORT[layer]:
                wrong.append(
                    f"{path.relative_to(ROOT)}:{line} imports {name} ({layer} -> {target})"
                )
    assert not wrong, "\n".join(wrong)


def _forwarded(name: str) -> bool:
    """A name of an old module taken from the package that replaced it (`from
    skillboss_core.wire import normalize_tool_choice`), not from its module."""
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "skillboss_core" or parts[1] not in _FORWARDING:
        return False
    folder = CORE / parts[1]
    return not ((folder / f"{parts[2]}.py").exists() or (folder / parts[2]).is_dir())


_FORWARDING = {"catalog", "wire", "transport"}


@pytest.mark.parametrize(
    "package", ["skillboss_core", "langchain_skillboss", "llama_index_skillboss"]
)
def test_imports_name_modules_that_exist_where_they_are_named(package: str) -> None:
    """Old module paths work for users (through the alias finder), never inside the project:
    there they would hide a layer crossing from the test above."""
    old = {f"skillboss_core.{name}" for name in _moved.MOVED_MODULES}
    used = [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _imports(path)
        if name in old or any(name.startswith(f"{module}.") for module in old) or _forwarded(name)
    ]
    assert not used, "\n".join(used)


@pytest.mark.parametrize(
    ("package", "never"),
    [
        (
            "skillboss_core",
            (
                "langchain",
                "langchain_core",
                "llama_index",
                "langchain_skillboss",
                "llama_index_skillboss",
            ),
        ),
        ("langchain_skillboss", ("llama_index", "llama_index_skillboss")),
        ("llama_index_skillboss", ("langchain", "langchain_core", "langchain_skillboss")),
    ],
)
def test_the_core_knows_no_framework_and_the_adapters_not_each_other(
    package: str, never: tuple[str, ...]
) -> None:
    used = [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _imports(path)
        if name.split(".")[0] in never
    ]
    assert not used, "\n".join(used)


def test_each_layer_says_what_it_owns_and_may_import() -> None:
    for package in sorted(path.parent for path in CORE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text("utf-8")))
        assert doc and "import" in doc, f"{package.name}/__init__.py: say what it may import"


@pytest.mark.parametrize(("old", "new"), sorted(_moved.MOVED_MODULES.items()))
def test_an_old_module_path_is_the_module_at_its_new_home(old: str, new: str) -> None:
    assert importlib.import_module(f"skillboss_core.{old}") is importlib.import_module(
        f"skillboss_core.{new}"
    )


def test_old_names_of_the_modules_that_became_packages_still_import() -> None:
    from skillboss_core.catalog import OVERRIDES, lookup, models  # the old catalog module
    from skillboss_core.transport import (
        CallPlan,  # the old transport module
        http_calls,
    )
    from skillboss_core.wire import (
        builders,
        normalize_tool_choice,  # the old wire module
    )

    assert (lookup, OVERRIDES) == (models.lookup, models.OVERRIDES)
    assert CallPlan is http_calls.CallPlan
    assert normalize_tool_choice is builders.normalize_tool_choice
    with pytest.raises(AttributeError, match=r"'skillboss_core\.wire' has no attribute 'nothing'"):
        _ = skillboss_core.wire.nothing  # type: ignore[attr-defined]


def test_old_module_names_are_attributes_of_the_package_as_before() -> None:
    from skillboss_core.config import settings

    assert skillboss_core.settings is settings  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = skillboss_core.nothing  # type: ignore[attr-defined]


def test_a_module_imported_by_its_old_path_keeps_its_own_spec() -> None:
    """`importlib.reload` and `python -m` read `__spec__`: it must stay the real module's."""
    import subprocess
    import sys

    old = importlib.import_module("skillboss_core.response")
    assert old.__spec__ is not None and old.__spec__.name == "skillboss_core.wire.decode"
    assert importlib.reload(old) is old
    run = subprocess.run(  # `python -m` on an old path, in a fresh interpreter
        [sys.executable, "-m", "skillboss_core.response"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr


def test_functions_that_left_errors_still_import_from_it() -> None:
    from skillboss_core.errors import map_status_error, unreachable
    from skillboss_core.transport import failures

    assert (map_status_error, unreachable) == (failures.map_status_error, failures.unreachable)
    with pytest.raises(
        AttributeError, match=r"'skillboss_core\.errors' has no attribute 'nothing'"
    ):
        _ = skillboss_core.errors.nothing
