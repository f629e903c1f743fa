"""What one worker attaches to: the feed, its topics, the codec and the windowing."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from app.codecs.base import Codec


@dataclass(frozen=True)
class WorkerOptions:
    feed: str
    input_topic: str
    output_topic: str
    codec: Codec
    window_records: int | None = 10_000
    window_seconds: float | None = None

    @property
    def group_id(self) -> str:
        return f"driftmend-{self.feed}"


def worker_command(feed: str, input_topic: str, *options: str) -> list[str]:
    """The command line that runs ``driftmend worker`` for a feed in a child process."""
    return [
        sys.executable,
        "-m",
        "app.cli.main",
        "worker",
        "--feed",
        feed,
        "--input",
        input_topic,
        *options,
    ]
