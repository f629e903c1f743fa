"""After each decided window: the injection state, the verdict every worker acts on, alerts.

Runs next to the judge (once per feed and window). Publishes a :class:`Verdict` for every
window, drifted or not, so workers that hold output can release it; a high drift event also
goes out as an alert record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from app.errors import DriftmendError
from app.inject.policy import InjectionPolicy, InjectionState
from app.inject.step import window_step
from app.inject.verdict import Verdict
from app.metrics import Metrics
from app.profile.window import WindowProfile
from app.repository.injection import InjectionStore
from app.repository.models import ModelRepository

log = logging.getLogger(__name__)
Send = Callable[..., Awaitable[Any]]


class Steering:
    def __init__(
        self,
        feed: str,
        policy: InjectionPolicy,
        models: ModelRepository | None,
        metrics: Metrics,
        send_verdict: Send,
        send_alert: Send,
        enabled: bool = True,
        store: InjectionStore | None = None,
        topic: str = "",
    ) -> None:
        self.feed = feed
        self.topic = topic
        self.policy = policy
        self.models = models
        self.metrics = metrics
        self.send_verdict = send_verdict
        self.send_alert = send_alert
        self.enabled = enabled
        self.state = InjectionState()
        self.previous = b""  # the last judged window's profile (what the output last showed)
        self._last: WindowProfile | None = None  # the same, as a value (after a restart: None)
        self.store = store
        self._has_model: dict[int, bool] = {}
        if store is not None:  # a restart continues the transition where it was
            try:
                self.state, self.previous = store.load(feed, topic)
            except DriftmendError as exc:
                log.warning("injection state not restored: %s", exc)

    def _model_ready(self, version: int) -> bool:
        if self.models is None:
            return False
        known = self._has_model.get(version)
        if known is None:
            try:
                known = self._has_model[version] = self.models.has_model(self.feed, version)
            except DriftmendError as exc:
                log.warning("cannot tell whether a model exists: %s", exc)
                return False
            if not known:
                log.warning("baseline version %d has no model: no injection", version)
        return known

    def _step(self, window: WindowProfile, fields: Sequence[str] | None) -> float:
        """How far ``window`` moved from the last judged one (0 when unknown)."""
        if self._last is None and not self.previous:
            return 0.0
        try:
            before = self._last or WindowProfile.deserialize(self.previous)  # restored state
            return window_step(before, window, fields)
        except DriftmendError as exc:
            log.warning("window step unknown: %s", exc)
            return 0.0

    async def after(
        self,
        window: WindowProfile,
        baseline_version: int,
        event: dict[str, Any] | None,
        judged: bool = True,
        stepped: Sequence[str] | None = None,
    ) -> Verdict:
        """Advance the state with this window's outcome and publish its verdict
        (``stepped``: the fields whose step from the window before counts, default all)."""
        if judged:
            self.state = self.policy.next(
                self.state,
                None if event is None else str(event["severity"]),
                0.0 if event is None else float(event["drift_score"]),
                "" if event is None else str(event["event_id"]),
                self._step(window, stepped) if self.state.active else 0.0,
            )
        state = self.state
        inject = self.enabled and state.active and self._model_ready(baseline_version)
        data = window.serialize() if inject or judged else b""  # once, for each use below
        verdict = Verdict(
            self.feed,
            window.window_id,
            baseline_version,
            rate=state.rate if inject else 0.0,
            alpha=state.alpha,
            event_id=state.event_id,
            severity="" if event is None else str(event["severity"]),
            target=data if inject else b"",
            previous=self.previous if inject else b"",
            topic=self.topic,
            records=window.records,
        )
        self.metrics.injection_rate.labels(self.feed).set(verdict.rate)
        self.metrics.injection_alpha.labels(self.feed).set(verdict.alpha if inject else 0.0)
        await self.send_verdict(
            key=self.feed.encode(), value=verdict.value(), headers=verdict.headers()
        )
        if event is not None and event["severity"] == "high":
            await self.send_alert(key=self.feed.encode(), value=alert(event, verdict))
            self.metrics.alerts.labels(self.feed).inc()
        if judged:
            self.previous = data
            self._last = window
            if self.store is not None:
                try:
                    self.store.save(self.feed, self.state, self.previous, self.topic)
                except DriftmendError as exc:
                    log.warning("injection state not stored: %s", exc)
        if self.models is not None and judged:
            try:
                self.models.save_latest_window(self.feed, data)
            except DriftmendError as exc:
                log.warning("latest window not stored: %s", exc)
        return verdict

    async def report(self, outcome: Any) -> None:
        """A retrain that did not publish (challenger turned down, or failed): an alert."""
        body = {
            "kind": "retrain_" + str(outcome.action),
            "feed": self.feed,
            "event_id": outcome.event_id,
            "reason": outcome.reason,
            "metrics": outcome.metrics,
            "alerted_at": int(time.time() * 1000),
        }
        await self.send_alert(key=self.feed.encode(), value=orjson.dumps(body))


def alert(event: dict[str, Any], verdict: Verdict) -> bytes:
    """An alert record (JSON): what drifted, how much, and what driftmend does about it."""
    changed = [f"{c['field']}.{c['characteristic']}" for c in event["changed_characteristics"][:10]]
    return orjson.dumps(
        {
            "kind": "high_drift",
            "feed": event["feed"],
            "severity": event["severity"],
            "drift_score": event["drift_score"],
            "event_id": event["event_id"],
            "window_id": event["window_id"],
            "baseline_version": event["baseline_version"],
            "changed": changed,
            "injection_rate": verdict.rate,
            "alerted_at": int(time.time() * 1000),
        }
    )
