"""The retrain agent's worker side: drift events in, new baselines out, off the hot path.

The judge hands each drift event (with its window) to :class:`RetrainClient`; a child
process reads the window's records back from the input topic, samples what was injected,
and runs :class:`app.heal.retrain.Retrainer` (profile update, retrain, revert to a healthy
ancestor, repair, or keep the champion). At most one job runs and one waits per worker; a
newer event replaces the waiting one (the retrainer's cooldown guards against storms too).
Every worker judges some of a feed's windows, so jobs of one feed take turns under a lock
in Redis: the next one starts from the baseline the last one left. Outcomes
come back to be logged, counted and, when a challenger is turned down, reported.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import zlib
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from app.errors import DriftmendError
from app.settings import Settings
from app.worker.options import WorkerOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    event_id: str
    severity: str
    window: bytes  # the serialized WindowProfile the event was raised on
    start_ms: int
    end_ms: int
    alpha: float  # how far injection leaned toward the current data


@dataclass(frozen=True)
class Outcome:
    event_id: str
    action: str
    new_version: int | None = None
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)


def _serve(conn: Connection, settings: Settings, options: WorkerOptions) -> None:
    import torch

    from app.heal.retrain import Retrainer
    from app.kafka.readback import read_range
    from app.profile.window import WindowProfile

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(  # a spawned child: its log lines join the worker's
        level=logging.INFO, format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"
    )
    torch.set_num_threads(1)  # one core: the other belongs to the records
    os.nice(10)  # under CPU pressure, forwarding and profiling go first; a retrain may lag
    retrainer: Retrainer | None = None
    while True:
        try:
            job: Job | None = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if job is None:
            return
        try:
            if retrainer is None:
                retrainer = _retrainer(settings)
            window = WindowProfile.deserialize(job.window)
            current = read_range(
                settings,
                options.input_topic,
                options.codec,
                job.start_ms,
                job.end_ms,
                settings.retrain_current_records,
            )
            injected = _injected(retrainer, options.feed, len(current), job, window)
            wait = settings.retrain_budget_seconds * 3 + 60  # another worker's job, at most
            with retrainer.lineage.retrain_lock(options.feed, wait):  # one at a time per feed
                result = retrainer.handle(job.severity, job.event_id, current, window, injected)
            conn.send(
                Outcome(
                    job.event_id,
                    result.action,
                    result.new_version,
                    result.reason,
                    dict(result.metrics),
                )
            )
        except Exception as exc:  # answer, and keep serving
            log.exception("retrain failed")
            conn.send(Outcome(job.event_id, "failed", reason=f"{type(exc).__name__}: {exc}"))


def _retrainer(settings: Settings) -> Any:
    from app.heal.retrain import BaselinePublisher, Retrainer
    from app.repository.baselines import BaselineRepository, connect_redis
    from app.repository.lineage import LineageRepository
    from app.repository.models import ModelRepository

    client = connect_redis(settings)
    baselines = BaselineRepository(client)
    return Retrainer(
        settings,
        baselines,
        ModelRepository(client),
        LineageRepository(client),
        BaselinePublisher(settings, baselines),
        seed=settings.seed,
    )


def _injected(retrainer: Any, feed: str, n: int, job: Job, window: Any) -> list[dict[str, Any]]:
    """What the injection agent interleaved: the champion's samples at the same alpha."""
    from app.synth.synthesizer import Synthesizer

    if n == 0:
        return []
    try:
        synth = Synthesizer.load(retrainer.models, feed)
    except DriftmendError:
        return []  # no model: nothing was injected
    return synth.sample(n, alpha=job.alpha, target=window, seed=zlib.crc32(job.event_id.encode()))


class RetrainClient:
    """Runs jobs in the retrain process; a process that dies is reported as a failed
    outcome and started again for the next job (monitoring never stops for it)."""

    def __init__(self, settings: Settings, options: WorkerOptions) -> None:
        self.settings = settings
        self.options = options
        self._running: Job | None = None
        self._waiting: Job | None = None
        self._start()

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve,
            args=(child, self.settings, self.options),
            name="driftmend-retrain",
            daemon=True,
        )
        self._proc.start()
        child.close()

    def submit(self, job: Job) -> list[Outcome]:
        """Queue a job (the newest waiting one wins); returns a failure if it could not go."""
        if self._running is not None:
            self._waiting = job
            return []
        return self._send(job)

    def _send(self, job: Job) -> list[Outcome]:
        if not self._proc.is_alive():
            self._start()
        try:
            self._conn.send(job)
        except OSError as exc:
            return [Outcome(job.event_id, "failed", reason=f"retrain process: {exc}")]
        self._running = job
        return []

    def outcomes(self) -> list[Outcome]:
        """Outcomes ready now (never waits); starts the waiting job when one finishes."""
        out: list[Outcome] = []
        while self._running is not None:
            try:
                if not self._conn.poll():
                    if self._proc.is_alive():
                        break
                    raise EOFError("exited")
                out.append(self._conn.recv())
            except (EOFError, OSError) as exc:
                out.append(Outcome(self._running.event_id, "failed", reason=f"died: {exc}"))
                log.error("the retrain process died; starting it again for the next job")
            self._running = None
            if self._waiting is not None:
                job, self._waiting = self._waiting, None
                out.extend(self._send(job))
        return out

    @property
    def busy(self) -> bool:
        return self._running is not None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
