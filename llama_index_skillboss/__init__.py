"""SkillBoss for LlamaIndex: `from llama_index_skillboss import SkillBoss, SkillBossEmbedding`
(or, as LlamaIndex integrations are usually imported, `from llama_index.llms.skillboss import
SkillBoss` and `from llama_index.embeddings.skillboss import SkillBossEmbedding`)."""

from skillboss_core import __version__
from skillboss_core.config.extras import require_framework

# A LangChain-only install is told which extra to add, not "No module named llama_index".
require_framework(
    "llama_index.core",
    adapter="llama_index_skillboss",
    framework="llama-index-core",
    extra="llama-index",
)

from llama_index_skillboss.base import SkillBoss  # noqa: E402
from llama_index_skillboss.cost_handler import CostHandler  # noqa: E402
from llama_index_skillboss.embedding import SkillBossEmbedding  # noqa: E402
from skillboss_core.wire.embeddings import DEFAULT_EMBEDDING_MODEL  # noqa: E402
from skillboss_core.wire.request import DEFAULT_MODEL  # noqa: E402

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_MODEL",
    "CostHandler",
    "SkillBoss",
    "SkillBossEmbedding",
    "__version__",
]
