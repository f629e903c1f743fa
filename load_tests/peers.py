"""Peers on the same records: how fast each one watches a feed, in one process, one core.

    python -m load_tests.peers [--windows 20] [--window 10000] [--peers PYTHON]

The same windows of 20 mixed fields (``load_tests.data``: 8 floats, 4 ints, 4 categories,
2 booleans, a timestamp, an ID) against a 50,000-record baseline, timed per window:

- driftmend: the worker's per-window work in-process (profile builder on the decoded
  records, snapshot, the analyzer's comparison with the baseline), and the same with JSON
  decoding (orjson) of the records' bytes in front;
- river ADWIN alone (default delta), every value of the 12 numeric fields;
- whylogs profiling (``why.log`` of the window's DataFrame) and Evidently's default
  ``DataDriftPreset`` against the baseline DataFrame, in ``--peers PYTHON`` (a Python with
  whylogs, evidently and pandas < 3: ``make bench-peers`` builds one in .state/peers-venv);
  the DataFrames are built before the clock starts.

Prints records/s per tool and driftmend's ratio to each.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from river.drift import ADWIN

from app.analysis import Analyzer
from app.baseline import build_baseline
from app.profile import ProfileBuilder
from load_tests.data import mixed_records

Rows = list[dict[str, Any]]

PEERS_SERVER = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import logging
logging.disable(logging.WARNING)
import pandas as pd
import whylogs as why
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_parquet(sys.argv[1])
why.log(ref.head(100))  # warm-up: imports and first-call costs off the clock
Report([DataDriftPreset()]).run(ref.head(200), ref.head(200))
for line in sys.stdin:
    cur = pd.read_parquet(line.strip())
    t = time.perf_counter()
    why.log(cur).view()
    t_why = time.perf_counter() - t
    t = time.perf_counter()
    Report([DataDriftPreset()]).run(cur, ref)
    t_ev = time.perf_counter() - t
    print(json.dumps({"whylogs": t_why, "evidently": t_ev}), flush=True)
"""


def _table(rows: Rows) -> pa.Table:
    names = list(rows[0])
    return pa.table({n: [r.get(n) for r in rows] for n in names})


def _numeric(rows: Rows) -> dict[str, np.ndarray]:
    names = [n for n, v in rows[0].items() if type(v) in (int, float)]
    return {n: np.asarray([r[n] for r in rows], dtype=np.float64) for n in names}


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--window", type=int, default=10_000)
    parser.add_argument("--peers", help="a Python with whylogs and evidently")
    args = parser.parse_args()
    reference = mixed_records(50_000, seed=1)
    baseline = build_baseline("peers", reference, "bench")
    analyzer = Analyzer(baseline)
    windows = [
        mixed_records(args.window, seed=100 + k, shift=0.3 * (k >= args.windows // 2))
        for k in range(args.windows)
    ]
    payloads = [[orjson.dumps(r) for r in w] for w in windows]
    seconds: dict[str, float] = {
        "driftmend (profile + analyze)": 0.0,
        "driftmend (JSON decode + profile + analyze)": 0.0,
        "river ADWIN alone (12 numeric fields)": 0.0,
    }

    def watch(rows: Rows) -> None:
        builder = ProfileBuilder(baseline.schema, baseline.edges)
        builder.add(rows)
        analyzer.analyze(builder.snapshot("peers", 0, 0, 0))

    def decode_and_watch(raw: list[bytes]) -> None:
        watch([orjson.loads(b) for b in raw])

    adwins: dict[str, ADWIN] = {}

    def adwin(rows: Rows) -> None:
        for name, values in _numeric(rows).items():
            detector = adwins.setdefault(name, ADWIN())  # type: ignore[no-untyped-call]
            for v in values.tolist():
                detector.update(v)  # type: ignore[no-untyped-call]

    watch(windows[0])  # warm-up
    for rows, raw in zip(windows, payloads, strict=True):
        seconds["driftmend (profile + analyze)"] += timed(partial(watch, rows))
        seconds["driftmend (JSON decode + profile + analyze)"] += timed(
            partial(decode_and_watch, raw)
        )
        seconds["river ADWIN alone (12 numeric fields)"] += timed(partial(adwin, rows))
    if args.peers:
        seconds.update(_peers(args.peers, reference, windows))
    records = args.windows * args.window
    ours = records / seconds["driftmend (profile + analyze)"]
    print(
        f"{args.windows} windows of {args.window:,} records, 20 fields, one core "
        f"(records/s; driftmend profile + analyze = {ours:,.0f})"
    )
    print(f"{'tool':<46} {'records/s':>12} {'driftmend is':>12}")
    for name, s in seconds.items():
        rate = records / s
        print(f"{name:<46} {rate:>12,.0f} {ours / rate:>11.2f}x")


def _peers(python: str, reference: Rows, windows: list[Rows]) -> dict[str, float]:
    out = {"whylogs profiling (why.log)": 0.0, "Evidently DataDriftPreset": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp) / "reference.parquet"
        pq.write_table(_table(reference), ref)
        proc = subprocess.Popen(
            [python, "-c", PEERS_SERVER, str(ref)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        for k, rows in enumerate(windows):
            path = Path(tmp) / f"w{k}.parquet"
            pq.write_table(_table(rows), path)
            proc.stdin.write(f"{path}\n")
            proc.stdin.flush()
            got = json.loads(proc.stdout.readline())
            out["whylogs profiling (why.log)"] += got["whylogs"]
            out["Evidently DataDriftPreset"] += got["evidently"]
        proc.stdin.close()
        proc.wait(60)
    return out


if __name__ == "__main__":
    main()
