"""Drift detectors: one small class each, behind the interface in ``base``."""

from app.detectors.adwin import AdwinAlarms, AdwinMonitor
from app.detectors.base import DetectorResult, Severity, Tolerance, WindowDetector
from app.detectors.categories import NewCategories
from app.detectors.ks import KolmogorovSmirnov
from app.detectors.nulls import NullRate
from app.detectors.psi import CategoricalPSI, NumericPSI
from app.detectors.types import TypeMismatch

WINDOW_DETECTORS: tuple[type[WindowDetector], ...] = (
    NumericPSI,
    CategoricalPSI,
    KolmogorovSmirnov,
    NullRate,
    NewCategories,
    TypeMismatch,
    AdwinAlarms,
)

__all__ = [
    "WINDOW_DETECTORS",
    "AdwinAlarms",
    "AdwinMonitor",
    "CategoricalPSI",
    "DetectorResult",
    "KolmogorovSmirnov",
    "NewCategories",
    "NullRate",
    "NumericPSI",
    "Severity",
    "Tolerance",
    "TypeMismatch",
    "WindowDetector",
]
