"""Kafka plumbing: topic definitions and admin operations (confluent-kafka)."""

from app.kafka.topics import TopicSpec, ensure_topics, load_topic_specs, partition_count

__all__ = ["TopicSpec", "ensure_topics", "load_topic_specs", "partition_count"]
