"""The retrainer: what to do about a drift event, decided and carried out.

* **low** -- profile update: the baseline re-profiled (on the champion's schema) from a
  weighted resample of the stored training sample and the current records, in the
  proportions ``profile_weight_historical`` / ``_current`` (sketches cannot be weighted, a
  seeded resample can). The model is carried over; the resample becomes the new version's
  sample, so successive updates compound (old data fades geometrically).
* **medium / high** -- at most one attempt per ``retrain_cooldown_seconds`` per feed (the
  time of the last attempt is kept in Redis), then:
  1. *revert* to the nearest healthy ancestor (``app.lineage.healthy``): the earlier
     version that judges the window within tolerance with the lowest score -- recurring
     drift, no training;
  2. else a *challenger*: baseline and VAE from the weighted mixture of historical (the
     champion's training sample), current and injected records (``retrain_weight_*``);
     on medium drift the VAE is *fine-tuned* (it starts from the champion's weights when
     the column layout is unchanged), on high drift it is trained from scratch;
     published if it fits held-out current records significantly better and its model
     loses at most ``challenger_margin`` of quality (``app.heal.validate``);
  3. if only its model falls short, *repair* (``app.heal.repair``): the champion's VAE
     interpolated toward the best-fitting ancestor's, the scale chosen on held-out data;
  4. else keep the champion, with the reason.

Every new version goes through :class:`BaselinePublisher` (repository, lineage,
``driftmend.baselines``). All randomness comes from Generators seeded by ``seed`` and the
champion's version.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from app.baseline.build import build_baseline
from app.baseline.model import Baseline
from app.errors import ArtifactError, ConfigError, DriftmendError
from app.heal.mixture import mixture, split
from app.heal.publish import Artifacts, BaselinePublisher
from app.heal.rebuild import rebuild
from app.heal.repair import repair
from app.heal.validate import fit_test, model_quality
from app.lineage.graph import ancestors
from app.lineage.healthy import AncestorFit, nearest_healthy, rank_ancestors
from app.lineage.model import baseline_hash, data_signature
from app.profile.window import WindowProfile
from app.repository.baselines import BaselineRepository
from app.repository.lineage import LineageRepository
from app.repository.models import ModelRepository
from app.settings import Settings
from app.synth.synthesizer import Synthesizer
from app.synth.train import TrainConfig, train_synthesizer

log = logging.getLogger(__name__)

Records = Sequence[Mapping[str, Any]]
MAX_TRAINING_ROWS = 50_000
MAX_CANDIDATES = 16  # earlier versions judged for a revert, nearest first
CURRENT_HOLDOUT = 0.3  # of the current records, for the fit test and model quality
HISTORICAL_HOLDOUT = 0.2
ACTIONS = (
    "profile_update",
    "retrain",
    "fine_tune",
    "revert",
    "repair",
    "kept_champion",
    "cooldown",
)

__all__ = ["ACTIONS", "BaselinePublisher", "RetrainOutcome", "Retrainer"]


@dataclass(frozen=True)
class RetrainOutcome:
    action: str  # one of ACTIONS
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
        rng = np.random.default_rng([self.seed, champion.version])
        if severity == "low":
            return self._profile_update(champion, current_records, window, event_id, rng)
        if severity not in ("medium", "high"):
            raise ConfigError(f"unknown severity {severity!r}")
        now = int(time.time() * 1000) if now_ms is None else now_ms
        cooldown = self.settings.retrain_cooldown_seconds
        last = self.lineage.claim_retrain(feed, now, int(cooldown * 1000))
        if last is not None:  # this worker's or another's
            return RetrainOutcome(
                "cooldown",
                reason=f"last retrain attempt {(now - last) / 1000:.0f} s ago "
                f"(cooldown {cooldown:.0f} s)",
            )
        fits = rank_ancestors(self._candidates(champion), window, champion.tolerances, self.seed)
        healthy = nearest_healthy(fits)
        if healthy is not None:
            return self._revert(champion, healthy, window, event_id, len(fits))
        log.info("window %d: no earlier version fits (%s)", window.window_id, _misfits(fits))
        if not current_records:
            return RetrainOutcome(
                "kept_champion",
                reason="no earlier version fits the window and there are no current records "
                "to train on",
            )
        return self._challenge(
            champion,
            fits,
            current_records,
            injected_records or [],
            window,
            event_id,
            rng,
            fine_tune=severity == "medium",
        )

    # -- low: a weighted profile update ---------------------------------------------------
    def _profile_update(
        self,
        champion: Baseline,
        current: Records,
        window: WindowProfile,
        event_id: str,
        rng: np.random.Generator,
    ) -> RetrainOutcome:
        historical = self._sample(champion)
        if not current or not historical:
            missing = "current records" if not current else "stored training sample"
            return RetrainOutcome("kept_champion", reason=f"low drift, but no {missing}")
        s = self.settings
        data = mixture(
            [(historical, s.profile_weight_historical), (current, s.profile_weight_current)],
            min(MAX_TRAINING_ROWS, len(historical) + len(current)),
            rng,
        )
        updated = rebuild(champion, data, f"profile update after {event_id}")
        metrics = {"records": float(len(data)), "window_records": float(window.records)}
        stored = self.publisher.publish(
            updated,
            champion.version,
            "profile_update",
            artifacts=Artifacts(carry_from=champion.version, sample=data, seed=self.seed),
            data_signature=_signature(data, window, historical=len(historical)),
            parameters={
                "weight_historical": s.profile_weight_historical,
                "weight_current": s.profile_weight_current,
                "historical_records": len(historical),
                "current_records": len(current),
            },
            metrics=metrics,
            reason="low drift: profile moved toward the current window",
            event_id=event_id,
        )
        return RetrainOutcome("profile_update", stored.version, "low drift", metrics)

    # -- recurring drift: back to a healthy ancestor --------------------------------------
    def _candidates(self, champion: Baseline) -> list[Baseline]:
        """Earlier versions, nearest lineage ancestor first (earlier versions by number for
        a feed without lineage), one per content, none equal to the champion."""
        feed = champion.feed
        order = ancestors(self.lineage.edges(feed), champion.version)
        if not order:
            order = sorted(self.baselines.versions(feed), reverse=True)
        seen = {baseline_hash(champion)}
        out: list[Baseline] = []
        for version in order:
            if version == champion.version or len(out) >= MAX_CANDIDATES:
                continue
            baseline = self.baselines.get(feed, version)
            digest = baseline_hash(replace(baseline, tolerances=champion.tolerances))
            if digest not in seen:
                seen.add(digest)
                out.append(baseline)
        return out

    def _revert(
        self,
        champion: Baseline,
        fit: AncestorFit,
        window: WindowProfile,
        event_id: str,
        judged: int,
    ) -> RetrainOutcome:
        ancestor = fit.baseline
        node = self.lineage.node(champion.feed, ancestor.version)
        copy = replace(
            ancestor,
            tolerances=champion.tolerances,
            source=f"revert to v{ancestor.version} after {event_id}",
        )
        metrics = {
            "ancestor_version": float(ancestor.version),
            "ancestor_score": fit.score,
            "ancestor_distance": float(fit.distance),
            "window_records": float(window.records),
        }
        reason = f"v{ancestor.version} judges the window within tolerance (score {fit.score:.3f})"
        stored = self.publisher.publish(
            copy,
            champion.version,
            "revert",
            artifacts=Artifacts(carry_from=ancestor.version),
            data_signature=node.data_signature if node is not None else None,
            parameters={"to_version": ancestor.version, "candidates": judged},
            metrics=metrics,
            reason=reason,
            event_id=event_id,
        )
        return RetrainOutcome("revert", stored.version, reason, metrics)

    # -- a challenger, validated; a repair when only its model falls short -----------------
    def _challenge(
        self,
        champion: Baseline,
        fits: Sequence[AncestorFit],
        current: Records,
        injected: Records,
        window: WindowProfile,
        event_id: str,
        rng: np.random.Generator,
        fine_tune: bool = False,
    ) -> RetrainOutcome:
        s = self.settings
        historical = self._sample(champion)
        cur_train, cur_hold = split(current, CURRENT_HOLDOUT, rng)
        hist_train, hist_hold = split(historical, HISTORICAL_HOLDOUT, rng)
        parts = [
            (hist_train, s.retrain_weight_historical),
            (cur_train, s.retrain_weight_current),
            (injected, s.retrain_weight_injected),
        ]
        data = mixture(parts, min(MAX_TRAINING_ROWS, sum(len(r) for r, _ in parts)), rng)
        if not data or not cur_hold:
            return RetrainOutcome("kept_champion", reason="too few records for a challenger")
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
        warm = champion_model.model if fine_tune and champion_model is not None else None
        model = train_synthesizer(challenger.schema, data, config, self.seed, warm_start=warm)
        how = "fine_tune" if model.info.get("warm_start") else "retrain"
        quality = model_quality(model, holdout, self.seed)
        metrics["challenger_quality"] = quality
        signature = _signature(
            data, window, historical=len(hist_train), current=len(cur_train), injected=len(injected)
        )
        params: dict[str, Any] = {
            "weights": [
                s.retrain_weight_historical,
                s.retrain_weight_current,
                s.retrain_weight_injected,
            ],
            "records": [len(hist_train), len(cur_train), len(injected)],
            "budget_seconds": s.retrain_budget_seconds,
            "seed": self.seed,
        }
        if how == "fine_tune":
            params["warm_start_from"] = champion.version

        def publish(baseline: Baseline, how: str, new_model: Synthesizer, why: str) -> int:
            return self.publisher.publish(
                baseline,
                champion.version,
                how,
                artifacts=Artifacts(model=new_model, sample=data, seed=self.seed),
                data_signature=signature,
                parameters=params,
                metrics=metrics,
                reason=why,
                event_id=event_id,
            ).version

        if quality >= floor:
            reason = (
                f"the challenger fits held-out current records better (distance "
                f"{fit.challenger:.3f} vs {fit.champion:.3f}) and its model quality "
                f"{quality:.3f} is at least {floor:.3f}"
            )
            version = publish(challenger, how, model, reason)
            return RetrainOutcome(how, version, reason, metrics)
        ancestor_model = self._ancestor_model(champion, fits)
        if champion_model is not None and ancestor_model is not None:
            validation, test = split(holdout, 0.5, rng)
            fixed = repair(champion_model, ancestor_model[1], validation, test, self.seed)
            if fixed is not None:
                metrics["repair_scale"] = fixed.scale
                metrics["repair_quality"] = fixed.test_quality
                repaired = rebuild(champion, data, f"repair after {event_id}")
                refit = fit_test(champion, repaired, cur_hold, self.seed)
                if fixed.test_quality >= floor and refit.better:
                    params.update(scale=fixed.scale, toward_version=ancestor_model[0])
                    reason = (
                        f"the challenger's model quality {quality:.3f} is below {floor:.3f}; "
                        f"the champion's model {fixed.scale} of the way toward "
                        f"v{ancestor_model[0]}'s scores {fixed.test_quality:.3f}"
                    )
                    version = publish(repaired, "repair", fixed.model, reason)
                    return RetrainOutcome("repair", version, reason, metrics)
        return RetrainOutcome(
            "kept_champion",
            reason=f"the challenger's model quality {quality:.3f} is below {floor:.3f} "
            "and no repair passed",
            metrics=metrics,
        )

    # -- helpers ----------------------------------------------------------------------------
    def _ancestor_model(
        self, champion: Baseline, fits: Sequence[AncestorFit]
    ) -> tuple[int, Synthesizer] | None:
        """The model of the best-fitting ancestor whose model is not the champion's."""
        try:
            own = self.models.load_model(champion.feed, champion.version)[0]
        except ArtifactError:
            return None
        for fit in fits:
            version = fit.baseline.version
            if not self.models.has_model(champion.feed, version):
                continue
            if self.models.load_model(champion.feed, version)[0] == own:
                continue
            model = self._model(fit.baseline)
            if model is not None:
                return version, model
        return None

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


def _signature(data: Records, window: WindowProfile, **parts: int) -> dict[str, Any]:
    span = (window.start_ms, window.end_ms) if window.end_ms else None
    return data_signature(data, time_range_ms=span, parts=parts)


def _misfits(fits: Sequence[AncestorFit]) -> str:
    """What each candidate finds drifted in the window (for the log)."""
    return (
        "; ".join(
            f"v{f.baseline.version}: "
            + ", ".join(sorted({f"{d.field}.{d.characteristic}" for d in f.report.findings})[:4])
            for f in fits
        )
        or "no earlier version"
    )
