"""The gateway's wire format, without I/O: request building and validation (parameters,
per-request options, messages, content parts, tool choice, schemas), the one decoder of
answer bodies and stream events (error inside a 200, first choice, reasoning, usage, tool-call
deltas, finish reason), the accumulator of a stream, neutral results, what the end of an
answer means, the embeddings request and result, what a call cost (`cost.py`: the
gateway's reported cost, else an estimate from the catalog's prices and the discount) and
may cost at worst, a prompt's size before it is sent, running cost totals, and who answered
(request id, vendor).

May import `errors`, `security` and `catalog`; never `config`, `transport` or `cli`.
"""

from __future__ import annotations

from skillboss_core._moved import forward_to

__getattr__ = forward_to("skillboss_core.wire.builders")  # the old `skillboss_core.wire`
