"""`from llama_index.embeddings.skillboss import SkillBossEmbedding`: where LlamaIndex users look
for an embedding model.

The same class as `llama_index_skillboss.SkillBossEmbedding`; `llama_index` and
`llama_index.embeddings` are namespace packages shared with llama-index-core and the other
integrations (no __init__ there).
"""

from llama_index_skillboss import DEFAULT_EMBEDDING_MODEL, SkillBossEmbedding
from skillboss_core import __version__

__all__ = ["DEFAULT_EMBEDDING_MODEL", "SkillBossEmbedding", "__version__"]
