"""Topic metadata helpers (pure logic: the admin client is a stand-in)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from app.kafka.topics import partition_count


class _Admin:
    """Lists a topic only from the ``visible_after``-th metadata request on, like a broker
    whose metadata lags a topic it has just created."""

    def __init__(self, visible_after: int) -> None:
        self.visible_after = visible_after
        self.calls = 0

    def list_topics(self, topic: str, timeout: float) -> Any:
        self.calls += 1
        if self.calls < self.visible_after:
            return SimpleNamespace(topics={})
        info = SimpleNamespace(error=None, partitions={0: None, 1: None})
        return SimpleNamespace(topics={topic: info})


def test_partition_count_waits_for_a_topic_the_metadata_does_not_show_yet() -> None:
    admin = _Admin(visible_after=3)
    assert partition_count(admin, "t", wait=5.0) == 2  # type: ignore[arg-type]
    assert admin.calls == 3


def test_partition_count_without_wait_reports_a_missing_topic_at_once() -> None:
    admin = _Admin(visible_after=3)
    assert partition_count(admin, "t") is None  # type: ignore[arg-type]
    assert admin.calls == 1
