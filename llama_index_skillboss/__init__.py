"""SkillBoss for LlamaIndex: `from llama_index_skillboss import SkillBoss`."""

from llama_index_skillboss.base import SkillBoss
from skillboss_core.request import DEFAULT_MODEL

__all__ = ["DEFAULT_MODEL", "SkillBoss"]
