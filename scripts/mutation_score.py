"""Prints the mutation score of the last `mutmut run` (`make mutation` runs it after mutmut).

Run from the repository root, after `mutmut run` has left its results in mutants/. Every
mutant is counted: killed by a test, caught by mypy --strict (a mutant that does not
type-check cannot land: `make test` runs mypy), timed out (a mutant that makes the tests
hang is caught too), survived, or not run by any test. A survivor is *explained* when
the line it changes carries a `# mutation: ...` comment in the source (on the line itself,
or in the comment lines right above it or above the statement it is part of) saying why no
test can tell it apart; the others are listed as unexplained: each needs a test or such a
comment.

    python scripts/mutation_score.py
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

from mutmut.__main__ import SourceFileMutationData, walk_mutatable_files
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

CAUGHT = ("killed", "caught by type check", "timeout")
MARK = "# mutation:"


def function_span(tree: ast.Module, mutant: str) -> tuple[int, int] | None:
    """The lines of the function a mutant changes: `x_name` or `xǁClassǁmethod`."""
    name = mutant.rsplit(".", 1)[-1].rsplit("__mutmut_", 1)[0].removeprefix("x")
    parts = [part for part in name.split("ǁ") if part]
    if len(parts) == 1:
        parts = [parts[0].removeprefix("_")]
    nodes: list[ast.stmt] = tree.body
    found: ast.AST | None = None
    for part in parts:
        found = next(
            (
                node
                for node in nodes
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == part
            ),
            None,
        )
        if found is None:
            return None
        nodes = found.body  # type: ignore[attr-defined]
    assert found is not None
    return found.lineno, found.end_lineno or found.lineno  # type: ignore[attr-defined]


def explained(
    lines: list[str], tree: ast.Module, span: tuple[int, int] | None, changed: list[str]
) -> bool:
    """Whether each changed line is in a statement marked by a `# mutation:` comment."""
    if span is None or not changed:
        return False
    start, end = span
    for text in changed:
        hits = [n + 1 for n in range(start - 1, end) if lines[n].strip() == text.strip()]
        if not any(_marked(lines, tree, number) for number in hits):
            return False
    return True


def _statement_start(tree: ast.Module, number: int) -> int:
    """The first line of the innermost statement holding line `number` (of a compound
    statement, only its header counts: `if (...)`, not its body)."""
    best: tuple[int, int] = (number, number)
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        body = getattr(node, "body", None)
        last = body[0].lineno - 1 if isinstance(body, list) and body else node.end_lineno
        if last is None or not node.lineno <= number <= last:
            continue
        if best == (number, number) or last - node.lineno < best[1] - best[0]:
            best = (node.lineno, last)
    return best[0]


def _marked(lines: list[str], tree: ast.Module, number: int) -> bool:
    """A `# mutation:` comment on the line, or in the comment lines right above it or right
    above the statement it belongs to."""
    if MARK in lines[number - 1]:
        return True
    for first in {number, _statement_start(tree, number)}:
        index = first - 2
        while index >= 0 and lines[index].strip().startswith("#"):
            if lines[index].strip().startswith(MARK):
                return True
            index -= 1
    return False


def main() -> int:
    if not Path("mutants").is_dir():
        print("No mutants/ here: run `make mutation` (or `mutmut run`) first.")
        return 2
    counts: Counter[str] = Counter()
    by_file: dict[str, Counter[str]] = {}
    unexplained: list[tuple[str, str]] = []
    explained_names: list[str] = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        source = Path(path).read_text("utf-8")
        lines, tree = source.splitlines(), ast.parse(source)
        file_counts = by_file.setdefault(str(path), Counter())
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[exit_code]
            counts[status] += 1
            file_counts[status] += 1
            if status in CAUGHT:
                continue
            diff = get_diff_for_mutant(name, path=path)
            changed = [
                line[1:] for line in diff.splitlines()[2:] if line.startswith("-") and line[1:]
            ]
            if status == "survived" and explained(lines, tree, function_span(tree, name), changed):
                explained_names.append(name)
            else:
                unexplained.append((name, status))
    total = sum(counts.values())
    if not total:
        print("mutmut left no results in mutants/.")
        return 2
    caught = sum(counts[status] for status in CAUGHT)
    print("Mutation score (mutmut)")
    for path, file_counts in by_file.items():
        file_total = sum(file_counts.values())
        file_caught = sum(file_counts[status] for status in CAUGHT)
        print(f"  {path:32} {file_caught:4} / {file_total:<4} caught")
    print(
        f"  {'total':32} {caught:4} / {total:<4} caught ({100 * caught / total:.1f}%): "
        + ", ".join(f"{counts[s]} {s}" for s in sorted(counts))
    )
    print(
        f"  {len(explained_names)} surviving mutants are explained as equivalent by "
        f"`{MARK}` comments in the source."
    )
    if unexplained:
        print(
            f"  {len(unexplained)} mutants are neither caught nor explained "
            "(`.venv/bin/mutmut show NAME` prints one):"
        )
        for name, status in unexplained:
            print(f"    {name}: {status}")
    else:
        print("  Every other mutant is caught.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
