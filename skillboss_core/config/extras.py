"""Each adapter needs its framework, installed by an extra; a missing one says which.

A LangChain-only install that imports the LlamaIndex adapter (or the other way round) would
otherwise get a bare "No module named 'llama_index'", with no word of the extra to install.
"""

from __future__ import annotations

import importlib

DISTRIBUTION = "skillboss-integrations"


def require_framework(module: str, *, adapter: str, framework: str, extra: str) -> None:
    """Import `module`, or raise ModuleNotFoundError naming `pip install "...[extra]"`.

    Only the framework itself missing is reworded: a module missing inside an installed
    framework (a broken or mismatched install) keeps its own error.
    """
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not missing or not (module == missing or module.startswith(missing + ".")):
            raise
        raise ModuleNotFoundError(
            f"{adapter} needs {framework}, which is not installed: "
            f'pip install "{DISTRIBUTION}[{extra}]" (before the first release, in a clone of '
            f'the repository: pip install ".[{extra}]")',
            name=exc.name,
            path=exc.path,
        ) from None
