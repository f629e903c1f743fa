"""Window analysis in a process of its own, so the detectors never hold the ingest loop's GIL.

The aggregator hands each merged window (serialized) to :class:`AnalysisClient`; the child
keeps an :class:`~app.analysis.Analyzer` for the current baseline version and answers with
the drift event (or None) and the per-field scores. With the output forwarded at once it
runs at a lower CPU priority (``nice``): on a busy machine the records keep flowing and the
verdicts trail a little. With the output held for each verdict it must not: held records
wait for it (seen: a window's analysis, ~15 ms of CPU, took 120-240 ms beside a busy
profiler on the same core; 20-60 ms at the normal priority).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from threadpoolctl import threadpool_limits

from app.analysis.analyzer import Analyzer
from app.baseline.model import Baseline
from app.errors import DriftmendError
from app.events.drift_event import event_from_report
from app.profile.window import WindowProfile

log = logging.getLogger(__name__)
Answer = tuple[dict[str, Any] | None, dict[str, float]]


def _serve(conn: Connection, input_topic: str, nice: int) -> None:
    os.nice(nice)
    threadpool_limits(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    current: Analyzer | None = None

    def analyzer_for(version: int, baseline: bytes | None) -> Analyzer:
        nonlocal current
        if current is None or current.baseline.version != version:
            if baseline is None:
                raise DriftmendError(f"baseline version {version} was not handed over")
            current = Analyzer(Baseline.deserialize(baseline))
        return current

    while True:
        try:
            version, baseline, window = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            conn.send(_answer(partial(analyzer_for, version, baseline), window, input_topic))
        except OSError:  # the parent is gone (e.g. killed) while this one worked
            return


def _answer(
    analyzer_of: Callable[[], Analyzer], window: bytes | None, input_topic: str
) -> tuple[str, Any]:
    """("ok", (event or None, field scores)); ("error", why) -- the child keeps serving.
    No window: a warm-up, the analyzer is built and nothing is judged."""
    try:
        analyzer = analyzer_of()
        if window is None:
            return ("ok", (None, {}))
        report = analyzer.analyze(WindowProfile.deserialize(window))
        event = event_from_report(report, input_topic) if report.drifted else None
        return ("ok", (event, report.field_scores))
    except Exception as exc:
        log.exception("analysis failed")
        return ("error", f"{type(exc).__name__}: {exc}")


class AnalysisClient:
    def __init__(self, input_topic: str, nice: int = 0) -> None:
        """``nice``: added to the analysis process's CPU niceness."""
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve, args=(child, input_topic, nice), name="driftmend-analysis", daemon=True
        )
        self._proc.start()
        child.close()
        self._lock = threading.Lock()
        self._handed_over: int | None = None  # the baseline version the child has

    def warm(self, baseline: Baseline, serialized: bytes) -> None:
        """Build the analyzer for ``baseline`` now, in the background, so the first window
        after a (re)start is not judged late: its detectors are calibrated while the
        worker starts."""
        threading.Thread(target=self._call, args=(baseline, serialized, None), daemon=True).start()

    def _call(self, baseline: Baseline, serialized: bytes, window: WindowProfile | None) -> Answer:
        """The baseline goes over only until the child has answered with it once."""
        with self._lock:
            known = baseline.version == self._handed_over
            try:
                self._conn.send(
                    (
                        baseline.version,
                        None if known else serialized,
                        None if window is None else window.serialize(),
                    )
                )
                kind, payload = self._conn.recv()
            except (EOFError, OSError) as exc:
                raise DriftmendError("the analysis process died") from exc
            self._handed_over = baseline.version if kind == "ok" else None
        if kind == "error":
            raise DriftmendError(f"analysis failed: {payload}")
        answer: Answer = payload
        return answer

    async def analyze(self, baseline: Baseline, serialized: bytes, window: WindowProfile) -> Answer:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._call, baseline, serialized, window)

    def close(self) -> None:
        self._conn.close()
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()
