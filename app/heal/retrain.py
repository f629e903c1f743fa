"""The retrainer: what to do about a drift event, decided and carried out.

* **low** -- profile update: the baseline profile rebuilt from the stored training sample and
  the current records in the proportions ``profile_weight_historical`` / ``_current`` (a
  weighted resample: sketches themselves cannot be weighted); the model is carried over.
* **medium / high** -- at most once per ``retrain_cooldown_seconds`` per feed:
  1. *revert* to the healthiest earlier version if it judges the current records within
     tolerance (recurring drift: no training);
  2. else a *challenger*: baseline and VAE from the weighted mixture of historical (the
     champion's training sample), current and injected records; published only if it fits
     held-out current records significantly better and its model loses at most
     ``challenger_margin`` of quality (``app.heal.validate``);
  3. if only the model falls short, *repair*: the champion's VAE interpolated toward the
     nearest ancestor's, the scale chosen on held-out data, published if it passes;
  4. else keep the champion, with the reason.

Every published version goes through :class:`BaselinePublisher` (repository, lineage,
``driftmend.baselines``). All randomness is seeded.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from app.baseline.build import build_baseline
from app.baseline.model import Baseline
from app.errors import ArtifactError, DriftmendError, ModelError
from app.heal.mixture import mixture, split
from app.heal.publish import BaselinePublisher
from app.heal.validate import fit_test, healthiest, model_quality
from app.lineage.model import ancestors, data_signature
from app.profile.window import WindowProfile
from app.repository.baselines import BaselineRepository
from app.repository.lineage import LineageRepository
from app.repository.models import ModelRepository
from app.settings import Settings
from app.synth.synthesizer import Synthesizer, interpolate
from app.synth.train import TrainConfig, train_synthesizer

Records = Sequence[Mapping[str, Any]]
MAX_TRAINING_ROWS = 50_000
REPAIR_SCALES = (0.25, 0.5, 0.75)

__all__ = ["BaselinePublisher", "RetrainOutcome", "Retrainer"]


@dataclass(frozen=True)
class RetrainOutcome:
    action: str  # profile_update, retrain, revert, repair, kept_champion, cooldown
    new_version: int | None = None
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)


class Retrainer:
    def __init__(
        self,
        settings: Settings,
        baselines: BaselineRepository,
        models: ModelRepository,
        lineage: LineageRepository,
        publisher: BaselinePublisher,
        seed: int = 0,
    ) -> None:
        self.settings = settings
        self.baselines = baselines
        self.models = models
        self.lineage = lineage
        self.publisher = publisher
        self.seed = seed

    def handle(
        self,
        severity: str,
        event_id: str,
        current_records: Records,
        window: WindowProfile,
        injected_records: Records | None = None,
        now_ms: int | None = None,
    ) -> RetrainOutcome:
        feed = window.feed
        champion = self.baselines.get(feed)
        if not current_records:
            return RetrainOutcome("kept_champion", reason="no current records to learn from")
        rng = np.random.default_rng([self.seed, champion.version])
        if severity == "low":
            return self._profile_update(champion, current_records, event_id, rng)
        now = int(time.time() * 1000) if now_ms is None else now_ms
        waited = (now - self.lineage.last_retrain_ms(feed)) / 1000
        if waited < self.settings.retrain_cooldown_seconds:
            return RetrainOutcome(
                "cooldown",
                reason=f"last retrain {waited:.0f} s ago "
                f"(cooldown {self.settings.retrain_cooldown_seconds:.0f} s)",
            )
        self.lineage.set_last_retrain_ms(feed, now)
        reverted = self._revert(champion, current_records, event_id)
        if reverted is not None:
            return reverted
        return self._challenge(champion, current_records, injected_records or [], event_id, rng)

    # -- low: a weighted profile update ---------------------------------------------------
    def _profile_update(
        self, champion: Baseline, current: Records, event_id: str, rng: np.random.Generator
    ) -> RetrainOutcome:
        historical = self._sample(champion)
        if not historical:
            return RetrainOutcome("kept_champion", reason="no stored training sample to weigh")
        s = self.settings
        data = mixture(
            [(historical, s.profile_weight_historical), (current, s.profile_weight_current)],
            min(MAX_TRAINING_ROWS, len(historical) + len(current)),
            rng,
        )
        updated = replace(
            build_baseline(champion.feed, data, f"profile update after {event_id}"),
            tolerances=champion.tolerances,
        )
        stored = self.baselines.save(updated)
        self.models.carry_over(champion.feed, champion.version, stored.version)
        params = {
            "weight_historical": s.profile_weight_historical,
            "weight_current": s.profile_weight_current,
            "current_records": len(current),
        }
        self.publisher.publish(
            stored,
            champion.version,
            "profile_update",
            data_signature=data_signature(data),
            parameters=params,
            reason="low drift",
            event_id=event_id,
            save=False,
        )
        return RetrainOutcome("profile_update", stored.version, "low drift")

    # -- recurring drift: back to a healthy ancestor --------------------------------------
    def _candidates(self, champion: Baseline) -> list[Baseline]:
        """Earlier versions, lineage ancestors first (nearest first), then the others."""
        feed = champion.feed
        lineage = ancestors(self.lineage.edges(feed), champion.version)
        others = [
            v for v in sorted(self.baselines.versions(feed), reverse=True) if v not in lineage
        ]
        order = [v for v in [*lineage, *others] if v != champion.version]
        return [self.baselines.get(feed, v) for v in order]

    def _revert(self, champion: Baseline, current: Records, event_id: str) -> RetrainOutcome | None:
        found = healthiest(self._candidates(champion), current, self.seed)
        if found is None:
            return None
        ancestor, report = found
        stored = self.baselines.save(replace(ancestor, source=f"revert to v{ancestor.version}"))
        self.models.carry_over(champion.feed, ancestor.version, stored.version)
        metrics = {"ancestor_score": report.score, "ancestor_version": float(ancestor.version)}
        reason = f"v{ancestor.version} fits the current data within tolerance"
        self.publisher.publish(
            stored,
            champion.version,
            "revert",
            data_signature=data_signature(current),
            parameters={"to_version": ancestor.version},
            metrics=metrics,
            reason=reason,
            event_id=event_id,
            save=False,
        )
        return RetrainOutcome("revert", stored.version, reason, metrics)

    # -- a challenger, validated; a repair when only its model falls short -----------------
    def _challenge(
        self,
        champion: Baseline,
        current: Records,
        injected: Records,
        event_id: str,
        rng: np.random.Generator,
    ) -> RetrainOutcome:
        s = self.settings
        cur_train, cur_hold = split(current, 0.3, rng)
        hist_train, hist_hold = split(self._sample(champion), 0.2, rng)
        weights = [
            (hist_train, s.retrain_weight_historical),
            (cur_train, s.retrain_weight_current),
            (injected, s.retrain_weight_injected),
        ]
        size = min(MAX_TRAINING_ROWS, sum(len(rows) for rows, _ in weights))
        data = mixture(weights, size, rng)
        challenger = replace(
            build_baseline(champion.feed, data, f"retrain after {event_id}"),
            tolerances=champion.tolerances,
        )
        fit = fit_test(champion, challenger, cur_hold, self.seed)
        metrics = fit.metrics()
        if not fit.better:
            return RetrainOutcome(
                "kept_champion",
                reason="the challenger does not fit held-out current records significantly "
                f"better (distance {fit.challenger:.3f} vs the champion's {fit.champion:.3f}; "
                f"5th percentile of the bootstrap gain {fit.diff_p05:.3f})",
                metrics=metrics,
            )
        holdout = mixture(
            [(hist_hold, s.retrain_weight_historical), (cur_hold, s.retrain_weight_current)],
            len(hist_hold) + len(cur_hold),
            rng,
        )
        champion_model = self._model(champion)
        floor = 0.0
        if champion_model is not None and hist_hold:
            floor = model_quality(champion_model, hist_hold, self.seed) - s.challenger_margin
        metrics["quality_floor"] = floor
        config = TrainConfig(budget_seconds=s.retrain_budget_seconds, threads=1)
        model = train_synthesizer(challenger.schema, data, config, self.seed)
        quality = model_quality(model, holdout, self.seed)
        metrics["challenger_quality"] = quality
        params = {
            "weights": [
                s.retrain_weight_historical,
                s.retrain_weight_current,
                s.retrain_weight_injected,
            ],
            "records": [len(hist_train), len(cur_train), len(injected)],
            "budget_seconds": s.retrain_budget_seconds,
        }
        if quality >= floor:
            version = self._publish(
                challenger, model, champion, "retrain", data, params, metrics, event_id
            )
            return RetrainOutcome("retrain", version, "the challenger fits better", metrics)
        repaired = self._repair(champion, champion_model, holdout, floor, metrics)
        if repaired is not None:
            model, scale = repaired
            params["scale"] = scale
            version = self._publish(
                challenger, model, champion, "repair", data, params, metrics, event_id
            )
            return RetrainOutcome("repair", version, f"repaired model (scale {scale})", metrics)
        return RetrainOutcome(
            "kept_champion",
            reason=f"the challenger's model quality {quality:.3f} is below {floor:.3f} "
            "and no repair passed",
            metrics=metrics,
        )

    def _repair(
        self,
        champion: Baseline,
        champion_model: Synthesizer | None,
        holdout: Records,
        floor: float,
        metrics: dict[str, float],
    ) -> tuple[Synthesizer, float] | None:
        """Interpolate the champion's VAE toward the nearest ancestor's; best scale wins."""
        if champion_model is None:
            return None
        for baseline in self._candidates(champion)[:1]:
            ancestor_model = self._model(baseline)
            if ancestor_model is None:
                continue
            best: tuple[float, Synthesizer, float] | None = None
            for t in REPAIR_SCALES:
                try:
                    candidate = interpolate(champion_model, ancestor_model, t, self.seed)
                except ModelError:
                    return None  # different architectures: nothing to interpolate
                q = model_quality(candidate, holdout, self.seed)
                if best is None or q > best[0]:
                    best = (q, candidate, t)
            if best is not None:
                metrics["repair_quality"] = best[0]
                if best[0] >= floor:
                    return best[1], best[2]
        return None

    # -- helpers ----------------------------------------------------------------------------
    def _publish(
        self,
        baseline: Baseline,
        model: Synthesizer,
        champion: Baseline,
        transformation: str,
        data: Records,
        params: dict[str, Any],
        metrics: dict[str, float],
        event_id: str,
    ) -> int:
        stored = self.baselines.save(baseline)
        model.save(self.models, champion.feed, stored.version)
        self.models.save_sample(champion.feed, stored.version, data, self.seed)
        self.publisher.publish(
            stored,
            champion.version,
            transformation,
            data_signature=data_signature(data),
            parameters=params,
            metrics=metrics,
            reason=f"after {transformation}",
            event_id=event_id,
            save=False,
        )
        return stored.version

    def _sample(self, baseline: Baseline) -> list[dict[str, Any]]:
        try:
            return self.models.load_sample(baseline.feed, baseline.version)
        except ArtifactError:
            return []

    def _model(self, baseline: Baseline) -> Synthesizer | None:
        try:
            return Synthesizer.load(self.models, baseline.feed, baseline.version)
        except DriftmendError:
            return None
