"""The measures behave: identical tables score 1, shifted ones less; copies show in DCR."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.schema.infer import infer_schema
from app.synth.privacy import dcr_share, exact_copies
from app.synth.quality import quality_report
from tests.conftest import make_records


def _tables() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rng = np.random.default_rng(4)
    return make_records(rng, 3_000), make_records(rng, 3_000), make_records(rng, 3_000, shift=1.5)


def test_quality_of_a_table_against_itself_is_perfect() -> None:
    real, _, _ = _tables()
    report = quality_report(infer_schema(real), real, real)
    assert report["score"] == 1.0 and report["max_null_rate_diff"] == 0.0


def test_quality_drops_when_a_column_shifts() -> None:
    real, same, shifted = _tables()
    schema = infer_schema(real)
    fair = quality_report(schema, real, same)
    worse = quality_report(schema, real, shifted)
    assert fair["score"] > 0.95
    assert worse["fields"]["x"] < fair["fields"]["x"] - 0.4
    assert "id" not in fair["fields"]  # text is not scored


def test_dcr_tells_memorized_from_fresh_rows() -> None:
    train, holdout, _ = _tables()
    schema = infer_schema(train)
    fresh = make_records(np.random.default_rng(9), 500)
    assert abs(dcr_share(schema, train, holdout, fresh) - 0.5) < 0.08
    assert dcr_share(schema, train, holdout, train[:500]) > 0.95
    assert exact_copies(schema, train, train[:50])["all_fields"] == 50
    assert exact_copies(schema, train, fresh)["all_fields"] == 0
