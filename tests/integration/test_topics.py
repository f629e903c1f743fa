"""Topic definitions applied to a real broker: created when missing, and message limits of
existing topics raised (never lowered) to what topics/ asks."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

from app.kafka.topics import (
    LARGE_MESSAGE_BYTES,
    TopicSpec,
    ensure_topics,
    load_topic_specs,
    raise_message_limits,
)
from app.settings import load_settings
from tests.integration.harness import bootstrap, unique


def _limit(admin: AdminClient, topic: str) -> int:
    res = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([res])[res].result(10)
    return int(entries["max.message.bytes"].value)


def test_an_old_topic_gets_the_larger_message_limit_and_is_never_lowered() -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap()})
    name = unique("topics-limit")
    old = TopicSpec(name, 1, config={"max.message.bytes": "1000000"})
    assert ensure_topics(admin, [old]) == [name]
    grown = TopicSpec(name, 1, config={"max.message.bytes": str(LARGE_MESSAGE_BYTES)})
    assert ensure_topics(admin, [grown]) == []  # exists: not created again
    assert raise_message_limits(admin, [grown]) == [name]
    assert _limit(admin, name) == LARGE_MESSAGE_BYTES
    assert raise_message_limits(admin, [old]) == []  # never lowered
    assert _limit(admin, name) == LARGE_MESSAGE_BYTES


def test_the_topics_that_carry_profiles_allow_large_messages() -> None:
    specs = {s.name: s for s in load_topic_specs(load_settings().topics_dir)}
    for name in ("driftmend.window-profiles", "driftmend.verdicts", "driftmend.baselines"):
        assert int(specs[name].config["max.message.bytes"]) == LARGE_MESSAGE_BYTES
