"""The analysis process: judges windows against the baseline it was handed once per
version."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest

from app.baseline import build_baseline
from app.errors import DriftmendError
from app.profile import ProfileBuilder
from app.profile.window import WindowProfile
from app.worker.analysis import AnalysisClient
from load_tests.data import mixed_records


@pytest.fixture(scope="module")
def client() -> Iterator[AnalysisClient]:
    analysis = AnalysisClient("orders")
    yield analysis
    analysis.close()


def _window(shift: float) -> WindowProfile:
    baseline = build_baseline("f", mixed_records(5_000, seed=1), "test")
    builder = ProfileBuilder(baseline.schema, baseline.edges)
    records = mixed_records(5_000, seed=2)
    for r in records:
        r["f0"] += shift
    builder.add(records)
    return builder.snapshot("f", 1, 0, 0)


def _judge(client: AnalysisClient, *args: Any) -> Any:
    return asyncio.run(client.analyze(*args))


def test_the_baseline_is_handed_over_once_per_version(client: AnalysisClient) -> None:
    baseline = build_baseline("f", mixed_records(5_000, seed=1), "test")
    event, scores = _judge(client, baseline, baseline.serialize(), _window(0.0))
    assert event is None and scores
    # the same version again: the child keeps what it has, whatever bytes come with it
    event, _ = _judge(client, baseline, b"not sent", _window(5.0))
    assert event is not None and "f0" in str(event)
    newer = baseline.with_version(baseline.version + 1)
    with pytest.raises(DriftmendError, match="analysis failed"):
        _judge(client, newer, b"not a baseline", _window(0.0))
    event, _ = _judge(client, newer, newer.serialize(), _window(0.0))
    assert event is None


@pytest.mark.parametrize("nice", [0, 10])
def test_the_analysis_process_runs_at_the_niceness_asked(nice: int) -> None:
    analysis = AnalysisClient("orders", nice=nice)
    try:
        baseline = build_baseline("f", mixed_records(500, seed=1), "test")
        event, _ = _judge(analysis, baseline, baseline.serialize(), _window(0.0))  # it serves
        assert event is None
        child = os.getpriority(os.PRIO_PROCESS, analysis._proc.pid)
        assert child - os.getpriority(os.PRIO_PROCESS, 0) == nice
    finally:
        analysis.close()
