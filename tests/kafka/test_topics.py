"""Topic creation (pure logic: the admin client is a stand-in)."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

from app.kafka.topics import TopicSpec, ensure_topics, load_topic_specs
from app.settings import Settings


class _Admin:
    """Creates topics that its metadata lists only from the ``visible_after``-th request
    for them on, like a broker whose metadata lags a topic it has just created."""

    def __init__(self, visible_after: int) -> None:
        self.visible_after = visible_after
        self.created: set[str] = set()
        self.calls = 0

    def list_topics(self, topic: str | None = None, timeout: float = 0) -> Any:
        if topic is None:
            return SimpleNamespace(topics={})
        self.calls += 1
        if topic not in self.created or self.calls < self.visible_after:
            return SimpleNamespace(topics={})
        info = SimpleNamespace(error=None, partitions={0: None, 1: None})
        return SimpleNamespace(topics={topic: info})

    def create_topics(self, topics: list[Any], operation_timeout: float) -> dict[str, Future]:
        out: dict[str, Future] = {}
        for t in topics:
            self.created.add(t.topic)
            out[t.topic] = Future()
            out[t.topic].set_result(None)
        return out


def test_ensure_topics_returns_once_the_metadata_shows_the_new_topic() -> None:
    admin = _Admin(visible_after=3)
    assert ensure_topics(admin, [TopicSpec("t", 2)], timeout=5.0) == ["t"]  # type: ignore[arg-type]
    assert admin.calls == 3


def test_ensure_topics_creates_nothing_that_exists() -> None:
    admin = _Admin(visible_after=1)
    admin.list_topics = lambda topic=None, timeout=0: SimpleNamespace(topics={"t": None})  # type: ignore[method-assign]
    assert ensure_topics(admin, [TopicSpec("t", 2)]) == []  # type: ignore[arg-type]
    assert admin.created == set()


def test_every_definition_is_a_topic_the_settings_name() -> None:
    settings = Settings()
    stems = {p.stem for p in settings.topics_dir.glob("*.yaml")}
    assert stems == set(settings.topic_names())
    defaults = {s.name for s in load_topic_specs(settings.topics_dir)}
    assert defaults == set(settings.topic_names().values())  # the files' names = the defaults


def test_a_renamed_topic_keeps_its_definition() -> None:
    settings = Settings(dlq_topic="feeds.bad-records", window_profiles_topic="dm.partials")
    default = {s.name: s for s in load_topic_specs(settings.topics_dir)}
    renamed = {s.name: s for s in load_topic_specs(settings.topics_dir, settings.topic_names())}
    assert "driftmend.window-profiles" not in renamed and "driftmend.dlq" not in renamed
    assert renamed["dm.partials"].config == default["driftmend.window-profiles"].config
    assert renamed["dm.partials"].partitions == default["driftmend.window-profiles"].partitions
    assert renamed["feeds.bad-records"].config == default["driftmend.dlq"].config
    assert renamed["driftmend.alerts"] == default["driftmend.alerts"]
