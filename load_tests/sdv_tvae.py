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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from ctgan.synthesizers import tvae as ctgan_tvae
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
    # TVAE has no time budget: its epoch loop (ctgan's, driven by tqdm) is given one that
    # ends at the first epoch boundary past the budget, counted from the first epoch (its
    # data transformer's fit comes on top, free)
    epochs = [0]

    def budgeted(iterable: Iterable[int], **_: Any) -> Iterator[int]:
        started = time.perf_counter()
        for i in iterable:
            if i > 0 and time.perf_counter() - started >= budget:
                return
            epochs[0] = i + 1
            yield i

    ctgan_tvae.tqdm = budgeted
    model = TVAESynthesizer(metadata, epochs=100_000)
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
                "epochs": epochs[0],
                "fit_seconds": fit_seconds,
                "sample_rows_per_s": sample_rate,
                "sdmetrics_quality": scores,
            }
        )
    )


if __name__ == "__main__":
    main()
