"""What the REST API answers, over the repositories (no HTTP here: testable on its own).

Every method returns plain JSON-able values or raises a :class:`DriftmendError` subclass
(``NotFoundError`` for unknown feeds or versions, ``ConfigError`` for bad input) that the views
turn into 404 / 400 responses.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from app.analysis.tolerances import apply_overrides, check_overrides
from app.errors import BaselineNotFoundError, ConfigError, NotFoundError
from app.repository.baselines import BaselineRepository
from app.repository.events import EventLog
from app.repository.models import ModelRepository

MAX_PREVIEW = 1_000
MAX_EVENTS = 1_000


class ApiService:
    def __init__(
        self,
        baselines: BaselineRepository,
        models: ModelRepository,
        events: EventLog,
        lineage: Any = None,  # app.repository.lineage.LineageRepository, when present
        publisher: Any = None,  # app.heal.publish.BaselinePublisher: lineage + announcement
    ) -> None:
        self.baselines = baselines
        self.models = models
        self.events = events
        self.lineage = lineage
        self.publisher = publisher

    def feeds(self) -> list[dict[str, Any]]:
        out = []
        for feed in sorted(self.baselines.feeds()):
            try:
                out.append({"feed": feed, "current_version": self.baselines.current_version(feed)})
            except BaselineNotFoundError:
                continue
        return out

    def _current(self, feed: str) -> int:
        try:
            return self.baselines.current_version(feed)
        except BaselineNotFoundError as exc:
            raise NotFoundError(str(exc)) from exc

    def versions(self, feed: str) -> dict[str, Any]:
        current = self._current(feed)
        return {"feed": feed, "current_version": current, "versions": self.baselines.versions(feed)}

    def baseline(self, feed: str, version: int | None = None) -> dict[str, Any]:
        self._current(feed)
        try:
            summary = self.baselines.get(feed, version).summary()
        except BaselineNotFoundError as exc:
            raise NotFoundError(str(exc)) from exc
        out: dict[str, Any] = _plain(summary)
        return out

    def tolerances(self, feed: str) -> dict[str, Any]:
        self._current(feed)
        baseline = self.baselines.get(feed)
        return {"feed": feed, "version": baseline.version, **baseline.tolerances.to_dict()}

    def set_tolerances(self, feed: str, overrides: Any) -> dict[str, Any]:
        """Lay ``overrides`` over the current tolerances; stores (and returns) a new version."""
        self._current(feed)
        baseline = self.baselines.get(feed)
        checked = check_overrides(overrides, baseline.schema.names, "request body")
        updated = replace(baseline, tolerances=apply_overrides(baseline.tolerances, checked))
        if self.publisher is not None:
            from app.heal.publish import Artifacts

            stored = self.publisher.publish(
                updated,
                baseline.version,
                "tolerances",
                artifacts=Artifacts(carry_from=baseline.version),
                parameters={"overrides": checked},
                reason="tolerances set through the REST API",
            )
        else:
            stored = self.baselines.save(updated)
            self.models.carry_over(feed, baseline.version, stored.version)
        return {"feed": feed, "version": stored.version, **stored.tolerances.to_dict()}

    def recent_events(self, feed: str, limit: int = 50) -> list[dict[str, Any]]:
        if not 1 <= limit <= MAX_EVENTS:
            raise ConfigError(f"limit must be between 1 and {MAX_EVENTS}")
        self._current(feed)
        return self.events.recent(feed, limit)

    def lineage_graph(self, feed: str) -> dict[str, Any]:
        self._current(feed)
        if self.lineage is None:
            return {"feed": feed, "nodes": [], "edges": []}
        graph: dict[str, Any] = _plain(self.lineage.graph(feed))
        return graph

    def preview(self, feed: str, n: int = 10, alpha: float = 0.0) -> dict[str, Any]:
        """``n`` synthetic records from the current model (never real records)."""
        from app.synth.synthesizer import Synthesizer

        if not 1 <= n <= MAX_PREVIEW:
            raise ConfigError(f"n must be between 1 and {MAX_PREVIEW}")
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError("alpha must be between 0 and 1")
        version = self._current(feed)
        if not self.models.has_model(feed, version):
            raise NotFoundError(f"baseline version {version} of {feed!r} has no model")
        target = self.models.latest_window(feed) if alpha > 0 else None
        synth = Synthesizer.load(self.models, feed, version)
        records = synth.sample(n, alpha=alpha if target is not None else 0.0, target=target)
        return {"feed": feed, "version": version, "alpha": alpha, "records": _plain(records)}


def _plain(value: Any) -> Any:
    """JSON-able: tuples to lists, non-finite floats to None, other objects to strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)
