"""Calibration: make the model's marginals exactly the training marginals, keep its joint.

After training, a large prior draw gives (1) per-segment logit offsets whose mean softmax
matches the training share of every slot (categories, nulls) and (2) the quantiles of each
continuous output among rows where the field is present. Sampling maps an output ``y`` to
its rank ``u`` under (2), then through the field's quantile function: ranks are uniform,
so the values follow the training (or, with drift, the mixture's) distribution while the
joint rank structure is the model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from app.synth.model import TabularVAE, fit_biases
from app.synth.transform import RANKS, Codec, positions

CALIBRATION_ROWS = 50_000


@dataclass(frozen=True)
class Calibration:
    grids: np.ndarray  # (C, GRID): quantiles of each continuous output where present
    biases: tuple[torch.Tensor, ...]  # per segment logit offsets

    def ranks(self, column: int, y: np.ndarray) -> np.ndarray:
        u: np.ndarray = np.interp(y, self.grids[column], RANKS)
        return u


def calibrate(
    model: TabularVAE, codecs: Sequence[Codec], seed: int, rows: int = CALIBRATION_ROWS
) -> Calibration:
    device = model.log_sigma.device
    gen = torch.Generator(device=device).manual_seed(seed)
    targets = [torch.as_tensor(p) for codec in codecs for p in codec.slot_probs]
    biases = fit_biases(model.segment_logits(rows, gen), targets)
    cont_t, slots_t = model.generate(rows, gen, biases)
    cont, slots = cont_t.double().cpu().numpy(), slots_t.cpu().numpy()
    grids = np.zeros((cont.shape[1], len(RANKS)))
    for column, segs in positions(codecs):
        if column is None:
            continue
        present = slots[:, segs[0]] == 0 if segs else np.ones(rows, bool)
        y = cont[present, column] if present.any() else cont[:, column]
        grids[column] = np.quantile(y, RANKS)
    return Calibration(grids, tuple(b.cpu() for b in biases))
