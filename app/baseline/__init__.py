"""Baselines: a feed's schema, reference profile and tolerances, as one versioned value."""

from app.baseline.build import build_baseline
from app.baseline.model import Baseline

__all__ = ["Baseline", "build_baseline"]
