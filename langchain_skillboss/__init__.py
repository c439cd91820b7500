"""LangChain integration for the SkillBoss gateway: `ChatSkillBoss`, a drop-in for ChatOpenAI."""

from langchain_skillboss.chat_models import ChatSkillBoss
from langchain_skillboss.structured import StructuredOutputRefusalError
from skillboss_core import __version__

__all__ = ["ChatSkillBoss", "StructuredOutputRefusalError", "__version__"]
