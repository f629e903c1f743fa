"""Topic definitions from ``topics/*.yaml``, created when missing."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from app.errors import ConfigError, KafkaError


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    replication_factor: int = -1  # the broker's default
    config: dict[str, str] = field(default_factory=dict)


def load_topic_specs(folder: Path, names: Mapping[str, str] | None = None) -> list[TopicSpec]:
    """The topic definitions in ``folder``; ``names`` renames a definition by its file's
    stem (``dlq`` for ``dlq.yaml``): a topic named in the settings is created with its
    definition's partitions and configuration, not left to the broker's defaults."""
    specs = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text())
            specs.append(
                TopicSpec(
                    name=(names or {}).get(path.stem) or str(raw["name"]),
                    partitions=int(raw.get("partitions", 1)),
                    replication_factor=int(raw.get("replication_factor", -1)),
                    config={str(k): str(v) for k, v in (raw.get("config") or {}).items()},
                )
            )
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"bad topic definition {path}: {exc}") from exc
    return specs


def partition_count(admin: AdminClient | Producer, topic: str, timeout: float = 10.0) -> int | None:
    """``topic``'s partition count (None: no such topic), asked of any client."""
    try:
        meta = admin.list_topics(topic=topic, timeout=timeout)
    except KafkaException as exc:
        raise KafkaError(f"cannot read metadata of {topic!r}: {exc}") from exc
    info = meta.topics.get(topic)
    if info is None or info.error is not None or not info.partitions:
        return None
    return len(info.partitions)


def ensure_topics(
    admin: AdminClient, specs: Iterable[TopicSpec], timeout: float = 30.0
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created, once the broker's
    metadata lists them (right after ``create_topics`` returns it may not yet, and a reader
    would take a new topic for a missing one)."""
    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as exc:
        raise KafkaError(f"cannot list topics: {exc}") from exc
    wanted = [s for s in specs if s.name not in existing]
    if not wanted:
        return []
    futures = admin.create_topics(
        [NewTopic(s.name, s.partitions, s.replication_factor, config=s.config) for s in wanted],
        operation_timeout=timeout,
    )
    created = []
    for name, fut in futures.items():
        try:
            fut.result()
            created.append(name)
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise KafkaError(f"cannot create topic {name!r}: {exc}") from exc
    _await_visible(admin, [s.name for s in wanted], timeout)
    return created


def _await_visible(admin: AdminClient, names: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        pending = [n for n in pending if partition_count(admin, n, timeout) is None]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise KafkaError(
                f"topics {pending} not in the broker's metadata {timeout:.0f} s after creation"
            )
        time.sleep(0.1)


LARGE_MESSAGE_BYTES = 16_777_216  # max.message.bytes of the topics that carry profiles


def raise_message_limits(
    admin: AdminClient, specs: Iterable[TopicSpec], timeout: float = 30.0
) -> list[str]:
    """Raise ``max.message.bytes`` of existing topics to what their spec asks (a topic made
    before the spec grew keeps its old limit); returns the names changed. Never lowers it."""
    from confluent_kafka.admin import (  # type: ignore[attr-defined]
        AlterConfigOpType,
        ConfigEntry,
        ConfigResource,
        ResourceType,
    )

    key = "max.message.bytes"
    wanted = {s.name: int(s.config[key]) for s in specs if key in s.config}
    if not wanted:
        return []
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in wanted]
    try:
        described = admin.describe_configs(resources)
        low = []
        for res, fut in described.items():
            entries = fut.result(timeout)
            if key in entries and int(entries[key].value) < wanted[res.name]:
                low.append(res.name)
        if not low:
            return []
        changes = [
            ConfigResource(
                ResourceType.TOPIC,
                name,
                incremental_configs=[
                    ConfigEntry(key, str(wanted[name]), incremental_operation=AlterConfigOpType.SET)
                ],
            )
            for name in low
        ]
        for fut in admin.incremental_alter_configs(changes).values():
            fut.result(timeout)
    except KafkaException as exc:
        raise KafkaError(f"cannot raise max.message.bytes of {sorted(wanted)}: {exc}") from exc
    return low


MIRRORED = ("cleanup.policy", "retention.ms", "retention.bytes")


def mirrored_config(admin: AdminClient, topic: str, timeout: float = 10.0) -> dict[str, str]:
    """The retention settings of ``topic`` that its output topic should share (a feed with
    old event-time timestamps kept forever must not lose its output to a 7-day default)."""
    from confluent_kafka.admin import ConfigResource, ResourceType  # type: ignore[attr-defined]

    resource = ConfigResource(ResourceType.TOPIC, topic)
    try:
        entries = admin.describe_configs([resource])[resource].result(timeout)
    except KafkaException as exc:
        raise KafkaError(f"cannot describe topic {topic!r}: {exc}") from exc
    return {
        k: str(entries[k].value) for k in MIRRORED if k in entries and not entries[k].is_default
    }
