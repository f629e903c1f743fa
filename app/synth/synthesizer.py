"""Synthesizer: a trained VAE with its field codecs and calibration; the engine's front door.

synth = train_synthesizer(schema, records, TrainConfig(budget_seconds=30), seed=1)
rows = synth.sample(1_000, seed=7)                              # baseline-like records
rows = synth.sample(1_000, alpha=0.5, target=window, seed=7)    # halfway to ``window``
mid = interpolate(old, new, 0.5)                                # parameters in between
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from app.errors import ModelError
from app.profile.window import WindowProfile
from app.repository.models import ModelRepository
from app.schema.model import Schema
from app.synth.calibrate import Calibration, calibrate
from app.synth.columns import Columns, concat, size, take, to_records
from app.synth.copies import column_hashes, is_copy
from app.synth.drift import DriftPlan, plan_drift
from app.synth.model import TabularVAE
from app.synth.sample import draw, drift_biases, plan_key
from app.synth.transform import CategoricalCodec, Codec, NumericCodec, TextCodec
from app.synth.validate import Constraint, ValidationReport, constraints, validate

MAX_ROUNDS = 20
FITS_KEPT = 8  # bias fits remembered per model (consecutive injection windows share one)
COPY = "copy_of_training_row"


@dataclass(frozen=True)
class Sample:
    """Validated rows as columns, the validation counts, and the codecs to make records."""

    columns: Columns
    report: ValidationReport
    codecs: tuple[Codec, ...]

    def records(self) -> list[dict[str, Any]]:
        return to_records(self.columns, self.codecs)


@dataclass(frozen=True)
class Synthesizer:
    schema: Schema
    codecs: tuple[Codec, ...]
    model: TabularVAE
    calibration: Calibration
    info: Mapping[str, Any] = field(default_factory=dict)  # training facts (seed, epochs, ...)
    memory: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))  # row hashes
    _fits: dict[bytes, tuple[torch.Tensor, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def _biases(self, plan: DriftPlan) -> tuple[torch.Tensor, ...]:
        """The plan's fitted logit offsets, remembered for the last few plans: the window
        an injection bridges from was the previous request's target."""
        key = plan_key(plan)
        fitted = self._fits.get(key)
        if fitted is None:
            fitted = drift_biases(self.model, self.calibration, plan)
            while len(self._fits) >= FITS_KEPT:
                self._fits.pop(next(iter(self._fits)))
            self._fits[key] = fitted
        return fitted

    def sample_columns(
        self,
        n: int,
        *,
        alpha: float = 0.0,
        target: WindowProfile | None = None,
        seed: int = 0,
    ) -> Sample:
        """``n`` rows that pass validation; rejected rows are replaced by fresh draws."""
        if n < 0:
            raise ModelError(f"cannot sample {n} rows")
        plan = plan_drift(self.codecs, alpha, target)
        rules = constraints(self.codecs, plan)
        report = ValidationReport()
        fitted = self._biases(plan)
        parts: list[Columns] = []
        got = 0
        for attempt in range(MAX_ROUNDS):
            need = n - got if attempt == 0 else max(2 * (n - got), 1_024)
            stream = seed + 104_729 * attempt
            drawn_batches = draw(
                self.model, self.codecs, self.calibration, need, plan, stream, fitted=fitted
            )
            for drawn in drawn_batches:
                columns, keep = self._check(drawn, rules, report)
                parts.append(columns if keep.all() else take(columns, np.flatnonzero(keep)))
                got += int(keep.sum())
            if got >= n:
                break
        else:
            raise ModelError(f"only {got} of {n} sampled rows passed validation")
        columns = concat(parts)
        if size(columns) > n:
            columns = take(columns, slice(0, n))
        return Sample(columns, report, self.codecs)

    def _check(
        self, drawn: Columns, rules: Mapping[str, Constraint], report: ValidationReport
    ) -> tuple[Columns, np.ndarray]:
        """Validate a batch and drop copies of training rows; counts go to ``report``."""
        columns, keep, checked = validate(drawn, rules)
        copies = keep & is_copy(column_hashes(self.codecs, columns), self.memory)
        if copies.any():
            keep &= ~copies
            checked.kept -= int(copies.sum())
            checked.rejected[COPY] += int(copies.sum())
        report.add(checked)
        return columns, keep

    def sample(
        self,
        n: int,
        *,
        alpha: float = 0.0,
        target: WindowProfile | None = None,
        seed: int = 0,
    ) -> list[dict[str, Any]]:
        """``n`` records conforming to the schema, ``alpha`` of the way toward ``target``."""
        return self.sample_columns(n, alpha=alpha, target=target, seed=seed).records()

    @classmethod
    def load(cls, repo: ModelRepository, feed: str, version: int | None = None) -> Synthesizer:
        """The stored model of a baseline version (default: current); see ``artifacts``."""
        from app.synth.artifacts import load_synthesizer

        return load_synthesizer(repo, feed, version)

    def save(self, repo: ModelRepository, feed: str, version: int) -> None:
        from app.synth.artifacts import save_synthesizer

        save_synthesizer(repo, feed, version, self)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def with_state_dict(self, state: Mapping[str, torch.Tensor], seed: int = 0) -> Synthesizer:
        """The same codecs with other parameters (recalibrated for them)."""
        model = TabularVAE(self.model.arch)
        try:
            model.load_state_dict(dict(state), strict=True)
        except RuntimeError as exc:
            raise ModelError(f"parameters do not fit this model: {exc}") from exc
        model.eval()
        calibration = calibrate(model, self.codecs, seed)
        return replace(self, model=model, calibration=calibration, _fits={})


def interpolate(a: Synthesizer, b: Synthesizer, t: float, seed: int = 0) -> Synthesizer:
    """The model ``t`` of the way from ``a`` to ``b`` (same architecture and categories):
    parameters and marginals (quantile functions, category and null shares) interpolated."""
    if not 0.0 <= t <= 1.0:
        raise ModelError(f"t must be within [0, 1], not {t}")
    if a.model.arch != b.model.arch or a.schema != b.schema:
        raise ModelError("models to interpolate need the same schema and architecture")
    sa, sb = a.model.state_dict(), b.model.state_dict()
    state = {k: (1 - t) * sa[k] + t * sb[k] for k in sa}
    codecs = tuple(_mix_codec(ca, cb, t) for ca, cb in zip(a.codecs, b.codecs, strict=True))
    memory = np.union1d(a.memory, b.memory)
    mixed = replace(a, codecs=codecs, info={**a.info, "interpolated": t}, memory=memory)
    return mixed.with_state_dict(state, seed)


def _mix_codec(a: Codec, b: Codec, t: float) -> Codec:
    if isinstance(a, NumericCodec) and isinstance(b, NumericCodec):
        return replace(
            a,
            quantiles=(1 - t) * a.quantiles + t * b.quantiles,
            null_rate=(1 - t) * a.null_rate + t * b.null_rate,
        )
    if isinstance(a, CategoricalCodec) and isinstance(b, CategoricalCodec):
        if a.vocab != b.vocab:
            raise ModelError(f"field {a.spec.name!r} has other categories in the two models")
        return replace(a if t < 0.5 else b, probs=(1 - t) * a.probs + t * b.probs)
    if isinstance(a, TextCodec) and isinstance(b, TextCodec):
        return replace(a if t < 0.5 else b, null_rate=(1 - t) * a.null_rate + t * b.null_rate)
    raise ModelError(f"field {a.spec.name!r} is encoded differently in the two models")
