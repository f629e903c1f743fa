"""Generative engine benchmark: quality, privacy, training time and sampling speed.

    python -m load_tests.synth_bench [--budget 60] [--datasets flights,adult] [--sdv PYTHON]

For each dataset (real tables shipped in packages, read offline; see app.synth.datasets):
a seeded 80/20 split (holdout at most 10,000 rows), training within the budget, then
SDMetrics-style quality against the holdout, DCR and exact copies, and sampling speed
(columns, records, JSON lines). With ``--sdv PYTHON`` (a venv with sdv, see
scripts/bench-venv.sh) SDV's TVAE is trained on the same split and budget and scored by the
same code, and SDMetrics' own QualityReport scores both.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from rich.console import Console
from rich.table import Table

from app.schema.infer import infer_schema
from app.schema.model import Schema
from app.sources import records_from_frame
from app.synth import datasets
from app.synth.evaluate import split
from app.synth.model import torch_threads
from app.synth.privacy import exact_copies, privacy_report
from app.synth.quality import quality_report
from app.synth.synthesizer import Synthesizer
from app.synth.train import TrainConfig, train_synthesizer

ROWS = {"flights": 60_000, "adult": None}
SPEED_ROWS = 300_000
HERE = Path(__file__).resolve().parent


def best_rate(fn: Any, rows: int, repeats: int = 3) -> float:
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = max(best, rows / (time.perf_counter() - started))
    return best


def speed(synth: Synthesizer, threads: int) -> dict[str, float]:
    with torch_threads(threads):
        synth.sample_columns(10_000, seed=1)  # warm up
        columns = best_rate(lambda: synth.sample_columns(SPEED_ROWS, seed=2), SPEED_ROWS)
        sample = synth.sample_columns(SPEED_ROWS, seed=3)
        records = best_rate(sample.records, SPEED_ROWS)
        rows = sample.records()
        jsonl = best_rate(lambda: b"\n".join(map(orjson.dumps, rows)), SPEED_ROWS)
    return {"columns": columns, "records": records, "jsonl": jsonl}


def score(
    schema: Schema, train: list[Any], holdout: list[Any], synthetic: list[Any]
) -> dict[str, Any]:
    quality = quality_report(schema, holdout, synthetic)
    privacy = privacy_report(schema, train, holdout, synthetic[:2_000])
    privacy["exact_copies"] = exact_copies(schema, train, synthetic)
    return {"quality": quality, "privacy": privacy}


def run_sdv(
    python: str,
    schema: Schema,
    data: tuple[list[Any], list[Any], list[Any]],
    budget: float,
    seed: int,
) -> tuple[dict[str, Any], list[Any]]:
    train, holdout, ours = data
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = [f.name for f in schema.fields if f.kind == "text"]
        (folder / "text_fields.json").write_text(json.dumps(text))
        for name, rows in (("train", train), ("holdout", holdout), ("ours", ours)):
            pd.DataFrame(rows).to_parquet(folder / f"{name}.parquet")
        done = subprocess.run(
            [python, str(HERE / "sdv_tvae.py"), tmp, str(budget), str(seed)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"TVAE run failed: {done.stderr[-2000:]}")
        facts = json.loads(done.stdout.strip().splitlines()[-1])
        synthetic = records_from_frame(pd.read_parquet(folder / "tvae.parquet"))
    return facts, synthetic


def bench(name: str, budget: float, seed: int, threads: int, sdv: str | None) -> dict[str, Any]:
    rows = ROWS.get(name)
    records = datasets.DATASETS[name](rows, seed=seed)
    train, holdout = split(records, seed)
    schema = infer_schema(train)
    config = TrainConfig(budget_seconds=budget, epochs=10_000, threads=threads)
    started = time.perf_counter()
    synth = train_synthesizer(schema, train, config, seed, progress=True)
    ours = synth.sample(len(holdout), seed=seed + 1)
    result: dict[str, Any] = {
        "dataset": name,
        "rows": len(records),
        "fields": len(schema.fields),
        "train_seconds": round(time.perf_counter() - started, 1),
        "epochs": synth.info["epochs"],
        "ours": score(schema, train, holdout, ours),
        "real_holdout_vs_train": quality_report(schema, holdout, train[: len(holdout)])["score"],
        "speed_rows_per_s": speed(synth, threads),
    }
    console = Console(stderr=True)
    console.print(
        f"driftmend: {result['ours']['quality']['score']:.3f} quality, {result['speed_rows_per_s']}"
    )
    if sdv:
        console.print("SDV TVAE: fit, its epochs stopped at the budget ...")
        facts, tvae = run_sdv(sdv, schema, (train, holdout, ours), budget, seed)
        result["tvae"] = {**facts, **score(schema, train, holdout, tvae)}
    return result


def show(results: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="generative engine (quality on held-out rows)")
    for col in (
        "dataset",
        "model",
        "quality",
        "shapes",
        "pairs",
        "max Δnull",
        "DCR",
        "copies",
        "train s",
        "sample rows/s",
    ):
        table.add_column(col, justify="right")
    for r in results:
        models = [("driftmend", r["ours"], r["train_seconds"], r["speed_rows_per_s"]["columns"])]
        if "tvae" in r:
            t = r["tvae"]
            models.append(("SDV TVAE", t, round(t["fit_seconds"], 1), t["sample_rows_per_s"]))
        for label, m, secs, rate in models:
            q, p = m["quality"], m["privacy"]
            table.add_row(
                r["dataset"],
                label,
                f"{q['score']:.3f}",
                f"{q['column_shapes']:.3f}",
                f"{q['column_pair_trends']:.3f}",
                f"{q['max_null_rate_diff']:.3f}",
                f"{p['dcr_closer_to_training']:.1%}",
                str(p["exact_copies"]["all_fields"]),
                str(secs),
                f"{rate:,.0f}",
            )
    console.print(table)
    for r in results:
        s = r["speed_rows_per_s"]
        console.print(
            f"{r['dataset']}: {r['fields']} fields; sampling {s['columns']:,.0f} rows/s as "
            f"columns, {s['records']:,.0f} rows/s columns->records, {s['jsonl']:,.0f} rows/s "
            "records->JSON; "
            f"real holdout vs train scores {r['real_holdout_vs_train']:.3f}"
        )
        if "tvae" in r:
            sd = r["tvae"]["sdmetrics_quality"]
            console.print(
                f"  SDMetrics QualityReport: driftmend {sd['ours']:.3f}, TVAE {sd['tvae']:.3f} "
                f"(TVAE {r['tvae']['epochs']} epochs)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="training seconds per model")
    parser.add_argument("--datasets", default="flights,adult")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sdv", default=None, help="python of a venv with sdv installed")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    console = Console()
    results = []
    for name in args.datasets.split(","):
        console.print(f"[bold]{name}[/]: training with a {args.budget:.0f} s budget ...")
        results.append(bench(name, args.budget, args.seed, args.threads, args.sdv))
        show(results[-1:], console)  # as each dataset finishes: nothing lost to a stop
    show(results, console)
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
