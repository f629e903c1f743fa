"""Publish a baseline version: repository (current), lineage, and the baselines topic."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaException, Producer

from app.baseline.model import Baseline
from app.errors import KafkaError
from app.events.baseline_event import encode_baseline_event
from app.lineage.model import Edge, Node, content_hash
from app.repository.baselines import BaselineRepository
from app.repository.lineage import LineageRepository
from app.repository.models import ModelRepository
from app.settings import Settings


class BaselinePublisher:
    def __init__(
        self,
        settings: Settings,
        baselines: BaselineRepository,
        models: ModelRepository | None = None,
        lineage: LineageRepository | None = None,
    ) -> None:
        self.settings = settings
        self.baselines = baselines
        self.models = models or ModelRepository(baselines.client)
        self.lineage = lineage or LineageRepository(baselines.client)
        self._producer: Producer | None = None

    def publish(
        self,
        baseline: Baseline,
        parent: int | None,
        transformation: str,
        *,
        data_signature: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        reason: str = "",
        event_id: str | None = None,
        save: bool = True,
    ) -> Baseline:
        """Store ``baseline`` as the new current version (``save``; else it is stored
        already), record its lineage node and edge, and announce it on the topic."""
        stored = self.baselines.save(baseline) if save else baseline
        now = int(time.time() * 1000)
        digest = content_hash(stored.serialize())
        metric_values = {k: float(v) for k, v in (metrics or {}).items()}
        self.lineage.record(
            stored.feed,
            Node(stored.version, digest, dict(data_signature or {}), metric_values, now),
            Edge(
                parent,
                stored.version,
                transformation,
                dict(parameters or {}),
                metric_values,
                distribution_summary(stored),
                reason,
                now,
            ),
        )
        self._announce(
            {
                "feed": stored.feed,
                "version": stored.version,
                "parent_version": parent,
                "transformation": transformation,
                "content_hash": digest,
                "has_model": self.models.has_model(stored.feed, stored.version),
                "reason": reason,
                "event_id": event_id,
                "metrics": metric_values,
                "created_at": now,
            }
        )
        return stored

    def _announce(self, record: dict[str, Any]) -> None:
        if self._producer is None:
            self._producer = Producer({**self.settings.kafka_config(), "enable.idempotence": True})
        try:
            self._producer.produce(
                self.settings.baselines_topic,
                encode_baseline_event(record),
                str(record["feed"]).encode(),
            )
            if self._producer.flush(30) != 0:
                raise KafkaError("the baselines topic did not acknowledge a new version")
        except KafkaException as exc:
            raise KafkaError(f"cannot publish a baseline: {exc}") from exc


def distribution_summary(baseline: Baseline) -> dict[str, Any]:
    """A compact per-field summary: null share, median and IQR, or top categories."""
    out: dict[str, Any] = {}
    for spec in baseline.schema.fields:
        fp = baseline.profile.fields.get(spec.name)
        if fp is None:
            continue
        row: dict[str, Any] = {"null_rate": round(fp.null_rate, 4)}
        if fp.numbers is not None and not fp.numbers.is_empty():
            q = fp.numbers.get_quantiles([0.25, 0.5, 0.75])
            row.update(q25=q[0], median=q[1], q75=q[2])
        cats = fp.category_counts()
        if cats:
            total = max(sum(cats.values()), 1)
            top = sorted(cats, key=lambda k: -cats[k])[:5]
            row["top"] = {k: round(cats[k] / total, 4) for k in top}
        out[spec.name] = row
    return out
