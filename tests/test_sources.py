"""Baseline sample files: CSV, JSON Lines and Parquet read to the same records."""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import pytest

from app.errors import DataSourceError
from app.sources import read_file

FRAME = pd.DataFrame(
    {
        "n": [1, 2, 3],
        "x": [0.5, None, 2.5],
        "s": ["a", "b", None],
        "t": pd.to_datetime(["2013-01-01 05:00", "2013-01-01 06:00", "2013-01-02 07:00"], utc=True),
    }
)


def test_csv_jsonl_parquet_agree(tmp_path: Path) -> None:
    FRAME.to_csv(tmp_path / "d.csv", index=False)
    FRAME.to_parquet(tmp_path / "d.parquet")
    parquet = read_file(tmp_path / "d.parquet")
    (tmp_path / "d.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in parquet) + b"\n")
    jsonl = read_file(tmp_path / "d.jsonl")
    csv = read_file(tmp_path / "d.csv")
    assert parquet == jsonl
    assert parquet[0] == {"n": 1, "x": 0.5, "s": "a", "t": "2013-01-01T05:00:00Z"}
    assert parquet[1]["x"] is None and parquet[2]["s"] is None
    assert [r["n"] for r in csv] == [1, 2, 3] and csv[1]["x"] is None


@pytest.mark.parametrize("name", ["missing.csv", "data.xlsx"])
def test_unreadable_sources_say_why(tmp_path: Path, name: str) -> None:
    if name.endswith(".xlsx"):
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(DataSourceError):
        read_file(tmp_path / name)
