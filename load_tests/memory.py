"""Peak memory of a worker (every process of it: ingest, profiler, analysis, synthesis,
retraining) on wide records and under a load spike.

    python -m load_tests.memory [--records 300000] [--wide-records 20000]
        [--runs steady,spike,wide] [--windows 10000[,100000...]]

Runs, each on a topic of its own, once per window length (records; 10,000 by default):
- steady: records at 10,000/s;
- spike: the same number of records already waiting in the topic, consumed as fast as the
  worker goes (about 10x the steady rate here);
- wide: records of 1,000 fields (600 floats, 200 ints, 200 categories).
Prints records/s and each process's peak resident memory (``VmHWM``), and their sum.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import redis

from app.baseline import build_baseline
from app.repository import BaselineRepository
from load_tests.data import mixed_records
from load_tests.faults.run import Feed
from tests.integration.harness import Scratch, WorkerProcess, create_topic, redis_url


def wide_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    floats = rng.normal(0, 1, (n, 600))
    ints = rng.integers(0, 1000, (n, 200))
    cats = rng.integers(0, 8, (n, 200))
    return [
        {
            **{f"f{j}": float(floats[i, j]) for j in range(600)},
            **{f"i{j}": int(ints[i, j]) for j in range(200)},
            **{f"c{j}": f"k{cats[i, j]}" for j in range(200)},
        }
        for i in range(n)
    ]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # the process is gone
        return out
    for task in tasks:
        try:
            text = (task / "children").read_text().split()
        except OSError:  # a thread that ended meanwhile
            continue
        for child in map(int, text):
            out += [child, *_children(child)]
    return out


def peak_rss(pid: int) -> dict[str, float]:
    """Peak resident MiB of ``pid`` and its descendants, by process name."""
    out: dict[str, float] = {}
    for p in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        kb = next(int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmHWM:")
        name = "worker" if "app.cli.main" in cmd else _child_name(p)
        out[name] = out.get(name, 0.0) + kb / 1024
    return out


def _child_name(pid: int) -> str:
    comm = Path(f"/proc/{pid}/comm").read_text().strip()
    return comm or f"pid {pid}"


def run(
    name: str, rows: list[dict[str, Any]], records: int, rate: float | None, window: int
) -> None:
    with Scratch() as names:  # deletes the topics at the end
        _run(name, rows, records, rate, window, names)


def _run(
    name: str,
    rows: list[dict[str, Any]],
    records: int,
    rate: float | None,
    window: int,
    names: Scratch,
) -> None:
    feed, topic = names.name(f"mem-{name}"), names.name(f"mem-{name}-in")
    BaselineRepository(redis.Redis.from_url(redis_url())).save(
        build_baseline(feed, rows[:5_000], "memory")
    )
    create_topic(topic, 6)
    values = [orjson.dumps(r) for r in rows]
    source = Feed(topic, 6, records, rate or 1e9)
    env = {"DRIFTMEND_RETRAIN_ENABLED": "false", "DRIFTMEND_INJECT_ENABLED": "false"}
    with tempfile.TemporaryDirectory() as tmp:
        if rate is None:  # a backlog: everything waits in the topic before the worker starts
            source.start(values).join()
        worker = WorkerProcess(feed, topic, ["--window-records", str(window)], env=env)
        worker.start(Path(tmp))
        try:
            if rate is not None:
                source.start(values)
            started = time.perf_counter()
            while worker.metrics().get("driftmend_records_in_total", 0.0) < records:
                time.sleep(0.5)
            seconds = time.perf_counter() - started
            assert worker.proc is not None
            peaks = peak_rss(worker.proc.pid)
        finally:
            worker.stop()
    fields = len(rows[0])
    parts = ", ".join(f"{k} {v:,.0f}" for k, v in sorted(peaks.items()))
    print(
        f"{name:>7}: {records:,} records of {fields} fields, windows of {window:,}, "
        f"{records / seconds:,.0f} records/s; "
        f"peak RSS MiB: {parts}; total {sum(peaks.values()):,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--wide-records", type=int, default=20_000)
    parser.add_argument("--runs", default="steady,spike,wide")
    parser.add_argument("--windows", default="10000", help="window lengths, comma-separated")
    args = parser.parse_args()
    runs = args.runs.split(",")
    rows = mixed_records(20_000, seed=5)
    for window in (int(w) for w in args.windows.split(",")):
        if "steady" in runs:
            run("steady", rows, args.records, 10_000, window)
        if "spike" in runs:
            run("spike", rows, args.records, None, window)
        if "wide" in runs:
            run("wide", wide_records(5_000), args.wide_records, None, window)  # rows cycled


if __name__ == "__main__":
    main()
