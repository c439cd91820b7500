"""`from llama_index.llms.skillboss import SkillBoss`: where LlamaIndex users look for an LLM.

The same class as `llama_index_skillboss.SkillBoss`; `llama_index` and `llama_index.llms` are
namespace packages shared with llama-index-core and the other integrations (no __init__ there).
"""

from llama_index_skillboss import DEFAULT_MODEL, SkillBoss
from skillboss_core import __version__

__all__ = ["DEFAULT_MODEL", "SkillBoss", "__version__"]
