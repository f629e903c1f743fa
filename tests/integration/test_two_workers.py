"""Two workers on a six-partition feed decide like one worker on the same data."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import orjson
import pytest
import redis

from app.baseline import Baseline, build_baseline
from app.events import decode_event
from app.repository import BaselineRepository
from tests.conftest import make_records
from tests.integration.harness import (
    WorkerProcess,
    create_topic,
    produce,
    read_all,
    redis_url,
    unique,
)

PARTITIONS = 6
WINDOW = 6_000
WINDOWS = 6
SHIFT_FROM = 3 * WINDOW
GRACE = "DRIFTMEND_WINDOW_GRACE_SECONDS"


class Run(NamedTuple):
    events: list[dict[str, Any]]
    judged: list[float]  # windows each worker judged


def _run(rows: list[dict[str, Any]], workers: int, baseline: Baseline, tmp: Path) -> Run:
    topic = unique(f"it-6p-{workers}w")
    create_topic(topic, PARTITIONS)
    feed = unique(f"it-{workers}w")  # the same baseline, stored for this feed
    BaselineRepository(redis.Redis.from_url(redis_url())).save(replace(baseline, feed=feed))
    # the grace period is no part of what is compared: long enough for a worker that has
    # just started (its processes warming up on a busy machine) to send its first partials;
    # no retraining, so every window is judged against the same baseline
    procs = [
        WorkerProcess(
            feed,
            topic,
            ["--window-records", str(WINDOW)],
            env={
                GRACE: "15",
                "DRIFTMEND_RETRAIN_ENABLED": "false",
                # its own, made from topics/ (a broker's shared one may predate the spread)
                "DRIFTMEND_WINDOW_PROFILES_TOPIC": f"{feed}-profiles",
            },
        ).start(tmp)
        for _ in range(workers)
    ]
    try:
        deadline = time.monotonic() + 90
        while True:  # every partition owned before the feed has records (no rebalance),
            # those of the input and those of the window-profiles topic (the judging)
            owned = [p.metrics().get("driftmend_assigned_partitions", 0) for p in procs]
            judging = [p.metrics().get("driftmend_judging_partitions", 0) for p in procs]
            if sum(owned) == PARTITIONS and all(owned) and sum(judging) == 12 and all(judging):
                break
            assert time.monotonic() < deadline, f"partitions never assigned: {owned} {judging}"
            time.sleep(0.5)
        # record i lands on partition i % 6 at offset i // 6: window k is rows [k*W, (k+1)*W)
        produce(topic, ((None, orjson.dumps(r), None, i % PARTITIONS) for i, r in enumerate(rows)))
        judged = [0.0]
        deadline = time.monotonic() + 120
        while sum(judged) < WINDOWS:
            judged = [p.metrics().get("driftmend_windows_closed_total", 0) for p in procs]
            assert time.monotonic() < deadline, "windows were not judged"
            time.sleep(0.5)
        time.sleep(2)
        events = sorted(
            (
                e
                for e in map(
                    decode_event, (m.value() for m in read_all("driftmend.drift-events", idle=3.0))
                )
                if e["feed"] == feed
            ),
            key=lambda e: e["window_id"],
        )
        return Run(events, [p.metrics().get("driftmend_windows_closed_total", 0) for p in procs])
    finally:
        for proc in procs:
            proc.stop()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    rng = np.random.default_rng(22)
    rows = make_records(rng, SHIFT_FROM) + make_records(
        rng, WINDOW * WINDOWS - SHIFT_FROM, shift=0.5
    )
    baseline = build_baseline("shared", make_records(np.random.default_rng(21), 30_000), "test")
    one = _run(rows, 1, baseline, tmp_path_factory.mktemp("one"))
    two = _run(rows, 2, baseline, tmp_path_factory.mktemp("two"))
    return one, two


def _decision(event: dict[str, Any]) -> tuple[Any, ...]:
    changed = sorted((c["field"], c["characteristic"]) for c in event["changed_characteristics"])
    return event["window_id"], event["window_records"], event["severity"], changed


def test_same_windows_severities_and_characteristics(runs: tuple[Run, Run]) -> None:
    one, two = (run.events for run in runs)
    assert [e["window_id"] for e in one] == list(range(SHIFT_FROM // WINDOW, WINDOWS))
    assert [_decision(e) for e in one] == [_decision(e) for e in two]


def test_same_values_up_to_sketch_error(runs: tuple[Run, Run]) -> None:
    one, two = (run.events for run in runs)
    for a, b in zip(one, two, strict=True):
        theirs = {(c["field"], c["characteristic"]): c for c in b["changed_characteristics"]}
        for x in a["changed_characteristics"]:
            y = theirs[(x["field"], x["characteristic"])]
            if x["statistic"] in ("psi", "js", "unseen_share", "record_share"):
                assert x["value"] == pytest.approx(y["value"], rel=1e-9)  # exact merges
            else:  # KLL merges depend on order: within two sketches' rank error
                assert x["value"] == pytest.approx(y["value"], rel=0.1, abs=0.03)


def test_the_two_workers_share_the_judging(runs: tuple[Run, Run]) -> None:
    """Windows spread over the window-profiles topic's partitions, so over both workers."""
    one, two = runs
    assert one.judged == [WINDOWS]
    assert sum(two.judged) == WINDOWS and all(n > 0 for n in two.judged), two.judged
