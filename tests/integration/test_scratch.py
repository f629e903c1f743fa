"""The load tests' scratch topics are deleted at the end, nobody else's."""

from __future__ import annotations

import time

from confluent_kafka.admin import AdminClient

from tests.integration.harness import Scratch, bootstrap, create_topic, unique


def _topics() -> set[str]:
    return set(AdminClient({"bootstrap.servers": bootstrap()}).list_topics(timeout=10).topics)


def test_scratch_deletes_the_topics_named_after_its_names_only() -> None:
    other = unique("not-scratch")
    with Scratch() as names:
        feed = names.name("scratch-feed")
        create_topic(feed, 1)
        create_topic(f"{feed}.healed", 2)  # named after one of its names, like a worker's
        create_topic(other, 1)  # created meanwhile by someone else
        assert {feed, f"{feed}.healed", other} <= _topics()
    deadline = time.monotonic() + 15  # the metadata may list a deleted topic a moment longer
    while {feed, f"{feed}.healed"} & (left := _topics()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert feed not in left and f"{feed}.healed" not in left
    assert other in left


def test_kept_scratch_topics_stay() -> None:
    with Scratch(keep=True) as names:
        topic = names.name("scratch-kept")
        create_topic(topic, 1)
    assert topic in _topics()
