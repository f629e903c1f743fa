"""Back-pressure across a rebalance: a worker with partitions paused (its held output at the
bound) when a second worker joins gives them up, gets some back and reads them again; every
record comes out once. The client keeps a pause across a rebalance: before revoked
partitions were resumed, the ones given back to the same worker were never read again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import redis

from app.baseline import build_baseline
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
WINDOW = 6_000  # 1,000 offsets per partition
PER_PARTITION = 2_000
GRACE = 20.0  # window 0 waits this long for the empty partition: the first worker stays paused


def test_partitions_paused_at_a_rebalance_are_read_again(tmp_path: Path) -> None:
    rows = make_records(np.random.default_rng(5), 2 * PARTITIONS * PER_PARTITION)
    feed, topic = unique("it-bp"), unique("it-bp-in")
    BaselineRepository(redis.Redis.from_url(redis_url())).save(build_baseline(feed, rows, "bp"))
    create_topic(topic, PARTITIONS)
    keys = iter(range(len(rows)))

    def records(partitions: range) -> Iterator[tuple[bytes, bytes, None, int]]:
        for p in partitions:
            for _ in range(PER_PARTITION):
                i = next(keys)
                yield str(i).encode(), orjson.dumps(rows[i]), None, p

    # partitions 0-4 only: window 0 cannot close (partition 5 never reaches its end), so
    # with a bound of one held record the partitions past it stay paused
    sent = produce(topic, records(range(PARTITIONS - 1)))
    env = {
        "DRIFTMEND_HOLD_MAX_RECORDS": "1",
        "DRIFTMEND_WINDOW_GRACE_SECONDS": str(GRACE),
        "DRIFTMEND_HOLD_SECONDS": "120",
        "DRIFTMEND_INJECT_ENABLED": "false",
        "DRIFTMEND_RETRAIN_ENABLED": "false",
    }
    args = ["--window-records", str(WINDOW)]
    first = WorkerProcess(feed, topic, args, env=env).start(tmp_path)
    second = WorkerProcess(feed, topic, args, env=env)
    workers = (first, second)
    try:
        paused = first.wait_for("driftmend_paused_partitions", PARTITIONS - 1)
        assert paused["driftmend_records_in_total"] == sent
        second.start(tmp_path)  # joins while the first has five partitions paused
        deadline = time.monotonic() + 90
        while not all(w.metrics().get("driftmend_assigned_partitions", 0) for w in workers):
            assert time.monotonic() < deadline, (
                "the partitions were never shared out: "
                + "\n".join(f"--- worker {i}:\n{w.log()}" for i, w in enumerate(workers))
            )
            time.sleep(0.5)
        sent += produce(topic, records(range(PARTITIONS - 1, PARTITIONS)))
        sent += produce(topic, records(range(PARTITIONS)))
        out = read_all(f"{topic}.healed", expected=sent, timeout=120, idle=120)
        read = [w.metrics().get("driftmend_records_in_total") for w in workers]
    finally:
        for w in workers:
            if w.proc is not None:
                w.stop()
    got = [m.key() for m in out]
    assert len(set(got)) == sent, f"{len(set(got))} of {sent} records out; read {read}"
    assert len(got) == sent  # none twice (exactly-once output)
