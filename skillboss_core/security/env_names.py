"""Environment variable names, kept apart so errors and settings can both import them."""

API_KEY_ENV = "SKILLBOSS_WHOLESALE_KEY"
BASE_URL_ENV = "SKILLBOSS_BASE_URL"
DISCOUNT_ENV = "SKILLBOSS_DISCOUNT"
