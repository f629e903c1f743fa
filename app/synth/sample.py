"""Batched sampling: prior draws -> decoder -> calibrated ranks -> typed columns.

Everything random comes from one seed: a ``torch.Generator`` for the model's draws and a
``numpy.random.Generator`` for the decoding (rarer categories, text).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from app.synth.calibrate import Calibration
from app.synth.columns import Column, Columns, concat
from app.synth.drift import DriftPlan
from app.synth.model import TabularVAE, fit_biases
from app.synth.transform import CategoricalCodec, Codec, NumericCodec, TextCodec, positions

BATCH = 65_536
BIAS_ROWS = 20_000


def drift_biases(
    model: TabularVAE, calibration: Calibration, plan: DriftPlan, seed: int
) -> tuple[torch.Tensor, ...]:
    """The calibration's offsets, refitted for the segments whose shares the plan moves."""
    if not plan.slot_targets:
        return calibration.biases
    gen = torch.Generator(device=model.log_sigma.device).manual_seed(seed)
    logits = model.segment_logits(BIAS_ROWS, gen)
    moved = sorted(plan.slot_targets)
    fitted = fit_biases(
        [logits[j] for j in moved], [torch.as_tensor(plan.slot_targets[j]) for j in moved]
    )
    biases = list(calibration.biases)
    for j, b in zip(moved, fitted, strict=True):
        biases[j] = b.cpu()
    return tuple(biases)


def decode_batch(
    codecs: Sequence[Codec],
    calibration: Calibration,
    cont: np.ndarray,
    slots: np.ndarray,
    plan: DriftPlan,
    rng: np.random.Generator,
) -> Columns:
    n = len(slots)
    out: Columns = {}
    for codec, (column, segs) in zip(codecs, positions(codecs), strict=True):
        name = codec.spec.name
        nulls = slots[:, segs[0]] == 1 if segs and not isinstance(codec, CategoricalCodec) else None
        if isinstance(codec, NumericCodec):
            assert column is not None
            u = calibration.ranks(column, cont[:, column])
            out[name] = Column(codec.decode(u, plan.quantiles.get(name)), _flags(nulls, n))
        elif isinstance(codec, CategoricalCodec):
            values, cat_nulls = codec.decode(slots[:, segs[0]], rng, plan.tails.get(name))
            out[name] = Column(values, cat_nulls)
        elif isinstance(codec, TextCodec):
            flags = _flags(nulls, n)
            values = np.full(n, "", dtype=object)
            keep = np.flatnonzero(~flags)
            values[keep] = codec.model.sample(len(keep), rng)
            out[name] = Column(values, flags)
    return out


def _flags(nulls: np.ndarray | None, n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool) if nulls is None else nulls


def draw(
    model: TabularVAE,
    codecs: Sequence[Codec],
    calibration: Calibration,
    n: int,
    plan: DriftPlan,
    seed: int,
    batch: int = BATCH,
) -> Columns:
    """``n`` rows as columns (not yet validated)."""
    device = model.log_sigma.device
    gen = torch.Generator(device=device).manual_seed(seed)
    rng = np.random.default_rng(seed)
    biases = [b.to(device) for b in drift_biases(model, calibration, plan, seed + 1)]
    parts: list[Columns] = []
    model.eval()
    for start in range(0, n, batch) if n else [0]:
        m = min(batch, n - start)
        cont_t, slots_t = model.generate(m, gen, biases)
        cont = cont_t.double().cpu().numpy()
        parts.append(decode_batch(codecs, calibration, cont, slots_t.cpu().numpy(), plan, rng))
    return concat(parts)
