"""Structural drift: fields the schema does not know, and required fields that are missing."""

from __future__ import annotations

from app.analysis.tolerances import Tolerances
from app.detectors.base import DetectorResult
from app.profile.window import WindowProfile
from app.schema.model import Schema


def _result(
    field: str,
    characteristic: str,
    share: float,
    tolerances: Tolerances,
    baseline: str,
    current: str,
) -> DetectorResult | None:
    tol = tolerances.for_field(field, characteristic)
    severity = tol.severity(share)
    if severity is None:
        return None
    return DetectorResult(
        field=field,
        characteristic=characteristic,
        statistic="record_share",
        value=share,
        threshold=tol.low,
        drifted=True,
        severity=severity,
        score=tol.score(share),
        baseline=baseline,
        current=current,
    )


def structural_changes(
    schema: Schema, window: WindowProfile, tolerances: Tolerances
) -> list[DetectorResult]:
    if window.records == 0:
        return []
    found: list[DetectorResult] = []
    for name, fp in sorted(window.fields.items()):
        if schema.get(name) is None:
            types = ", ".join(sorted(fp.types))
            hit = _result(
                name,
                "unknown_field",
                fp.count / window.records,
                tolerances,
                "absent",
                f"present ({types})",
            )
            if hit:
                found.append(hit)
    for spec in schema.fields:
        if not spec.required:
            continue
        seen = window.fields.get(spec.name)
        present = 0 if seen is None else seen.count
        hit = _result(
            spec.name,
            "missing_field",
            1 - present / window.records,
            tolerances,
            "required",
            f"present in {present}/{window.records}",
        )
        if hit:
            found.append(hit)
    return found
