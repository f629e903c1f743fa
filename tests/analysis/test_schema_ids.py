"""New writer schema ids are reported in the window that brings them, with their verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.analysis import Analyzer
from app.baseline import build_baseline
from app.codecs import ConfluentAvroCodec, LocalSchemaRegistry
from app.detectors import Severity
from tests.conftest import window_of

FIELDS = [{"name": "sensor", "type": "string"}, {"name": "value", "type": "double"}]
SCHEMAS = {
    42: FIELDS,
    43: [*FIELDS, {"name": "unit", "type": "string", "default": "C"}],  # FULL
    44: [FIELDS[0], {"name": "value", "type": "string"}],  # NONE
    45: [FIELDS[0]],  # value removed, no default in 42: BACKWARD
}


@pytest.fixture(scope="module")
def codecs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, ConfluentAvroCodec]:
    folder = tmp_path_factory.mktemp("registry")
    for sid, fields in SCHEMAS.items():
        schema = {"type": "record", "name": "Reading", "fields": fields}
        (folder / f"{sid}.avsc").write_text(json.dumps(schema))
    return {sid: ConfluentAvroCodec(LocalSchemaRegistry(Path(folder)), sid) for sid in SCHEMAS}


def _records(codecs: dict[int, ConfluentAvroCodec], sid: int, n: int, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    codec = codecs[sid]
    out = []
    for _ in range(n):
        row: dict[str, Any] = {"sensor": f"s{rng.integers(0, 5)}", "value": rng.normal(20, 2)}
        if sid == 43:
            row["unit"] = "C"
        if sid == 44:
            row["value"] = f"{row['value']:.1f}"
        if sid == 45:
            del row["value"]
        out.append(codec.decode(codec.encode(row)))
    return out


def _schema_findings(analyzer: Analyzer, records: list[Any]) -> list[tuple[str, str, Any]]:
    report = analyzer.analyze(window_of(analyzer.baseline, records))
    return [
        (f.field, f.current.split(" (")[0], f.severity)
        for f in report.findings
        if f.characteristic == "schema_id"
    ]


def test_reported_against_the_baseline_schema(codecs: dict[int, ConfluentAvroCodec]) -> None:
    baseline = build_baseline("f", _records(codecs, 42, 3_000, 1), "topic sample")
    assert baseline.profile.schema_ids == {42: 3_000}
    analyzer = Analyzer(baseline)
    assert _schema_findings(analyzer, _records(codecs, 42, 1_000, 2)) == []
    mixed = _records(codecs, 42, 900, 3) + _records(codecs, 43, 100, 4)
    assert _schema_findings(analyzer, mixed) == [("*", "id 43 FULL", Severity.LOW)]
    assert _schema_findings(analyzer, _records(codecs, 44, 1_000, 5)) == [
        ("*", "id 44 NONE", Severity.HIGH)
    ]
    assert _schema_findings(analyzer, _records(codecs, 45, 1_000, 6)) == [
        ("*", "id 45 BACKWARD", Severity.MEDIUM)
    ]


def test_verdict_names_the_reason_and_the_share(codecs: dict[int, ConfluentAvroCodec]) -> None:
    analyzer = Analyzer(build_baseline("f", _records(codecs, 42, 3_000, 1), "topic sample"))
    rows = _records(codecs, 42, 750, 7) + _records(codecs, 44, 250, 8)
    report = analyzer.analyze(window_of(analyzer.baseline, rows))
    found = next(f for f in report.findings if f.characteristic == "schema_id")
    assert found.baseline == "id 42"
    assert found.current.startswith("id 44 NONE (25.0% of records): ")
    assert "value: writer string cannot be read as double" in found.current
    assert found.score == 1.0 and report.severity == Severity.HIGH


def test_first_seen_id_is_the_reference_without_one_in_the_baseline(
    codecs: dict[int, ConfluentAvroCodec],
) -> None:
    plain = [dict(r) for r in _records(codecs, 42, 3_000, 1)]  # e.g. built from a file
    analyzer = Analyzer(build_baseline("f", plain, "file"))
    seen = [
        _schema_findings(analyzer, _records(codecs, sid, 1_000, 10 + k))
        for k, sid in enumerate([42, 42, 45, 42])
    ]
    assert seen == [[], [], [("*", "id 45 BACKWARD", Severity.MEDIUM)], []]
