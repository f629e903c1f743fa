"""The verdict on one window, broadcast to every worker of the feed.

Workers hold a window's records until its verdict (``hold_output``) and then release them,
with the synthetic records the verdict asks for interleaved. The verdict travels on an
internal topic: metadata in headers, the window's merged profile (the drift target) as the
value when there is something to inject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import DecodeError

PREFIX = "driftmend-verdict-"


@dataclass(frozen=True)
class Verdict:
    feed: str
    window_id: int
    baseline_version: int
    rate: float = 0.0  # synthetic records per real record in this window
    alpha: float = 0.0
    event_id: str = ""
    severity: str = ""  # "" when the window did not drift
    target: bytes = b""  # the serialized WindowProfile to drift toward (when rate > 0)

    def headers(self) -> list[tuple[str, bytes]]:
        fields = {
            "feed": self.feed,
            "window": str(self.window_id),
            "baseline": str(self.baseline_version),
            "rate": repr(self.rate),
            "alpha": repr(self.alpha),
            "event": self.event_id,
            "severity": self.severity,
        }
        return [(PREFIX + k, v.encode()) for k, v in fields.items()]

    @classmethod
    def from_message(cls, headers: Any, value: bytes | None) -> Verdict:
        got = {
            k[len(PREFIX) :]: (v.decode() if isinstance(v, bytes) else str(v))
            for k, v in (headers.items() if isinstance(headers, dict) else headers or [])
            if k.startswith(PREFIX)
        }
        try:
            return cls(
                got["feed"],
                int(got["window"]),
                int(got["baseline"]),
                float(got["rate"]),
                float(got["alpha"]),
                got.get("event", ""),
                got.get("severity", ""),
                value or b"",
            )
        except (KeyError, ValueError) as exc:
            raise DecodeError(f"malformed verdict: {exc}") from exc
