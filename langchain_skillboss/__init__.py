"""LangChain integration for the SkillBoss gateway: `ChatSkillBoss`, a drop-in for ChatOpenAI,
and `SkillBossEmbeddings`, a drop-in for OpenAIEmbeddings."""

# The core (and so openai) first: importing it before langchain-core measured 1.06x the
# baseline import instead of 1.14x (benchmarks/README.md), where the interpreter's gc passes
# land. isort would reorder these, so it is told not to.
from skillboss_core import __version__  # isort: skip
from skillboss_core.config.extras import require_framework  # isort: skip

# A LlamaIndex-only install is told which extra to add, not "No module named langchain_core".
require_framework(
    "langchain_core", adapter="langchain_skillboss", framework="langchain-core", extra="langchain"
)

from langchain_skillboss.callbacks import (  # noqa: E402
    SkillBossCallbackHandler,
    get_skillboss_callback,
)
from langchain_skillboss.chat_models import ChatSkillBoss  # noqa: E402
from langchain_skillboss.embeddings import SkillBossEmbeddings  # noqa: E402
from langchain_skillboss.errors import (  # noqa: E402
    StructuredOutputParseError,
    StructuredOutputRefusalError,
)

__all__ = [
    "ChatSkillBoss",
    "SkillBossCallbackHandler",
    "SkillBossEmbeddings",
    "StructuredOutputParseError",
    "StructuredOutputRefusalError",
    "__version__",
    "get_skillboss_callback",
]
