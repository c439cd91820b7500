"""The HTTP library the installed openai SDK is built on: httpx2 for openai 3, httpx for 2.

The core hands the SDK pooled clients of its own, so they must be of the SDK's own library:
openai 3 accepts legacy httpx clients too, but httpx2's pool is much faster under concurrent
load, and importing httpx on openai 3 would only add start-up time.
"""

from __future__ import annotations

import importlib
from typing import Any

import openai

OPENAI_MAJOR = int(openai.__version__.split(".", 1)[0])
http: Any = importlib.import_module("httpx2" if OPENAI_MAJOR >= 3 else "httpx")
