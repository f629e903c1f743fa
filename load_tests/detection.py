"""Detection benchmark: false alarms on stationary streams and delay on drifting ones.

Runs the workers' code in-process (open windows with per-partition ADWIN, then the
analyzer) on generated windows of 5 mixed fields against a 100,000-record baseline:

    python -m load_tests.detection [--seeds 3] [--million-windows 10] [--evidently PYTHON]

Per scenario (10,000-record windows, change after 3 stationary windows, 8 windows watched,
``--seeds`` runs): detection delay in windows (1 = the first changed window) and records
(from the change to the end of the detecting window), misses (no alarm in the horizon) and
false alarms per 100 pre-change windows. Side by side on the same windows: river's ADWIN
alone (default delta 0.002, every value of the i.i.d. numeric fields x and amount) and
Evidently's default ``DataDriftPreset`` (dataset drift: at least half the columns drifted;
"any": at least one column), run by ``--evidently PYTHON``, a Python that has evidently
(which needs pandas < 3: a side venv, see ``make bench-detection``). Stationary false
alarms per 100 windows are measured at 500 to 1,000,000 records.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from river.drift import ADWIN

from app.analysis import Analyzer
from app.baseline import build_baseline
from app.baseline.model import Baseline
from app.codecs import FramedRecord
from app.detectors.adwin import AdwinMonitor
from app.profile import ProfileBuilder
from app.profile.window import WindowProfile
from app.settings import Settings
from app.worker.batch import Batch
from app.worker.open_windows import OpenWindows
from tests.conftest import make_records

Rows = list[dict[str, Any]]
Drift = Callable[[Rows, int, np.random.Generator], Rows]  # (rows, k = windows since change)
ADWIN_FIELDS = ("x", "amount")  # not "score": its in-window order is a sawtooth (i % 97)
EVIDENTLY_COLUMNS = ("x", "amount", "category", "score")  # not the ID
PRE, HORIZON = 3, 8
WRITER = '{"type": "record", "name": "Row", "fields": [%s]}'
FIELDS = '{"name": "x", "type": "double"}'
SCHEMA_1, SCHEMA_2 = WRITER % FIELDS, WRITER % (FIELDS + ', {"name": "y", "type": "long"}')


# -- drifts --------------------------------------------------------------------------------
def ramp(rows: Rows, k: int, over: int) -> np.ndarray:
    """Each record's progress through a change spread over ``over`` windows (0 .. 1)."""
    n = len(rows)
    return np.minimum((k * n + np.arange(n)) / (over * n), 1.0)


