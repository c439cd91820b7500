"""`from llama_index.callbacks.skillboss import CostHandler`: where LlamaIndex users look for a
callback handler (as for llama-index-callbacks-* integrations).

The same class as `llama_index_skillboss.CostHandler`; `llama_index` and `llama_index.callbacks`
are namespace packages shared with llama-index-core (no __init__ there).
"""

from llama_index_skillboss import CostHandler
from skillboss_core import __version__

__all__ = ["CostHandler", "__version__"]
