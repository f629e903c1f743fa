"""New writer schema ids on Confluent-framed feeds, with their compatibility verdict.

Profiles count the records of each writer schema id (and keep each schema's text). The
reference is the baseline's schema (its most used id, when the baseline was sampled from
the framed topic), else the first id seen (the lowest id of the first window with framed
records: registries number schemas in order). Any other id in a window is a structural
change ``schema_id`` of the whole record (field ``*``), reported in every window that
holds it, with the registry's verdict against the reference: its statistic
``incompatibility`` is 1/3 for FULL, 2/3 for BACKWARD or FORWARD only and 1 for NONE (or
when a schema text is missing), graded by the ``schema_id`` tolerance (low / medium / high
by default).
"""

from __future__ import annotations

from app.analysis.tolerances import Tolerances
from app.detectors.base import DetectorResult
from app.errors import SchemaError
from app.profile.window import WindowProfile
from app.schema.avro_compat import Compatibility, compatibility

RECORD = "*"
CHARACTERISTIC = "schema_id"
INCOMPATIBILITY = {"FULL": 1 / 3, "BACKWARD": 2 / 3, "FORWARD": 2 / 3, "NONE": 1.0}
SHOWN_REASONS = 3


class SchemaIdWatch:
    def __init__(self, baseline: WindowProfile, tolerances: Tolerances) -> None:
        self.tolerances = tolerances
        ids = baseline.schema_ids
        self.known = set(ids)
        self.reference: int | None = max(ids, key=lambda i: (ids[i], i)) if ids else None
        self.text = None if self.reference is None else baseline.writer_schemas.get(self.reference)
        self._verdicts: dict[int, Compatibility | None] = {}

    def check(self, window: WindowProfile) -> list[DetectorResult]:
        if not window.schema_ids:
            return []
        if self.reference is None:
            self.reference = min(window.schema_ids)
            self.known = {self.reference}
            self.text = window.writer_schemas.get(self.reference)
        records = sum(window.schema_ids.values())
        found = []
        for schema_id, count in sorted(window.schema_ids.items()):
            if schema_id in self.known:
                continue
            verdict = self._verdict(schema_id, window.writer_schemas.get(schema_id))
            found.append(self._result(schema_id, count / records, verdict))
        return [f for f in found if f.drifted]

    def _verdict(self, schema_id: int, text: str | None) -> Compatibility | None:
        if schema_id not in self._verdicts:
            verdict = None
            if text is not None and self.text is not None:
                try:
                    verdict = compatibility(self.text, text)
                except SchemaError:
                    verdict = None
            self._verdicts[schema_id] = verdict
        return self._verdicts[schema_id]

    def _result(
        self, schema_id: int, share: float, verdict: Compatibility | None
    ) -> DetectorResult:
        level = "UNCHECKED" if verdict is None else verdict.level
        value = INCOMPATIBILITY.get(level, 1.0)
        tol = self.tolerances.for_field(RECORD, CHARACTERISTIC)
        severity = tol.severity(value)
        reasons = "" if verdict is None else "; ".join(verdict.reasons[:SHOWN_REASONS])
        return DetectorResult(
            field=RECORD,
            characteristic=CHARACTERISTIC,
            statistic="incompatibility",
            value=value,
            threshold=tol.low,
            drifted=severity is not None,
            severity=severity,
            score=tol.score(value) if severity is not None else 0.0,
            baseline=f"id {self.reference}",
            current=f"id {schema_id} {level} ({share:.1%} of records)"
            + (f": {reasons}" if reasons else ""),
        )