def sudden(shift: float) -> Drift:
    def drift(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
        for r in rows:
            r["x"] += shift
        return rows

    return drift


def gradual(shift: float, over: int = 4) -> Drift:
    """Records switch to the new concept with a probability rising from 0 to 1."""

    def drift(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
        new = rng.random(len(rows)) < ramp(rows, k, over)
        for r, moved in zip(rows, new, strict=True):
            if moved:
                r["x"] += shift
        return rows

    return drift


def incremental(shift: float, over: int = 4) -> Drift:
    """The mean slides from the old to the new value, record by record."""

    def drift(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
        for r, p in zip(rows, ramp(rows, k, over), strict=True):
            r["x"] += float(shift * p)  # a Python float, as decoded
        return rows

    return drift


def recurring(shift: float, period: int = 2) -> Drift:
    """The new concept for ``period`` windows, then the old one, and so on."""

    def drift(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
        return sudden(shift)(rows, k, rng) if (k // period) % 2 == 0 else rows

    return drift


def variance(factor: float) -> Drift:
    def drift(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
        scale = factor**0.5
        for r in rows:
            r["x"] *= scale
        return rows

    return drift


def categorical(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
    for r in rows:
        if r["category"] == "a" and rng.random() < 0.1:
            r["category"] = "d"
    return rows


def null_spike(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
    for r in rows:
        if rng.random() < 0.05:
            r["amount"] = None
    return rows


def duplicate_ids(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
    for i in range(1, len(rows), 2):
        rows[i]["id"] = rows[i - 1]["id"]
    return rows


def new_field(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
    for r in rows:
        r["channel"] = "web"
    return rows


def type_change(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
    for r in rows:
        r["score"] = None if r["score"] is None else str(r["score"])
    return rows


def schema_id(rows: Rows, k: int, rng: np.random.Generator) -> Rows:
    return [FramedRecord(r, 2, SCHEMA_2) for r in rows]


def framed(rows: Rows) -> Rows:
    return [FramedRecord(r, 1, SCHEMA_1) for r in rows]


@dataclass(frozen=True)
class Scenario:
    name: str
    drift: Drift
    evidently: bool = True  # distributional: Evidently's preset can see it
    drifted: Callable[[int], bool] = lambda k: k >= 0  # which windows carry the change


SCENARIOS = [
    *[Scenario(f"sudden mean +{s} sd", sudden(s)) for s in (0.05, 0.1, 0.25, 0.5, 1.0)],
    *[Scenario(f"gradual mean +{s} sd (4 windows)", gradual(s)) for s in (0.1, 0.5)],
    *[Scenario(f"incremental mean +{s} sd (4 windows)", incremental(s)) for s in (0.1, 0.5)],
    *[
        Scenario(f"recurring mean +{s} sd (2 on, 2 off)", recurring(s), True, lambda k: k % 4 < 2)
        for s in (0.1, 0.5)
    ],
    *[Scenario(f"variance x{f}", variance(f)) for f in (1.1, 1.5, 0.8)],
    Scenario("categorical: 10% of 'a' -> 'd'", categorical),
    Scenario("null spike 5% (amount)", null_spike),
    Scenario("IDs duplicated (distinct count /2)", duplicate_ids, False),
    Scenario("new field", new_field, False),
    Scenario("type change int -> string", type_change, False),
    Scenario("new schema id (FULL)", schema_id, False),
]


# -- the three detectors -----------------------------------------------------------------
class Driftmend:
    """The worker's path: open windows (ADWIN per partition), then the analyzer."""

    def __init__(self, baseline: Baseline) -> None:
        settings = Settings()
        self.baseline = baseline
        self.analyzer = Analyzer(baseline)
        self.windows = OpenWindows(
            "bench",
            lambda: ProfileBuilder(baseline.schema, baseline.edges),
            lambda: AdwinMonitor(settings.adwin_delta, settings.adwin_chunk),
            lambda name: name in ("x", "amount", "score"),
        )
        self.offset = 0
        self.window_id = 0

    def profile(self, rows: Rows) -> WindowProfile:
        offsets = list(range(self.offset, self.offset + len(rows)))
        batch = Batch(self.window_id, rows, [0] * len(rows), offsets)
        batch.partitions.add(0)
        self.windows.add(batch)
        self.offset += len(rows)
        self.window_id += 1
        ((profile, _),) = self.windows.drain()
        return profile

    def alarm(self, rows: Rows) -> bool:
        return self.analyzer.analyze(self.profile(rows)).drifted


class RiverAdwin:
    """river's ADWIN at its defaults on every value of each i.i.d. numeric field."""

    def __init__(self) -> None:
        self.adwins = {name: ADWIN() for name in ADWIN_FIELDS}  # type: ignore[no-untyped-call]

    def alarm(self, rows: Rows) -> bool:
        hit = False
        for name, adwin in self.adwins.items():
            for r in rows:
                v = r.get(name)
                if type(v) in (int, float):
                    adwin.update(v)  # type: ignore[no-untyped-call]
                    hit = hit or adwin.drift_detected
        return hit


EVIDENTLY_SERVER = """
import json, sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_parquet(sys.argv[1])
for line in sys.stdin:
    cur = pd.read_parquet(line.strip())
    try:
        value = Report([DataDriftPreset()]).run(cur, ref).dict()["metrics"][0]["value"]
        out = {"share": float(value["share"]), "count": float(value["count"])}
    except Exception as exc:
        out = {"error": repr(exc)[:200]}
    print(json.dumps(out), flush=True)
"""


class Evidently:
    """Evidently's default data-drift preset, in a Python of its own (one process)."""

    def __init__(self, python: str, reference: Rows, folder: Path) -> None:
        self.folder = folder
        ref = folder / "reference.parquet"
        pq.write_table(table(reference), ref)
        self.proc = subprocess.Popen(
            [python, "-c", EVIDENTLY_SERVER, str(ref)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.errors = 0

    def verdict(self, rows: Rows) -> tuple[bool, bool]:
        """(dataset drift, any column drifted)."""
        path = self.folder / "window.parquet"
        pq.write_table(table(rows), path)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        if "error" in out:
            self.errors += 1
            return False, False
        return out["share"] >= 0.5, out["count"] >= 1

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def table(rows: Rows) -> pa.Table:
    return pa.table(
        {
            "x": [r.get("x") for r in rows],
            "amount": [r.get("amount") for r in rows],
            "category": [r.get("category") for r in rows],
            "score": [r.get("score") for r in rows],
        }
    )


# -- runs ----------------------------------------------------------------------------------
@dataclass
class Tally:
    delays: list[int]
    misses: int = 0
    false_alarms: int = 0
    quiet_windows: int = 0
    recurrences_hit: int = 0
    recurrences: int = 0

    def add(self, alarms: list[bool], scenario: Scenario) -> None:
        before, after = alarms[:PRE], alarms[PRE:]
        self.false_alarms += sum(before)
        self.quiet_windows += len(before)
        hits = [k for k, a in enumerate(after) if a and scenario.drifted(k)]
        if hits:
            self.delays.append(hits[0] + 1)
        else:
            self.misses += 1
        changed = [k for k in range(HORIZON) if scenario.drifted(k)]
        self.recurrences += len(changed)
        self.recurrences_hit += sum(after[k] for k in changed)

    def line(self, size: int) -> str:
        if self.delays:
            mean = float(np.mean(self.delays))
            delay = f"{mean:4.1f} w / {mean * size:>7,.0f} rec"
        else:
            delay = "   never          "
        fa = 100.0 * self.false_alarms / max(self.quiet_windows, 1)
        return f"{delay}  miss {self.misses}  FA/100 {fa:4.1f}"


def scenario_run(
    baseline: Baseline,
    scenario: Scenario,
    seed: int,
    size: int,
    evidently: Evidently | None,
) -> tuple[list[bool], list[bool], list[bool], list[bool]]:
    rng = np.random.default_rng(1_000 + seed)
    ours, adwin = Driftmend(baseline), RiverAdwin()
    a_ours, a_adwin, a_ev, a_ev_any = [], [], [], []
    for w in range(PRE + HORIZON):
        rows = make_records(rng, size)
        k = w - PRE
        if scenario.name.startswith("new schema id"):
            rows = framed(rows)
        if k >= 0:
            rows = scenario.drift(rows, k, rng)
        a_ours.append(ours.alarm(rows))
        if scenario.evidently:
            a_adwin.append(adwin.alarm(rows))
        if evidently is not None and scenario.evidently:
            dataset, any_column = evidently.verdict(rows)
            a_ev.append(dataset)
            a_ev_any.append(any_column)
    return a_ours, a_adwin, a_ev, a_ev_any


def stationary(
    baseline: Baseline, size: int, windows: int, evidently: Evidently | None
) -> tuple[float, float, float | None, float | None]:
    rng = np.random.default_rng(size)
    ours, adwin = Driftmend(baseline), RiverAdwin()
    counts = np.zeros(4)
    for _ in range(windows):
        rows = make_records(rng, size)
        counts[0] += ours.alarm(rows)
        counts[1] += adwin.alarm(rows)
        if evidently is not None:
            dataset, any_column = evidently.verdict(rows)
            counts[2] += dataset
            counts[3] += any_column
    rates = 100.0 * counts / windows
    if evidently is None:
        return rates[0], rates[1], None, None
    return rates[0], rates[1], rates[2], rates[3]


def fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:5.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--windows", type=int, default=100, help="stationary, up to 10k")
    parser.add_argument("--million-windows", type=int, default=10)
    parser.add_argument("--baseline", type=int, default=100_000)
    parser.add_argument("--evidently", help="a Python with evidently installed")
    parser.add_argument("--only", choices=["stationary", "scenarios"])
    parser.add_argument("--match", default="", help="only scenarios whose name has this")
    args = parser.parse_args()
    started = time.perf_counter()
    baseline_rows = framed(make_records(np.random.default_rng(1), args.baseline))
    baseline = build_baseline("bench", baseline_rows, "generated")
    print(f"baseline: {args.baseline} records, {len(baseline.schema.fields)} fields, schema id 1")
    with tempfile.TemporaryDirectory() as tmp:
        evidently = (
            None if not args.evidently else Evidently(args.evidently, baseline_rows, Path(tmp))
        )
        if args.only != "scenarios":
            print("\nstationary: false alarms per 100 windows   driftmend  ADWIN  Evidently (any)")
            sizes = [(500, args.windows), (2_000, args.windows), (10_000, args.windows)]
            sizes += [(100_000, 20), (1_000_000, args.million_windows)]
            for size, count in sizes:
                if count <= 0:
                    continue
                ev = evidently if size <= 100_000 else None  # 1M-row frames: hours, memory
                ours, adwin, ev_set, ev_any = stationary(baseline, size, count, ev)
                print(
                    f"  window {size:>9,} ({count:>3} windows)      {ours:5.1f}  {adwin:5.1f}"
                    f"  {fmt(ev_set)} ({fmt(ev_any).strip()})",
                    flush=True,
                )
        if args.only != "stationary":
            size = 10_000
            print(
                f"\ndrift at {size:,}-record windows after {PRE} stationary windows, "
                f"{HORIZON} watched, {args.seeds} runs: delay (windows / records), misses, "
                "false alarms per 100 pre-change windows"
            )
            for scenario in [s for s in SCENARIOS if args.match in s.name]:
                tallies = [Tally([]) for _ in range(4)]
                for seed in range(args.seeds):
                    runs = scenario_run(baseline, scenario, seed, size, evidently)
                    for tally, alarms in zip(tallies, runs, strict=True):
                        if alarms:
                            tally.add(alarms, scenario)
                print(f"  {scenario.name}", flush=True)
                names = ["driftmend", "river ADWIN", "Evidently", "Evidently any"]
                for name, tally in zip(names, tallies, strict=True):
                    if not tally.quiet_windows:
                        continue
                    extra = ""
                    if scenario.name.startswith("recurring"):
                        extra = f"  changed windows flagged {tally.recurrences_hit}/"
                        extra += f"{tally.recurrences}"
                    print(f"      {name:<14} {tally.line(size)}{extra}", flush=True)
        if evidently is not None:
            if evidently.errors:
                print(f"\nEvidently failed on {evidently.errors} windows (counted as no alarm)")
            evidently.close()
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
