"""The whole loop on the real broker and Redis, one worker:

A (baseline v1) -> a sudden sustained shift to B -> drift events -> marked synthetic records
in the output -> a retrained baseline published -> drift events stop; then back to A -> the
worker reverts to v1's profile without training. Every real record is in the output once,
in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
import redis

from app.baseline import build_baseline
from app.baseline.model import Baseline
from app.heal.publish import BaselinePublisher
from app.repository import BaselineRepository
from app.repository.events import EventLog
from app.repository.lineage import LineageRepository
from app.repository.models import ModelRepository
from app.settings import load_settings
from app.synth.train import TrainConfig, train_synthesizer
from tests.conftest import make_records
from tests.integration.harness import (
    WorkerProcess,
    bootstrap,
    create_topic,
    produce,
    read_all,
    redis_url,
    unique,
)

WINDOW = 2_000
SHIFT = 1.5
SETTLE_WITHIN = 20  # windows of B until drift events stop
LOOP_ENV = {
    "DRIFTMEND_RETRAIN_COOLDOWN_SECONDS": "3",
    "DRIFTMEND_RETRAIN_BUDGET_SECONDS": "4",
    "DRIFTMEND_RETRAIN_WEIGHT_HISTORICAL": "0.05",
}


def baseline_with_model(feed: str, client: redis.Redis) -> Baseline:
    """Baseline v1 of state A, with its training sample and model, published."""
    settings = load_settings(kafka_bootstrap_servers=bootstrap(), redis_url=redis_url())
    baselines, models = BaselineRepository(client), ModelRepository(client)
    rows = make_records(np.random.default_rng(1), 10_000)
    base = baselines.save(build_baseline(feed, rows, "test"))
    models.save_sample(feed, base.version, rows)
    model = train_synthesizer(base.schema, rows, TrainConfig(epochs=40, budget_seconds=6), 1)
    model.save(models, feed, base.version)
    publisher = BaselinePublisher(settings, baselines, models, LineageRepository(client))
    publisher.publish(base, None, "create", save=False)
    return base


class Loop:
    """Feeds a worker one window at a time and watches what it decides."""

    def __init__(self, tmp: Path) -> None:
        self.feed, self.topic = unique("loop-feed"), unique("loop-input")
        client = redis.Redis.from_url(redis_url())
        self.baselines = BaselineRepository(client)
        self.lineage, self.events = LineageRepository(client), EventLog(client)
        self.base = baseline_with_model(self.feed, client)
        create_topic(self.topic, 1)
        self.worker = WorkerProcess(
            self.feed, self.topic, ["--window-records", str(WINDOW)], env=LOOP_ENV
        )
        self.worker.start(tmp)
        self.rng = np.random.default_rng(7)
        self.sent: list[bytes] = []
        self.windows = 0

    def wait(self, check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout:.0f} s\n{self.worker.log()}")
            assert self.worker.proc is not None and self.worker.proc.poll() is None
            time.sleep(0.5)

    def send(self, shift: float) -> None:
        values = [orjson.dumps(r) for r in make_records(self.rng, WINDOW, shift=shift)]
        produce(self.topic, [(None, v, None, 0) for v in values])
        self.sent.extend(values)
        self.windows += 1
        total = len(self.sent)
        self.wait(lambda: self.metric("driftmend_records_in_total") >= total, "consuming")

    def metric(self, name: str) -> float:
        return self.worker.metrics().get(name, 0.0)

    def drifted(self, window_id: int) -> bool:
        return any(e["window_id"] == window_id for e in self.events.recent(self.feed, 200))

    def transformations(self) -> list[str]:
        return [e.transformation for e in self.lineage.edges(self.feed)]

    def settle(self) -> int:
        """Send B until three windows in a row raise no drift event; windows of B sent."""
        first_b, calm = self.windows, 0
        while calm < 3:
            assert self.windows - first_b <= SETTLE_WITHIN, f"drifting after {SETTLE_WITHIN}"
            self.send(SHIFT)
            decided = self.windows - 2  # the window this one closed
            self.wait(
                lambda w=decided: self.metric("driftmend_windows_closed_total") >= w, "verdict"
            )
            calm = 0 if self.drifted(decided) else calm + 1
        return self.windows - first_b

    def quiet(self, seconds: float = 12.0) -> None:
        """Wait until the retrain agent has finished what B's events asked of it (a job for
        a late B window may still run once B is calm): no outcome for ``seconds``."""
        last: tuple[float, list[str]] = (-1.0, [])
        since = time.monotonic()

        def still() -> bool:
            nonlocal last, since
            now = (self.metric("driftmend_retrain_outcomes_total"), self.transformations())
            if now != last:
                last, since = now, time.monotonic()
            return time.monotonic() - since >= seconds

        self.wait(still, "the retrain agent to go quiet")


TRAINED = ("retrain", "fine_tune")  # a medium event fine-tunes, a high one retrains


def test_detect_smooth_learn_and_revert(tmp_path: Path) -> None:
    loop = Loop(tmp_path)
    try:
        for _ in range(3):
            loop.send(0.0)
        loop.send(SHIFT)
        trainings = lambda: sum(t in TRAINED for t in loop.transformations())  # noqa: E731
        running: list[float] = []

        def trained() -> bool:
            running.append(loop.metric("driftmend_retrain_running"))
            return trainings() > 0

        loop.wait(trained, "a retrain or fine-tune")
        assert max(running) == 1.0  # the gauge shows the job while it runs
        settled_after = 1 + loop.settle()
        loop.quiet()
        assert loop.metric("driftmend_retrain_running") == 0.0
        retrains = trainings()
        for _ in range(4):  # back to A
            loop.send(0.0)
        loop.wait(lambda: "revert" in loop.transformations(), "a revert")
        assert trainings() == retrains  # no training for A again
        reverted = loop.baselines.get(loop.feed)
        assert reverted.profile.records == loop.base.profile.records  # v1's profile
        output = read_all(f"{loop.topic}.healed", idle=8.0)
    finally:
        loop.worker.stop()
    marked = [("driftmend-synthetic", b"1") in (m.headers() or []) for m in output]
    real = [m.value() for m, synthetic in zip(output, marked, strict=True) if not synthetic]
    assert any(marked), "no synthetic records"
    assert real == loop.sent  # every real record once, in order
    assert settled_after <= SETTLE_WITHIN
    print(
        f"B settled after {settled_after} windows, {retrains} retrain(s); "
        f"{sum(marked)} synthetic records; lineage {loop.transformations()}"
    )
