"""Sampling off the hot path: a child process that turns injection requests into encoded
synthetic records, with the current baseline version's generative model.

The ingest loop sends ``Request``s and polls for ``Result``s without blocking; records keep
flowing while the model samples on the other core.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from app.errors import DriftmendError
from app.inject.encode import encode_all, encoder_for
from app.settings import Settings
from app.worker.options import WorkerOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    request_id: int
    baseline_version: int
    n: int
    alpha: float
    target: bytes  # serialized WindowProfile of the current window ("": no drift target)
    previous: bytes  # the window before ("": the baseline itself)
    seed: int
    example: bytes | None  # a real record of the window (its schema id for Confluent feeds)


@dataclass(frozen=True)
class Result:
    request_id: int
    values: list[bytes]
    rejected: int = 0  # sampled rows the validator refused (redrawn)
    unencodable: int = 0
    error: str = ""


def _serve(conn: Connection, settings: Settings, options: WorkerOptions) -> None:
    import torch

    from app.profile.window import WindowProfile
    from app.repository.baselines import connect_redis
    from app.repository.models import ModelRepository
    from app.synth.synthesizer import Synthesizer

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    torch.set_num_threads(1)  # this process's own setting: one core, the ingest has the other
    models: dict[int, Synthesizer] = {}
    repo: ModelRepository | None = None
    while True:
        try:
            req: Request | None = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if req is None:
            return
        try:
            if repo is None:
                repo = ModelRepository(connect_redis(settings))
            synth = models.get(req.baseline_version)
            if synth is None:
                models.clear()  # one version at a time
                synth = models[req.baseline_version] = Synthesizer.load(
                    repo, options.feed, req.baseline_version
                )
            if req.n == 0:  # a warm-up: the model is loaded, nothing to sample
                conn.send(Result(req.request_id, []))
                continue
            records, rejected = _bridge(synth, req, WindowProfile.deserialize)
            values, failed = encode_all(encoder_for(options.codec, req.example), records)
            conn.send(Result(req.request_id, values, rejected, failed))
        except Exception as exc:  # answer, and keep serving
            conn.send(Result(req.request_id, [], error=f"{type(exc).__name__}: {exc}"))


def _bridge(synth: Any, req: Request, load: Any) -> tuple[list[dict[str, Any]], int]:
    """``(1 - alpha)`` of the records like the previous window (the baseline if none),
    ``alpha`` like the current one: the output moves from one to the other in steps."""
    current = load(req.target) if req.target else None
    previous = load(req.previous) if req.previous else None
    n_cur = round(req.n * req.alpha) if current is not None else 0
    parts = []
    if req.n - n_cur > 0:
        lean = 1.0 if previous is not None else 0.0
        parts.append(
            synth.sample_columns(req.n - n_cur, alpha=lean, target=previous, seed=req.seed)
        )
    if n_cur > 0:
        parts.append(synth.sample_columns(n_cur, alpha=1.0, target=current, seed=req.seed + 1))
    records = [r for part in parts for r in part.records()]
    order = np.random.default_rng(req.seed).permutation(len(records))
    rejected = sum(sum(part.report.rejected.values()) for part in parts)
    return [records[int(i)] for i in order], rejected


class SynthClient:
    def __init__(self, settings: Settings, options: WorkerOptions) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve, args=(child, settings, options), name="driftmend-synth", daemon=True
        )
        self._proc.start()
        child.close()
        self._next = 0
        # one request in flight: the child is idle whenever we write, so a write never
        # waits on a child that is itself waiting for us to read its (large) answer
        self._queue: deque[Request] = deque()
        self._in_flight = False
        self._warming: int | None = None

    def warm(self, baseline_version: int) -> None:
        """Load torch and ``baseline_version``'s model in the child now (it takes seconds),
        so the first window that needs synthetic records is not released without them."""
        self._warming = self.request(baseline_version, 0, 0.0, b"", b"", 0, None)

    @property
    def ready(self) -> bool:
        """The warm-up (if any) has been answered."""
        return self._warming is None

    def request(
        self,
        baseline_version: int,
        n: int,
        alpha: float,
        target: bytes,
        previous: bytes,
        seed: int,
        example: bytes | None,
    ) -> int:
        self._next += 1
        self._queue.append(
            Request(self._next, baseline_version, n, alpha, target, previous, seed, example)
        )
        self._send_next()
        return self._next

    def _send_next(self) -> None:
        if self._in_flight or not self._queue:
            return
        try:
            self._conn.send(self._queue.popleft())
        except (OSError, BrokenPipeError) as exc:
            raise DriftmendError("the synthesis process died") from exc
        self._in_flight = True

    def cancel(self, request_id: int) -> None:
        """Drop a request not sent yet (its window went out without it): a backlog of
        stale requests would make every later window wait for them too."""
        self._queue = deque(r for r in self._queue if r.request_id != request_id)

    def results(self) -> list[Result]:
        """The answers ready now (never waits)."""
        out: list[Result] = []
        try:
            while self._in_flight and self._conn.poll():
                result: Result = self._conn.recv()
                self._in_flight = False
                self._send_next()
                if result.request_id == self._warming:
                    self._warming = None
                    if result.error:
                        log.warning("synthesis warm-up: %s", result.error)
                    continue
                out.append(result)
        except (EOFError, OSError) as exc:
            raise DriftmendError("the synthesis process died") from exc
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._conn.send(None)
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
