"""Batched sampling: prior draws -> decoder -> calibrated ranks -> typed columns.

Everything random comes from one seed: a ``torch.Generator`` for the model's draws and a
``numpy.random.Generator`` for the decoding (rarer categories, text).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from app.synth.calibrate import Calibration
from app.synth.columns import Column, Columns
from app.synth.drift import DriftPlan
from app.synth.model import TabularVAE, fit_biases, torch_threads
from app.synth.transform import CategoricalCodec, Codec, NumericCodec, TextCodec, positions

BATCH = 16_384
BIAS_ROWS = 20_000


BIAS_SEED = 7  # the fit is a property of the model and the plan, not of a sample's seed


def plan_key(plan: DriftPlan) -> bytes:
    """What the bias fit depends on: the plan's target shares per moved segment."""
    digest = hashlib.blake2b(digest_size=16)
    for seg in sorted(plan.slot_targets):
        digest.update(seg.to_bytes(4, "big"))
        digest.update(np.ascontiguousarray(plan.slot_targets[seg], dtype=np.float64).tobytes())
    return digest.digest()


def drift_biases(
    model: TabularVAE, calibration: Calibration, plan: DriftPlan
) -> tuple[torch.Tensor, ...]:
    """The calibration's offsets, refitted for the segments whose shares the plan moves."""
    if not plan.slot_targets:
        return calibration.biases
    gen = torch.Generator(device=model.log_sigma.device).manual_seed(BIAS_SEED)
    logits = model.segment_logits(BIAS_ROWS, gen)
    moved = sorted(plan.slot_targets)
    fitted = fit_biases(
        [logits[j] for j in moved], [torch.as_tensor(plan.slot_targets[j]) for j in moved]
    )
    biases = list(calibration.biases)
    for j, b in zip(moved, fitted, strict=True):
        biases[j] = b.cpu()
    return tuple(biases)


def value_tables(
    codecs: Sequence[Codec], calibration: Calibration, plan: DriftPlan
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per continuous column: the calibration grid (model output at each rank) and the
    quantile function to read those ranks through (the training one, or the plan's)."""
    quantiles = [
        plan.quantiles.get(c.spec.name, c.quantiles) for c in codecs if isinstance(c, NumericCodec)
    ]
    width = calibration.grids.shape[1]
    table = np.stack(quantiles) if quantiles else np.zeros((0, width))
    return torch.from_numpy(calibration.grids), torch.from_numpy(table)


def read_through(grids: torch.Tensor, table: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Each column of ``y`` mapped through its piecewise-linear (grid -> table) function."""
    if not len(grids):
        return np.zeros((len(y), 0))
    yt = y.double().T.contiguous()
    hi = torch.searchsorted(grids, yt).clamp_(1, grids.shape[1] - 1)
    lo = hi - 1
    g0, g1 = grids.gather(1, lo), grids.gather(1, hi)
    q0, q1 = table.gather(1, lo), table.gather(1, hi)
    w = ((yt - g0) / (g1 - g0).clamp_min(1e-300)).clamp_(0, 1)
    out: np.ndarray = (q0 + w * (q1 - q0)).T.numpy()
    return out


def decode_batch(
    codecs: Sequence[Codec],
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
            out[name] = Column(codec.finish(cont[:, column]), _flags(nulls, n))
        elif isinstance(codec, CategoricalCodec):
            values, cat_nulls, pool, codes = codec.decode(
                slots[:, segs[0]], rng, plan.tails.get(name)
            )
            out[name] = Column(values, cat_nulls, codes, pool)
        elif isinstance(codec, TextCodec):
            flags = _flags(nulls, n)
            values = np.full(n, "", dtype=object)
            keep = np.flatnonzero(~flags)
            values[keep] = codec.model.sample(len(keep), rng, plan.lengths.get(name), plan.alpha)
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
    fitted: Sequence[torch.Tensor] | None = None,
) -> Iterator[Columns]:
    """``n`` rows as batches of columns (not yet validated); ``fitted``: the plan's
    ``drift_biases`` if the caller has them already."""
    device = model.log_sigma.device
    gen = torch.Generator(device=device).manual_seed(seed)
    rng = np.random.default_rng(seed)
    if fitted is None:
        fitted = drift_biases(model, calibration, plan)
    biases = [b.to(device) for b in fitted]
    sizes = [min(batch, n - start) for start in range(0, n, batch)] or [0]
    model.eval()

    grids, table = value_tables(codecs, calibration, plan)

    def generate(m: int) -> tuple[torch.Tensor, np.ndarray]:
        cont, slots = model.generate(m, gen, biases)
        return cont.cpu(), slots.cpu().numpy()

    # a two-stage pipeline: the model draws batch k+1 (torch, GIL released) while the caller
    # reads batch k through the quantiles, decodes and checks it; one worker keeps the draws
    # in order (timing-independent). The caller's stage takes a core, so torch gets one less
    # (measured on 2 cores: 1 torch thread samples about a tenth faster than 2)
    spare = max(1, torch.get_num_threads() - 1)
    with ThreadPoolExecutor(max_workers=1) as pool, torch_threads(spare):
        pending = pool.submit(generate, sizes[0])
        for k in range(len(sizes)):
            cont, slots = pending.result()
            if k + 1 < len(sizes):
                pending = pool.submit(generate, sizes[k + 1])
            yield decode_batch(codecs, read_through(grids, table, cont), slots, plan, rng)
