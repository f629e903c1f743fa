"""Analyzer: runs every applicable detector of every baseline field on a window profile."""

from __future__ import annotations

from dataclasses import dataclass

from app.analysis.structure import structural_changes
from app.baseline.model import Baseline
from app.detectors import WINDOW_DETECTORS, WindowDetector
from app.detectors.base import DetectorResult, Severity
from app.profile.field import FieldProfile
from app.profile.window import WindowProfile


@dataclass(frozen=True)
class DriftReport:
    window: WindowProfile
    baseline_version: int
    findings: tuple[DetectorResult, ...]
    field_scores: dict[str, float]

    @property
    def drifted(self) -> bool:
        return bool(self.findings)

    @property
    def severity(self) -> Severity | None:
        return max((f.severity for f in self.findings if f.severity), default=None)

    @property
    def score(self) -> float:
        return max((f.score for f in self.findings), default=0.0)


class Analyzer:
    """Holds one detector per (field, characteristic) built against one baseline."""

    def __init__(self, baseline: Baseline, window_alpha: float = 0.01) -> None:
        """``window_alpha``: the false-alarm rate per window on unchanged data, shared out
        over every (field, detector) test (Bonferroni)."""
        self.baseline = baseline
        pairs = [
            (spec, cls)
            for spec in baseline.schema.fields
            for cls in WINDOW_DETECTORS
            if cls.applies(spec)
        ]
        alpha = window_alpha / max(len(pairs), 1)
        self._detectors: list[WindowDetector] = []
        for spec, cls in pairs:
            reference = baseline.profile.fields.get(spec.name, FieldProfile())
            tol = baseline.tolerances.for_field(spec.name, cls.characteristic)
            self._detectors.append(cls(spec, reference, tol, alpha))

    def analyze(self, window: WindowProfile) -> DriftReport:
        findings: list[DetectorResult] = []
        scores: dict[str, float] = {}
        empty = FieldProfile()
        for detector in self._detectors:
            result = detector.update(window.fields.get(detector.spec.name, empty))
            if result is None:
                continue
            scores[result.field] = max(scores.get(result.field, 0.0), result.score)
            if result.drifted:
                findings.append(result)
        for change in structural_changes(self.baseline.schema, window, self.baseline.tolerances):
            scores[change.field] = max(scores.get(change.field, 0.0), change.score)
            findings.append(change)
        findings.sort(key=lambda f: (-f.score, f.field, f.characteristic))
        return DriftReport(window, self.baseline.version, tuple(findings), scores)
