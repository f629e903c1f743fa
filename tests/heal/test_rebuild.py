"""Re-profiling on the champion's schema (profile updates, repairs)."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis.tolerances import Tolerances
from app.baseline import build_baseline
from app.errors import SchemaError
from app.heal.rebuild import rebuild
from tests.conftest import make_records


def test_schema_and_tolerances_kept_profile_replaced(rng: np.random.Generator) -> None:
    shape = {"low": 0.1, "medium": 0.2, "high": 0.3}
    tolerances = Tolerances.from_dict({"defaults": {"distribution_shape": shape}})
    champion = build_baseline("f", make_records(rng, 3_000), "A", tolerances).with_version(4)
    rows = make_records(rng, 2_000, shift=1.0)
    for row in rows[:100]:
        row["category"] = "zz"  # a new category does not change the schema
    out = rebuild(champion, rows, "update")
    assert out.schema == champion.schema and out.tolerances == champion.tolerances
    assert (out.version, out.source, out.profile.records) == (0, "update", 2_000)
    assert out.profile.fields["x"].mean == pytest.approx(
        float(np.mean([r["x"] for r in rows])), abs=1e-9
    )
    assert out.edges["x"] != champion.edges["x"]  # bins at the new data's deciles
    assert out.profile.fields["category"].category_counts()["zz"] == 100


def test_no_records(rng: np.random.Generator) -> None:
    champion = build_baseline("f", make_records(rng, 500), "A")
    with pytest.raises(SchemaError):
        rebuild(champion, [], "nothing")
