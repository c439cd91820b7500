"""What a user sets: the gateway settings (key, base URL, timeouts, retries, headers, caps, the
discount, read from the environment), a spend limit (`Budget`), the checks of an adapter's
keywords (a key, an endpoint or a URL under a wrong name; which names a model accepts), and
the framework each adapter needs. The adapter-facing settings object built on them is
`transport.adapter_settings`.

May import `errors`, `security`, `catalog` and `wire` (value checks); never `transport` or
`cli`.
"""
