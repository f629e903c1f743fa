"""Privacy of synthetic records: distance to closest record (DCR) and exact copies.

Rows become vectors: a number is its rank among the training values (0..1) plus a null
flag, a category one-hot at weight 1/2 (a mismatch costs 1), text fields are left out.
With L1 distance, the *DCR share* is the fraction of synthetic rows nearer to a training
row than to a holdout row (as many of each; ties count half): about 50 % when the model
generalizes, toward 100 % when it memorizes. *Exact copies* count synthetic records equal
to a training record in every field, and in every modelled (non-text) field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from app.schema.model import FieldSpec, Schema
from app.synth.quality import scored
from app.synth.transform import category_key, epoch_seconds


def _numbers(spec: FieldSpec, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
    values = [r.get(spec.name) for r in rows]
    if spec.type == "timestamp":
        return epoch_seconds(values)
    return np.array([np.nan if v is None else float(v) for v in values])


def features(
    schema: Schema, reference: Sequence[Mapping[str, Any]], *tables: Sequence[Mapping[str, Any]]
) -> list[np.ndarray]:
    """Each table as vectors, ranks and categories taken from ``reference``."""
    parts: list[list[np.ndarray]] = [[] for _ in tables]
    for spec in schema.fields:
        if not scored(spec):
            continue
        if spec.kind in ("continuous", "timestamp"):
            ref = np.sort(_numbers(spec, reference))
            ref = ref[~np.isnan(ref)]
            for out, table in zip(parts, tables, strict=True):
                x = _numbers(spec, table)
                null = np.isnan(x)
                rank = np.searchsorted(ref, np.where(null, 0, x)) / max(len(ref), 1)
                out += [np.where(null, 0.0, rank), null.astype(np.float64)]
        else:
            labels = sorted({category_key(r.get(spec.name)) for r in reference})
            index = {k: i for i, k in enumerate(labels)}
            for out, table in zip(parts, tables, strict=True):
                onehot = np.zeros((len(table), len(labels) + 1))
                codes = [index.get(category_key(r.get(spec.name)), len(labels)) for r in table]
                onehot[np.arange(len(table)), codes] = 0.5
                out.append(onehot)
    return [
        np.column_stack(p) if p else np.zeros((len(t), 0))
        for p, t in zip(parts, tables, strict=True)
    ]


def dcr_share(
    schema: Schema,
    train: Sequence[Mapping[str, Any]],
    holdout: Sequence[Mapping[str, Any]],
    synth: Sequence[Mapping[str, Any]],
    seed: int = 0,
) -> float:
    rng = np.random.default_rng(seed)
    m = min(len(train), len(holdout))
    if m == 0 or not synth:
        return float("nan")
    picked = [train[i] for i in rng.choice(len(train), size=m, replace=False).tolist()]
    held = [holdout[i] for i in rng.choice(len(holdout), size=m, replace=False).tolist()]
    f_train, f_hold, f_synth = features(schema, picked, picked, held, synth)
    d_train = cKDTree(f_train).query(f_synth, k=1, p=1)[0]
    d_hold = cKDTree(f_hold).query(f_synth, k=1, p=1)[0]
    closer = (d_train < d_hold).mean() + 0.5 * (d_train == d_hold).mean()
    return float(closer)


def _key(row: Mapping[str, Any], names: Sequence[str]) -> tuple[str | None, ...]:
    return tuple(None if row.get(n) is None else category_key(row.get(n)) for n in names)


def exact_copies(
    schema: Schema, train: Sequence[Mapping[str, Any]], synth: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    every = schema.names
    modelled = [s.name for s in schema.fields if scored(s)]
    out = {}
    for label, names in (("all_fields", every), ("modelled_fields", modelled)):
        seen = {_key(r, names) for r in train}
        out[label] = sum(_key(r, names) in seen for r in synth)
    return out


def privacy_report(
    schema: Schema,
    train: Sequence[Mapping[str, Any]],
    holdout: Sequence[Mapping[str, Any]],
    synth: Sequence[Mapping[str, Any]],
    seed: int = 0,
) -> dict[str, Any]:
    return {
        "dcr_closer_to_training": dcr_share(schema, train, holdout, synth, seed),
        "exact_copies": exact_copies(schema, train, synth),
        "dcr_rows": len(synth),
    }
