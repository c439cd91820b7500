"""What a user sets and how adapters take it: the gateway settings (key, base URL, timeouts,
retries, headers, caps), the one adapter-facing settings object all four adapter classes hold
(its keyword checks: a key, an endpoint or a URL under a wrong name), and the framework each
adapter needs.

May import `errors`, `security`, `catalog` and `wire` (value checks); never `transport` or
`cli`.
"""
