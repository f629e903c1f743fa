"""Publish a baseline version: repository (made current), lineage, and the baselines topic.

Order: the baseline is stored under a new version number *without* becoming current, its
artifacts (model, training sample) are stored or carried over, then it is made current,
its lineage node and edge are recorded and the record goes out on ``baselines_topic``
(Avro per ``schemas/baseline.avsc``, key = feed). Workers re-read the current version each
window, so none sees a version whose model is not there yet.

The record carries the version's content hash (``app.lineage.model.baseline_hash``) and
whether it has a model, not the baseline itself: a consumer reads it from Redis
(``driftmend:feed:{feed}:baseline:{version}``) and can check the hash.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaException, Producer

from app.baseline.model import Baseline
from app.errors import ConfigError, KafkaError
from app.events.baseline_event import encode_baseline_event
from app.kafka.topics import LARGE_MESSAGE_BYTES
from app.lineage.model import TRANSFORMATIONS, Edge, Node, baseline_hash
from app.repository.baselines import BaselineRepository
from app.repository.lineage import LineageRepository
from app.repository.models import ModelRepository
from app.settings import Settings

if TYPE_CHECKING:  # torch is imported only where a model is made
    from app.synth.synthesizer import Synthesizer


@dataclass(frozen=True)
class Artifacts:
    """What a new version carries besides its baseline."""

    model: Synthesizer | None = None  # a model to store with it
    sample: Sequence[Mapping[str, Any]] | None = None  # its training sample
    carry_from: int | None = None  # copy model and sample (unless given) of this version
    seed: int = 0  # for bounding the stored sample


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
        artifacts: Artifacts | None = None,
        data_signature: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        reason: str = "",
        event_id: str | None = None,
        save: bool = True,
    ) -> Baseline:
        """Store ``baseline`` with its ``artifacts`` as the new current version, record its
        lineage and announce it. ``save=False``: it is stored (and current) already, with
        its artifacts; only lineage and the announcement remain."""
        if transformation not in TRANSFORMATIONS:
            raise ConfigError(f"unknown transformation {transformation!r}")
        stored = self._store(baseline, artifacts or Artifacts()) if save else baseline
        now = int(time.time() * 1000)
        digest = baseline_hash(stored)
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

    def _store(self, baseline: Baseline, artifacts: Artifacts) -> Baseline:
        stored = self.baselines.save(baseline, make_current=False)
        feed, version = stored.feed, stored.version
        if artifacts.carry_from is not None:
            self.models.carry_over(feed, artifacts.carry_from, version)
        if artifacts.model is not None:
            artifacts.model.save(self.models, feed, version)
        if artifacts.sample is not None:
            self.models.save_sample(feed, version, artifacts.sample, artifacts.seed)
        self.baselines.set_current(feed, version)
        return stored

    def _announce(self, record: dict[str, Any]) -> None:
        if self._producer is None:
            self._producer = Producer(
                {
                    **self.settings.kafka_config(),
                    "enable.idempotence": True,
                    "message.max.bytes": LARGE_MESSAGE_BYTES,  # baselines of wide records
                }
            )
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
    """A compact per-field summary: null share, quartiles and mean, or the top categories."""
    out: dict[str, Any] = {}
    for spec in baseline.schema.fields:
        fp = baseline.profile.fields.get(spec.name)
        if fp is None:
            continue
        row: dict[str, Any] = {"null_rate": round(fp.null_rate, 4)}
        if fp.numbers is not None and not fp.numbers.is_empty():
            q = fp.numbers.get_quantiles([0.25, 0.5, 0.75])
            row.update(q25=q[0], median=q[1], q75=q[2])
            row["mean"] = fp.mean
        cats = fp.category_counts()
        if cats:
            total = max(sum(cats.values()), 1)
            top = sorted(cats, key=lambda k: -cats[k])[:5]
            row["top"] = {k: round(cats[k] / total, 4) for k in top}
        out[spec.name] = row
    return out
