"""GREEN_API_INSTANCES as tests write it: an entry per instance, and the environment holding
the map."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def entry(token: str, api_url: str = "https://api.green-api.com", **extra: Any) -> dict[str, Any]:
    """One instance's entry of the map: its URL, its token and any per-instance settings."""
    return {"apiUrl": api_url, "apiTokenInstance": token, **extra}


def instances_env(entries: Mapping[int, Mapping[str, Any]], **env: str) -> dict[str, str]:
    """An environment with GREEN_API_INSTANCES set to `entries` (by idInstance), and `env`."""
    return {"GREEN_API_INSTANCES": json.dumps({str(i): e for i, e in entries.items()}), **env}
