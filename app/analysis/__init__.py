"""Drift analysis: compare a window profile with the baseline and score the result."""

from app.analysis.analyzer import Analyzer, DriftReport
from app.analysis.tolerances import DEFAULT_TOLERANCES, Tolerances

__all__ = ["DEFAULT_TOLERANCES", "Analyzer", "DriftReport", "Tolerances"]
