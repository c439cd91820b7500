"""What PyPI will show: a user-facing description with links that work off this repository,
and classifiers that say what CI proves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN_LINK = re.compile(r"\]\(([^)]+)\)")


def pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return dict(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")))


def description() -> str:
    readme = pyproject()["project"]["readme"]
    return (ROOT / readme).read_text(encoding="utf-8")


def test_the_description_links_only_to_absolute_urls() -> None:
    links = MARKDOWN_LINK.findall(description())
    assert links, "expected at least the gateway's link"
    assert all(link.startswith("https://") for link in links), links


def test_the_description_is_for_users_not_contributors() -> None:
    text = description()
    assert "make " not in text and "uv.lock" not in text and "tests/" not in text
    for needed in (
        "pip install",
        "SKILLBOSS_WHOLESALE_KEY",
        "admin@skillboss.co",
        "skillboss check",
    ):
        assert needed in text, needed
    assert len(text.splitlines()) < 80, "a short description; the guide is README.md"


def test_python_classifiers_are_the_versions_ci_runs() -> None:
    project = pyproject()["project"]
    classified = {
        match[1]
        for classifier in project["classifiers"]
        if (match := re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", classifier))
    }
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    in_ci = set(re.findall(r"PY=(3\.\d+)", ci)) | set(re.findall(r"Python (3\.\d+)", ci))
    assert classified == in_ci, (classified, in_ci)
    lowest = re.fullmatch(r">=(3\.\d+)", project["requires-python"])
    assert lowest and min(classified, key=lambda v: int(v.split(".")[1])) == lowest[1]
    assert any(c.startswith("Development Status :: ") for c in project["classifiers"])


def test_every_package_has_a_version() -> None:
    import langchain_skillboss
    import llama_index_skillboss
    import skillboss_core
    from llama_index.llms import skillboss as namespaced

    versions = {
        module.__version__
        for module in (skillboss_core, langchain_skillboss, llama_index_skillboss, namespaced)
    }
    assert versions == {skillboss_core.__version__}


def test_llama_index_users_find_the_class_where_they_look() -> None:
    from llama_index.llms.skillboss import SkillBoss
    from llama_index_skillboss import SkillBoss as Direct

    assert SkillBoss is Direct
    wheel_packages = pyproject()["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert "llama_index" in wheel_packages
    assert not (ROOT / "llama_index" / "__init__.py").exists(), "a namespace package"
    assert not (ROOT / "llama_index" / "llms" / "__init__.py").exists(), "a namespace package"
