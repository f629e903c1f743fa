"""SDV's TVAE on the same data and time budget; run by synth_bench in the bench venv.

Usage: python sdv_tvae.py DIR BUDGET_SECONDS SEED. Reads DIR/train.parquet, DIR/holdout.parquet,
DIR/ours.parquet and DIR/text_fields.json (fields both models generate as IDs, not model);
writes DIR/tvae.parquet and prints one JSON line of facts (fit and
sample timings, SDMetrics' own quality scores for both synthetic tables).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sdmetrics.reports import QualityReport
from sdv.metadata import Metadata
from sdv.single_table import TVAESynthesizer


def main() -> None:
    folder, budget, seed = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    train = pd.read_parquet(folder / "train.parquet")
    holdout = pd.read_parquet(folder / "holdout.parquet")
    ours = pd.read_parquet(folder / "ours.parquet")
    np.random.seed(seed)  # SDV draws from the global generators only
    torch.manual_seed(seed)
    metadata = Metadata.detect_from_dataframes({"table": train}, infer_keys=None)
    for name in json.loads((folder / "text_fields.json").read_text()):
        metadata.update_column(column_name=name, table_name="table", sdtype="id")
    # TVAE has no time budget: time one and three epochs, then fit as many as fit the budget
    timings = []
    for probe_epochs in (1, 3):
        started = time.perf_counter()
        TVAESynthesizer(metadata, epochs=probe_epochs).fit({"table": train})
        timings.append(time.perf_counter() - started)
    per_epoch = max((timings[1] - timings[0]) / 2, 1e-3)
    overhead = max(timings[0] - per_epoch, 0.0)
    epochs = max(1, int((budget - overhead) / per_epoch))
    model = TVAESynthesizer(metadata, epochs=epochs)
    started = time.perf_counter()
    model.fit({"table": train})
    fit_seconds = time.perf_counter() - started
    model.sample(1_000)
    started = time.perf_counter()
    big = model.sample(100_000)["table"]
    sample_rate = len(big) / (time.perf_counter() - started)
    synthetic = model.sample(len(holdout))["table"]
    synthetic.to_parquet(folder / "tvae.parquet")
    scores = {}
    for name, frame in (("tvae", synthetic), ("ours", ours)):
        report = QualityReport()
        report.generate(
            {"table": holdout}, {"table": frame[holdout.columns]}, metadata.to_dict(), verbose=False
        )
        scores[name] = report.get_score()
    print(
        json.dumps(
            {
                "epochs": epochs,
                "fit_seconds": fit_seconds,
                "sample_rows_per_s": sample_rate,
                "sdmetrics_quality": scores,
            }
        )
    )


if __name__ == "__main__":
    main()
