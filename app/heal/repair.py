"""Repair: the champion's VAE moved part of the way toward an ancestor's.

When a challenger's model falls short, the parameters (and marginals) of the champion's
model are interpolated toward the best-fitting ancestor's (``app.synth.synthesizer.
interpolate``) at a few scales ``t``. The scale is *chosen* on one half of the held-out
records (highest quality, ties to the smaller ``t``: nearer the champion) and the chosen
model is *scored* on the other half, so the acceptance test is not the data the choice
was made on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import ModelError
from app.heal.validate import model_quality
from app.synth.synthesizer import Synthesizer, interpolate

REPAIR_SCALES = (0.25, 0.5, 0.75)
Records = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Repair:
    model: Synthesizer
    scale: float
    validation_quality: float
    test_quality: float


def choose_scale(scores: Mapping[float, float]) -> float:
    """The scale with the highest validation score; ties to the smaller scale."""
    if not scores:
        raise ModelError("no repair scale was scored")
    return min(scores, key=lambda t: (-scores[t], t))


def repair(
    champion: Synthesizer,
    ancestor: Synthesizer,
    validation: Records,
    test: Records,
    seed: int,
    scales: Sequence[float] = REPAIR_SCALES,
) -> Repair | None:
    """The best interpolation by ``validation``, scored on ``test``; None when the two
    models cannot be interpolated (other schema, architecture or categories)."""
    if not validation or not test:
        return None
    models: dict[float, Synthesizer] = {}
    scores: dict[float, float] = {}
    for t in scales:
        try:
            models[t] = interpolate(champion, ancestor, t, seed)
        except ModelError:
            return None
        scores[t] = model_quality(models[t], validation, seed)
    t = choose_scale(scores)
    return Repair(models[t], t, scores[t], model_quality(models[t], test, seed))
