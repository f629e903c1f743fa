"""The detector interface: built against a baseline field profile, updated with each window.

A window detector is constructed once per (field, baseline) and then ``update``-d with each
window's profile of that field; ``update`` returns the :class:`DetectorResult` (also kept as
``result``), or ``None`` when the window holds too little data to judge.

A change is reported when the statistic exceeds both its *critical value* — what sampling
noise (and sketch error) alone reaches with probability ``alpha`` at this window's and the
baseline's sizes — and the tolerance's ``low`` threshold; ``medium`` and ``high`` grade the
effect size. Thresholds therefore follow the window size: no alarms from noise in small
windows, no alarms from negligible effects in huge ones.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from app.errors import ConfigError
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec


class Severity(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Tolerance:
    """Thresholds of one characteristic: a statistic at or above ``low`` is drift."""

    low: float
    medium: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.medium <= self.high:
            raise ConfigError(f"tolerance must satisfy low <= medium <= high, got {self}")

    def severity(self, value: float) -> Severity | None:
        if value >= self.high:
            return Severity.HIGH
        if value >= self.medium:
            return Severity.MEDIUM
        if value >= self.low:
            return Severity.LOW
        return None

    def score(self, value: float) -> float:
        """Drift score in [0, 1]: 1 at the high threshold and beyond."""
        return min(max(value / self.high, 0.0), 1.0) if self.high > 0 else 1.0


Summaries = Callable[[], tuple[str, str]]
Measured = tuple[float, float, Summaries]


@dataclass(frozen=True)
class DetectorResult:
    """One detector's outcome for a window; ``baseline`` and ``current`` say what was
    compared in words, for drifted results only (empty otherwise: nobody reads them, and
    formatting them for every field was ~10 % of a window's analysis)."""

    field: str
    characteristic: str
    statistic: str
    value: float
    threshold: float
    drifted: bool
    severity: Severity | None
    score: float
    baseline: str
    current: str


class WindowDetector(ABC):
    characteristic: ClassVar[str]
    statistic: ClassVar[str]
    min_count: ClassVar[int] = 30
    sampled: ClassVar[bool] = True  # subject to sampling noise (False: exact counts)

    def __init__(
        self, spec: FieldSpec, baseline: FieldProfile, tolerance: Tolerance, alpha: float = 1e-3
    ) -> None:
        self.spec = spec
        self.baseline = baseline
        self.tolerance = tolerance
        self.alpha = alpha
        self.result: DetectorResult | None = None
        self._prepare()

    def _prepare(self) -> None:  # noqa: B027  # a hook, empty unless a detector needs it
        """Work out what every window is compared with (the baseline's side), once, at
        construction; nothing by default."""

    @classmethod
    @abstractmethod
    def applies(cls, spec: FieldSpec) -> bool:
        """Whether this detector measures fields like ``spec``."""

    @abstractmethod
    def _measure(self, window: FieldProfile) -> Measured | None:
        """(statistic, critical value, summaries) or None; ``summaries()`` gives the
        baseline's and the window's side in words (called for a drift only)."""

    def measure(self, window: FieldProfile) -> Measured | None:
        """The statistic of a window without recording it as ``result``."""
        return self._measure(window)

    def update(self, window: FieldProfile) -> DetectorResult | None:
        measured = self._measure(window)
        if measured is None:
            self.result = None
            return None
        value, critical, summaries = measured
        threshold = max(self.tolerance.low, critical)
        severity = self.tolerance.severity(value) if value > critical else None
        base, cur = summaries() if severity is not None else ("", "")
        self.result = DetectorResult(
            field=self.spec.name,
            characteristic=self.characteristic,
            statistic=self.statistic,
            value=value,
            threshold=threshold,
            drifted=severity is not None,
            severity=severity,
            score=self.tolerance.score(value) if severity is not None else 0.0,
            baseline=base,
            current=cur,
        )
        return self.result


def effective_size(n: float, m: float) -> float:
    """The effective sample size n*m/(n+m) of a two-sample comparison."""
    return n * m / (n + m) if n > 0 and m > 0 else 0.0
