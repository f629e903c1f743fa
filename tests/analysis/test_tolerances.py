"""Tolerance overrides per feed and per field, from YAML, checked against the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.analysis import DEFAULT_TOLERANCES, Tolerances
from app.analysis.tolerances import apply_overrides, load_overrides
from app.detectors import Tolerance
from app.errors import ConfigError

GOOD = """
defaults:
  distribution: {low: 0.01, medium: 0.2, high: 0.4}
fields:
  amount:
    null_rate: {low: 0.02, medium: 0.1, high: 0.3}
"""


def test_overrides_layer_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(GOOD)
    tol = apply_overrides(Tolerances(), load_overrides(path, ["amount", "x"]))
    assert tol.for_field("x", "distribution") == Tolerance(0.01, 0.2, 0.4)
    assert tol.for_field("amount", "null_rate") == Tolerance(0.02, 0.1, 0.3)
    assert tol.for_field("x", "null_rate") == DEFAULT_TOLERANCES["null_rate"]
    assert Tolerances.from_dict(tol.to_dict()) == tol


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fields:\n  nope:\n    null_rate: {low: 0, medium: 0, high: 0}\n", "not in the baseline"),
        ("defaults:\n  vibes: {low: 0, medium: 0, high: 0}\n", "unknown characteristic"),
        ("thresholds: {}\n", "top-level keys"),
    ],
)
def test_bad_files_are_refused_with_reasons(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_overrides(path, ["amount"])


def test_thresholds_must_be_ordered(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("defaults:\n  distribution: {low: 0.5, medium: 0.1, high: 0.2}\n")
    with pytest.raises(ConfigError, match="low <= medium <= high"):
        apply_overrides(Tolerances(), load_overrides(path, []))
