"""Drift detectors: one small class each, behind the interface in ``base``."""

from app.detectors.adwin import AdwinAlarms, AdwinMonitor
from app.detectors.base import DetectorResult, Severity, Tolerance, WindowDetector
from app.detectors.categories import NewCategories
from app.detectors.chisquare import ChiSquare
from app.detectors.distinct import DistinctCount
from app.detectors.js import JensenShannon
from app.detectors.ks import KolmogorovSmirnov, StringLength
from app.detectors.nulls import NullRate
from app.detectors.psi import CategoricalPSI, NumericPSI
from app.detectors.structure import LengthRange, Nullability
from app.detectors.types import TypeMismatch
from app.detectors.wasserstein import Wasserstein

WINDOW_DETECTORS: tuple[type[WindowDetector], ...] = (
    NumericPSI,
    JensenShannon,
    KolmogorovSmirnov,
    Wasserstein,
    CategoricalPSI,
    ChiSquare,
    StringLength,
    LengthRange,
    NullRate,
    Nullability,
    NewCategories,
    DistinctCount,
    TypeMismatch,
    AdwinAlarms,
)

__all__ = [
    "WINDOW_DETECTORS",
    "AdwinAlarms",
    "AdwinMonitor",
    "CategoricalPSI",
    "ChiSquare",
    "DetectorResult",
    "DistinctCount",
    "JensenShannon",
    "KolmogorovSmirnov",
    "LengthRange",
    "NewCategories",
    "NullRate",
    "Nullability",
    "NumericPSI",
    "Severity",
    "StringLength",
    "Tolerance",
    "TypeMismatch",
    "Wasserstein",
    "WindowDetector",
]
