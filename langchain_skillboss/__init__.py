"""LangChain integration for the SkillBoss gateway: `ChatSkillBoss`, a drop-in for ChatOpenAI."""

# The core (and so openai) first: importing it before langchain-core measured 1.06x the
# baseline import instead of 1.14x (benchmarks/README.md), where the interpreter's gc passes
# land. isort would reorder these, so it is told not to.
from skillboss_core import __version__  # isort: skip

from langchain_skillboss.chat_models import ChatSkillBoss
from langchain_skillboss.errors import StructuredOutputRefusalError
from langchain_skillboss.parsers import StructuredOutputParseError

__all__ = [
    "ChatSkillBoss",
    "StructuredOutputParseError",
    "StructuredOutputRefusalError",
    "__version__",
]
