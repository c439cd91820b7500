"""What is known about models without asking the gateway: context windows, output limits,
capabilities, embedding sizes and list prices (LiteLLM's table, generated into
`catalog_data.json` by `make catalog`; the prices and their arithmetic on plain token counts
in `prices.py`), the forms a model id may take, the gateway's /models listing read into
those facts, and the offline token estimate.

The bottom layer with `errors` and `security`: it imports nothing else of the core.
"""

from __future__ import annotations

from skillboss_core._moved import forward_to

__getattr__ = forward_to("skillboss_core.catalog.models")  # the old `skillboss_core.catalog`
