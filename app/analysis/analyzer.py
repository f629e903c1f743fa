"""Analyzer: runs every applicable detector of every baseline field on a window profile."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.analysis.confidence import score_interval
from app.analysis.schema_ids import SchemaIdWatch
from app.analysis.structure import structural_changes
from app.baseline.model import Baseline
from app.detectors import WINDOW_DETECTORS, WindowDetector
from app.detectors.base import DetectorResult, Severity
from app.detectors.mmd import JOINT, JointMMD
from app.profile.field import FieldProfile
from app.profile.window import WindowProfile


@dataclass(frozen=True)
class DriftReport:
    window: WindowProfile
    baseline_version: int
    findings: tuple[DetectorResult, ...]
    field_scores: dict[str, float]
    interval: tuple[float, float] = (0.0, 0.0)  # 95 % interval of the drift score

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

    def __init__(
        self, baseline: Baseline, window_alpha: float = 0.01, resamples: int = 16, seed: int = 0
    ) -> None:
        """``window_alpha``: the false-alarm rate per window on unchanged data, shared out
        over every (field, detector) test (Bonferroni)."""
        self.baseline = baseline
        pairs = [
            (spec, cls)
            for spec in baseline.schema.fields
            for cls in WINDOW_DETECTORS
            if cls.applies(spec)
        ]
        alpha = window_alpha / (len(pairs) + 1)  # + the joint test
        self.resamples = resamples
        self._rng = np.random.default_rng(seed)
        self._detectors: list[WindowDetector] = []
        for spec, cls in pairs:
            reference = baseline.profile.fields.get(spec.name, FieldProfile())
            tol = baseline.tolerances.for_field(spec.name, cls.characteristic)
            self._detectors.append(cls(spec, reference, tol, alpha))
        self._schema_ids = SchemaIdWatch(baseline.profile, baseline.tolerances)
        sample = baseline.profile.sample
        self._joint = (
            None
            if sample is None
            else JointMMD(
                sample, baseline.tolerances.for_field(JOINT, JointMMD.characteristic), alpha
            )
        )

    def analyze(self, window: WindowProfile) -> DriftReport:
        findings: list[DetectorResult] = []
        scores: dict[str, float] = {}
        sampled: list[tuple[WindowDetector, DetectorResult, FieldProfile]] = []
        fixed = 0.0
        empty = FieldProfile()
        for detector in self._detectors:
            fp = window.fields.get(detector.spec.name, empty)
            result = detector.update(fp)
            if result is None:
                continue
            scores[result.field] = max(scores.get(result.field, 0.0), result.score)
            if result.drifted:
                findings.append(result)
                if detector.sampled:
                    sampled.append((detector, result, fp))
                else:
                    fixed = max(fixed, result.score)
        joint = None if self._joint is None else self._joint.update(window.sample)
        if joint is not None:
            scores[JOINT] = joint.score
            if joint.drifted:
                findings.append(joint)
                fixed = max(fixed, joint.score)
        changes = structural_changes(self.baseline.schema, window, self.baseline.tolerances)
        for change in [*changes, *self._schema_ids.check(window)]:
            scores[change.field] = max(scores.get(change.field, 0.0), change.score)
            findings.append(change)
            fixed = max(fixed, change.score)
        findings.sort(key=lambda f: (-f.score, f.field, f.characteristic))
        interval = (0.0, 0.0)
        if findings:
            interval = score_interval(sampled, fixed, self._rng, self.resamples)
        return DriftReport(window, self.baseline.version, tuple(findings), scores, interval)
