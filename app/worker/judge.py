"""The judge: decides each merged window once per feed (on the worker that aggregated it).

Refreshes the baseline, runs the detectors (analysis process), emits the drift event, keeps
it for the REST API, publishes the window's verdict (injection) and hands drifted windows
to the retrain agent; counts and reports what the retrain agent did.
"""

from __future__ import annotations

import logging
from typing import Any

from app.errors import DriftmendError
from app.events.drift_event import encode_event
from app.metrics import Metrics
from app.profile.window import WindowProfile
from app.repository.baselines import BaselineRepository
from app.repository.events import EventLog
from app.worker.analysis import AnalysisClient
from app.worker.baseline_ref import BaselineRef
from app.worker.options import WorkerOptions
from app.worker.retraining import Job, Outcome, RetrainClient
from app.worker.steering import Steering

# the kinds whose window-to-window step matters to readers (timestamps and IDs always move)
STEPPED = ("continuous", "categorical")

log = logging.getLogger("driftmend.worker")


class Judge:
    """Decides each merged window: refresh the baseline, analyze, emit a drift event."""

    def __init__(
        self,
        options: WorkerOptions,
        repository: BaselineRepository,
        ref: BaselineRef,
        metrics: Metrics,
        min_records: int,
        send: Any,
        steering: Steering,
        retrain: RetrainClient | None = None,
        event_log: EventLog | None = None,
        urgent: bool = True,
    ) -> None:
        """``urgent``: the output waits for the verdicts (else the analysis yields the CPU
        to the forwarding)."""
        self.analysis = AnalysisClient(options.input_topic, nice=0 if urgent else 10)
        self.analysis.warm(ref.baseline, ref.serialized)
        self.options = options
        self.repository = repository
        self.ref = ref
        self.metrics = metrics
        self.min_records = min_records
        self.send = send
        self.steering = steering
        self.retrain = retrain
        self._unsent: list[Outcome] = []
        self.event_log = event_log

    def close(self) -> None:
        """Stop the analysis and retrain processes (they ignore signals: the worker decides)."""
        self.analysis.close()
        if self.retrain is not None:
            self.retrain.close()

    def refresh_baseline(self) -> None:
        try:
            version = self.repository.current_version(self.options.feed)
            if version != self.ref.baseline.version:
                self.ref.swap(self.repository.get(self.options.feed, version))
                self.metrics.baseline_version.labels(self.options.feed).set(version)
                log.info("switched to baseline version %d", version)
        except DriftmendError as exc:
            log.warning("keeping baseline version %d: %s", self.ref.baseline.version, exc)

    async def decide(self, window: WindowProfile) -> None:
        """Judge the window, then publish its verdict whatever happened (held records wait
        for it)."""
        self.refresh_baseline()
        version = self.ref.baseline.version
        event: dict[str, Any] | None = None
        judged = False
        try:
            judged, event = await self._judge(window)
        finally:
            stepped = [f.name for f in self.ref.baseline.schema.fields if f.kind in STEPPED]
            await self.steering.after(window, version, event, judged, stepped)
        if event is not None and self.retrain is not None:
            self._unsent += self.retrain.submit(
                Job(
                    str(event["event_id"]),
                    str(event["severity"]),
                    window.serialize(),
                    int(event["window_start"]),
                    int(event["window_end"]),
                    self.steering.state.alpha,
                )
            )
            self.metrics.retrain_running.labels(self.options.feed).set(int(self.retrain.busy))

    async def collect_retrains(self) -> None:
        """Count and report what the retrain agent did (a turned-down challenger too)."""
        if self.retrain is None:
            return
        done, self._unsent = [*self._unsent, *self.retrain.outcomes()], []
        for outcome in done:
            self.metrics.retrains.labels(self.options.feed, outcome.action).inc()
            log.info(
                "retrain after event %s: %s%s %s",
                outcome.event_id,
                outcome.action,
                "" if outcome.new_version is None else f" -> version {outcome.new_version}",
                outcome.reason,
            )
            if outcome.action in ("kept_champion", "failed"):
                await self.steering.report(outcome)
            if outcome.new_version is not None:
                self.refresh_baseline()
        self.metrics.retrain_running.labels(self.options.feed).set(int(self.retrain.busy))

    async def _judge(self, window: WindowProfile) -> tuple[bool, dict[str, Any] | None]:
        feed = self.options.feed
        if window.records < self.min_records:
            self.metrics.windows_skipped.labels(feed).inc()
            log.info("window %d: %d records, too few to judge", window.window_id, window.records)
            return False, None
        event, scores = await self.analysis.analyze(self.ref.baseline, self.ref.serialized, window)
        self.metrics.windows_closed.labels(feed).inc()
        for name, score in scores.items():
            self.metrics.drift_score.labels(feed, name).set(score)
        if event is None:
            log.info("window %d: %d records, no drift", window.window_id, window.records)
            return True, None
        await self.send(key=feed.encode(), value=encode_event(event))
        self.metrics.drift_events.labels(feed, event["severity"]).inc()
        if self.event_log is not None:
            try:
                self.event_log.add(event)
            except DriftmendError as exc:  # the topic has it: the recent list is a convenience
                log.warning("drift event not kept for the API: %s", exc)
        changed = ", ".join(
            f"{c['field']}.{c['characteristic']}" for c in event["changed_characteristics"][:5]
        )
        log.info(
            "window %d: %s drift (score %.2f): %s",
            window.window_id,
            event["severity"],
            event["drift_score"],
            changed,
        )
        return True, event
