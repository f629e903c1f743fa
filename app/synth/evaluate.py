"""Train with a held-out share and measure: the figures ``driftmend synth report`` prints."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from app.schema.model import Schema
from app.synth.privacy import exact_copies, privacy_report
from app.synth.quality import quality_report
from app.synth.synthesizer import Synthesizer
from app.synth.train import TrainConfig, train_synthesizer

HOLDOUT_SHARE = 0.2
MAX_HOLDOUT = 10_000
PRIVACY_ROWS = 1_000


def split(
    records: Sequence[Mapping[str, Any]], seed: int, share: float = HOLDOUT_SHARE
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(training, holdout): a seeded shuffle; the holdout is ``share`` of it, at most 10,000."""
    order = np.random.default_rng(seed).permutation(len(records)).tolist()
    cut = min(int(len(records) * share), MAX_HOLDOUT)
    return [records[i] for i in order[cut:]], [records[i] for i in order[:cut]]


def evaluate(
    synth: Synthesizer,
    train: Sequence[Mapping[str, Any]],
    holdout: Sequence[Mapping[str, Any]],
    seed: int = 0,
) -> dict[str, Any]:
    """Quality against the holdout and privacy against training and holdout rows."""
    started = time.perf_counter()
    sample = synth.sample_columns(max(len(holdout), 1_000), seed=seed + 17)
    synthetic = sample.records()
    quality = quality_report(synth.schema, holdout, synthetic)
    privacy = privacy_report(synth.schema, train, holdout, synthetic[:PRIVACY_ROWS], seed)
    privacy["exact_copies"] = exact_copies(synth.schema, train, synthetic)
    privacy["exact_copies_checked"] = len(synthetic)
    return {
        "quality": quality,
        "privacy": privacy,
        "validation": sample.report.to_dict(),
        "holdout_rows": len(holdout),
        "seconds": round(time.perf_counter() - started, 3),
    }


def train_and_evaluate(
    schema: Schema,
    records: Sequence[Mapping[str, Any]],
    config: TrainConfig | None = None,
    seed: int = 0,
    progress: bool = False,
) -> Synthesizer:
    """Train on all but a holdout, evaluate on it; the figures go into ``info['report']``."""
    train, holdout = split(records, seed)
    synth = train_synthesizer(schema, train, config, seed, progress)
    if not holdout:
        return synth
    report = evaluate(synth, train, holdout, seed)
    return replace(synth, info={**synth.info, "report": report})
