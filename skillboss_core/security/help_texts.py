"""User-facing facts about getting access, kept in one place so every message says the same.

The facts come from the gateway docs (../shared/gateway-docs): wholesale keys come from the
wholesale dashboard, and whoever is not on wholesale yet asks the admin address for access.
"""

from __future__ import annotations

from skillboss_core.security.env_names import API_KEY_ENV

__all__ = [
    "ADMIN_EMAIL",
    "CONSOLE_KEY_ENV",
    "DASHBOARD_HINT",
    "WHERE_TO_GET_A_KEY",
    "WHOLESALE_ONLY",
]

DASHBOARD_HINT = "the SkillBoss wholesale dashboard"
ADMIN_EMAIL = "admin@skillboss.co"
# What SkillBoss's general docs call the console key; the gateway rejects console keys (401).
CONSOLE_KEY_ENV = "SKILLBOSS_API_KEY"

WHERE_TO_GET_A_KEY = (
    f"Get a wholesale key on {DASHBOARD_HINT}; not on wholesale yet? Email {ADMIN_EMAIL} "
    "with your use case to get provisioned."
)
WHOLESALE_ONLY = (
    f"This gateway needs a SkillBoss wholesale key in {API_KEY_ENV}; standard console keys "
    f"(what SkillBoss's general docs call {CONSOLE_KEY_ENV}) are rejected with 401."
)
