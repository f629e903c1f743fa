"""Which earlier version fits a window: the nearest *healthy* ancestor.

Each candidate baseline judges the window with the :class:`Analyzer` (its detectors, the
champion's tolerances: what an operator set applies to every version). A candidate is
*healthy* when the window would not be judged drifted against it -- no characteristic beyond
both its critical value and its ``low`` tolerance. Healthy or not, candidates are ranked by
their *fit score*: the mean over fields of each field's largest characteristic score
(statistic over the ``high`` threshold, capped at 1), findings or not. The drift score (the
largest score of a *finding*) is 0 for every healthy candidate and saturates at 1 for a
large shift, so it cannot rank them; the mean still tells a candidate one field off from
one that is off everywhere. Ties go to the nearer ancestor.

The window's histograms are on the champion's bins; against a candidate with other bins the
PSI and Jensen-Shannon detectors skip that field and the others (KS and Wasserstein on the
quantile sketches, category, null, type, distinct-count and structural tests) still judge it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.analysis.analyzer import Analyzer, DriftReport
from app.analysis.tolerances import Tolerances
from app.baseline.model import Baseline
from app.profile.window import WindowProfile


@dataclass(frozen=True)
class AncestorFit:
    baseline: Baseline
    report: DriftReport
    distance: int  # 0 = the nearest candidate (the parent)

    @property
    def healthy(self) -> bool:
        return not self.report.drifted

    @property
    def score(self) -> float:
        scores = self.report.field_scores.values()
        return sum(scores) / len(scores) if scores else 0.0


def rank_ancestors(
    candidates: Sequence[Baseline],
    window: WindowProfile,
    tolerances: Tolerances | None = None,
    seed: int = 0,
) -> list[AncestorFit]:
    """``candidates`` (nearest first) judged on ``window``: healthy ones first, then by fit
    score, then by nearness."""
    fits = []
    for distance, baseline in enumerate(candidates):
        judge = baseline if tolerances is None else replace(baseline, tolerances=tolerances)
        fits.append(AncestorFit(baseline, Analyzer(judge, seed=seed).analyze(window), distance))
    return sorted(fits, key=lambda f: (not f.healthy, f.score, f.distance))


def nearest_healthy(fits: Sequence[AncestorFit]) -> AncestorFit | None:
    """The best-fitting healthy candidate of a ranking, if any."""
    return fits[0] if fits and fits[0].healthy else None
