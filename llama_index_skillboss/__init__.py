"""SkillBoss for LlamaIndex: `from llama_index_skillboss import SkillBoss`."""

from llama_index_skillboss.base import DEFAULT_MODEL, SkillBoss

__all__ = ["DEFAULT_MODEL", "SkillBoss"]
