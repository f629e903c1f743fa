"""Asking a worker whether it is ready (``/ready`` on its web port), for scripts and tests."""

from __future__ import annotations

import urllib.error
import urllib.request


def ready(port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> bool:
    """True when the worker answers ``/ready`` with 200: consuming, model loaded, repository
    reachable."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/ready", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):  # not listening yet, or 503 (not ready)
        return False
