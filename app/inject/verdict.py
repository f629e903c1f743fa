"""The verdict on one window, broadcast to every worker of the feed.

Workers hold a window's records until its verdict (``hold_output``) and then release them,
with the synthetic records the verdict asks for interleaved. The verdict travels on an
internal topic: metadata in headers; when there is something to inject, the window's merged
profile (where the synthetic records lean to) and the previous window's (where they lean
from) as the value.
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
    previous: bytes = b""  # the window before it: where the synthetic records start from
    topic: str = ""  # the input topic: window ids of a feed re-attached elsewhere collide
    records: int = 0  # the real records the window was decided on

    def value(self) -> bytes:
        """Both profiles in one value: a 4-byte length of ``target``, then the two."""
        return len(self.target).to_bytes(4, "big") + self.target + self.previous

    def headers(self) -> list[tuple[str, bytes]]:
        fields = {
            "feed": self.feed,
            "window": str(self.window_id),
            "baseline": str(self.baseline_version),
            "rate": repr(self.rate),
            "alpha": repr(self.alpha),
            "event": self.event_id,
            "severity": self.severity,
            "topic": self.topic,
            "records": str(self.records),
        }
        return [(PREFIX + k, v.encode()) for k, v in fields.items()]

    @classmethod
    def from_message(cls, headers: Any, value: bytes | None) -> Verdict:
        value = value or b""
        size = int.from_bytes(value[:4], "big") if len(value) >= 4 else 0
        if 4 + size > len(value):
            raise DecodeError("malformed verdict value")
        target, previous = value[4 : 4 + size], value[4 + size :]
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
                target,
                previous,
                got.get("topic", ""),
                int(got.get("records", "0")),
            )
        except (KeyError, ValueError) as exc:
            raise DecodeError(f"malformed verdict: {exc}") from exc
