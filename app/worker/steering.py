"""After each decided window: the injection state, the verdict every worker acts on, alerts.

Runs next to the judge, on the worker that judged the window (once per feed and window);
the state is the feed's, shared by its workers through Redis (``app.repository.injection``)
and advanced in window order: a window judged after a later one leaves it as it is, and
its verdict is its own step from the state in force at its place (``Injection.state_before``).
Publishes a :class:`Verdict` for every window, drifted or not, so workers that hold output
can release it; a high drift event also goes out as an alert record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
import redis

from app.errors import DriftmendError
from app.inject.policy import InjectionPolicy, InjectionState
from app.inject.step import window_step
from app.inject.verdict import Verdict
from app.metrics import Metrics
from app.profile.window import WindowProfile
from app.repository.injection import Injection, InjectionStore
from app.repository.models import ModelRepository

log = logging.getLogger(__name__)
LOCK_WAIT_SECONDS = 6.0  # > the lock's life: a dead worker's lock is gone by then
RESTARTED_BELOW = 1024  # a window this far below the last one: the windows count anew
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
        self.shared = Injection()  # the feed's state as this worker last saw or saved it
        self._last: WindowProfile | None = None  # shared.previous as a value, when known
        self.store = store
        self._turn = asyncio.Lock()
        self._has_model: dict[int, bool] = {}
        if store is not None:  # a restart continues the transition where it was
            try:
                self.shared = store.load(feed, topic)
            except DriftmendError as exc:
                log.warning("injection state not restored: %s", exc)

    @property
    def state(self) -> InjectionState:
        return self.shared.state

    @property
    def previous(self) -> bytes:
        """The last judged window's profile (what the output last showed)."""
        return self.shared.previous

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
            before = self._last or WindowProfile.deserialize(self.previous)  # another's save
            return window_step(before, window, fields)
        except DriftmendError as exc:
            log.warning("window step unknown: %s", exc)
            return 0.0

    def _take_turn(self) -> Any:
        """Take the feed's lock and catch up with what other workers saved; the lock, or
        None (no store, or Redis failing: this worker goes on with the state it has)."""
        if self.store is None:
            return None
        lock = self.store.lock(self.feed, LOCK_WAIT_SECONDS)
        try:
            if not lock.acquire():
                log.warning("steering without the feed's lock (held > %.0f s)", LOCK_WAIT_SECONDS)
                lock = None
        except redis.RedisError as exc:
            log.warning("injection state not shared for this window: %s", exc)
            return None
        try:
            if self.store.seq(self.feed, self.topic) != self.shared.seq:
                self.shared, self._last = self.store.load(self.feed, self.topic), None
        except DriftmendError as exc:
            log.warning("injection state of other workers not read: %s", exc)
        return lock

    def _end_turn(self, lock: Any, saved: Injection | None) -> None:
        try:
            if saved is not None and self.store is not None:
                self.store.save(self.feed, saved, self.topic)
        except DriftmendError as exc:
            log.warning("injection state not stored: %s", exc)
        finally:
            if lock is not None:
                with contextlib.suppress(redis.RedisError):  # it expires
                    lock.release()

    def _advances(self, window_id: int) -> bool:
        """Whether a judged window moves the state on: not one older than the last that
        did (judged later by another worker, or again after a restart), unless far older
        (the input topic was made anew and its windows count from 0 again)."""
        last = self.shared.window
        return window_id > last or window_id < last - RESTARTED_BELOW

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
        async with self._turn:  # this worker's turns one by one
            verdict, saved = await asyncio.to_thread(
                self._advance, window, baseline_version, event, judged, stepped
            )
        if window.window_id >= self.shared.window:  # the latest window: the feed's state now
            self.metrics.injection_rate.labels(self.feed).set(verdict.rate)
            alpha = verdict.alpha if verdict.rate else 0.0
            self.metrics.injection_alpha.labels(self.feed).set(alpha)
        await self.send_verdict(
            key=self.feed.encode(), value=verdict.value(), headers=verdict.headers()
        )
        if event is not None and event["severity"] == "high":
            await self.send_alert(key=self.feed.encode(), value=alert(event, verdict))
            self.metrics.alerts.labels(self.feed).inc()
        if self.models is not None and saved is not None:
            try:
                self.models.save_latest_window(self.feed, saved.previous)
            except DriftmendError as exc:
                log.warning("latest window not stored: %s", exc)
        return verdict

    def _advance(
        self,
        window: WindowProfile,
        baseline_version: int,
        event: dict[str, Any] | None,
        judged: bool,
        stepped: Sequence[str] | None,
    ) -> tuple[Verdict, Injection | None]:
        """In a thread, holding the feed's lock only this long (a few Redis calls): catch
        up, move the state on and store it. The verdict (a rate above 0: synthetic records
        are due), and the state saved when the window advanced it."""
        lock = self._take_turn()
        saved = None
        try:
            advance = judged and self._advances(window.window_id)
            state = self.shared.state_before(window.window_id)
            if judged:  # (a late window's own step stays in its verdict, not in the state)
                state = self.policy.next(
                    state,
                    None if event is None else str(event["severity"]),
                    0.0 if event is None else float(event["drift_score"]),
                    "" if event is None else str(event["event_id"]),
                    self._step(window, stepped) if advance and state.active else 0.0,
                )
            inject = self.enabled and state.active and self._model_ready(baseline_version)
            data = window.serialize() if inject or advance else b""  # once, for each use
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
            if advance:
                saved = self.shared = self.shared.advanced(state, data, window.window_id)
                self._last = window
        finally:
            self._end_turn(lock, saved)
        return verdict, saved

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
