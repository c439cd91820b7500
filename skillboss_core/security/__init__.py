"""Keys and what must never leak: where the key comes from (the environment variables the
core reads), where to get one, what a sendable key looks like, which headers hold secrets,
redaction of keys and bearer tokens from anything shown, and the clear-text warning.

The bottom layer with `errors` and `catalog`: it imports nothing else of the core.
"""
