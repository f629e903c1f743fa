"""Every sampled row is checked against the schema and the baseline's constraints.

Constraints: the field's type and nullability (schema), the string lengths (schema), the
value range and the category set (training data); the last three widened by a drift
target's. Out-of-range numbers are clipped and non-integral ints rounded (*repaired*);
rows with a null where none is allowed, an unknown category, a wrong length or a non-finite
number are *rejected*. Both are counted per field. ``record_problems`` checks one finished
record on its own, as a consumer would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from app.schema.infer import value_type
from app.schema.model import FieldSpec
from app.synth.columns import Column, Columns
from app.synth.drift import DriftPlan
from app.synth.transform import (
    CategoricalCodec,
    Codec,
    NumericCodec,
    category_key,
    epoch_seconds,
)


@dataclass(frozen=True)
class Constraint:
    spec: FieldSpec
    low: float | None = None
    high: float | None = None
    categories: frozenset[str] | None = None  # category_key labels
    members: tuple[Any, ...] = ()  # the same categories as typed values
    lengths: tuple[int, int] | None = None  # string lengths allowed (None: the schema's)

    @cached_property
    def member_set(self) -> frozenset[Any]:
        return frozenset(self.members)


@dataclass
class ValidationReport:
    checked: int = 0
    kept: int = 0
    repaired: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def rejected_rows(self) -> int:
        return self.checked - self.kept

    def add(self, other: ValidationReport) -> None:
        self.checked += other.checked
        self.kept += other.kept
        self.repaired += other.repaired
        self.rejected += other.rejected

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "kept": self.kept,
            "rejected_rows": self.rejected_rows,
            "repaired": dict(self.repaired),
            "rejected": dict(self.rejected),
        }


def constraints(codecs: Sequence[Codec], plan: DriftPlan) -> dict[str, Constraint]:
    out: dict[str, Constraint] = {}
    for codec in codecs:
        spec = codec.spec
        if isinstance(codec, NumericCodec):
            moved = plan.quantiles.get(spec.name)
            low, high = float(codec.quantiles[0]), float(codec.quantiles[-1])
            if moved is not None:
                low, high = min(low, float(moved[0])), max(high, float(moved[-1]))
            out[spec.name] = Constraint(spec, low, high)
        elif isinstance(codec, CategoricalCodec):
            extra = plan.tails.get(spec.name, ((), np.zeros(0)))[0]
            members = (*codec.vocab, *codec.tail, *extra)
            labels = frozenset(category_key(v) for v in members)
            out[spec.name] = Constraint(spec, categories=labels, members=members)
        else:
            lo, hi = _length_range(spec)
            toward = plan.lengths.get(spec.name)
            if toward is not None:  # widened by the drift target's lengths
                seen = np.flatnonzero(toward > 0)
                lo, hi = min(lo, int(seen[0])), max(hi, int(seen[-1]))
            out[spec.name] = Constraint(spec, lengths=(lo, hi))
    return out


def _wrong(values: np.ndarray, rule: Constraint) -> np.ndarray:
    """Values that are no category of the rule or have a length outside its range."""
    wrong = np.zeros(len(values), dtype=bool)
    if rule.categories is not None:
        wrong |= ~_members(values, rule)
    if rule.spec.type == "string":
        lengths = _lengths(values)
        lo, hi = rule.lengths or _length_range(rule.spec)
        wrong |= (lengths < lo) | (lengths > hi)
    return wrong


SET_LOOKUP_MAX = 1_024  # object arrays up to this size: a set lookup per value beats pandas


def _members(values: np.ndarray, rule: Constraint) -> np.ndarray:
    if values.dtype == object:  # hash lookups; numpy's isin sorts object arrays
        if len(values) <= SET_LOOKUP_MAX:  # a category pool: pandas' set-up would dominate
            return np.fromiter(map(rule.member_set.__contains__, values), bool, len(values))
        known: np.ndarray = pd.Series(values, dtype=object).isin(rule.members).to_numpy()
        return known
    return np.isin(values, np.array(rule.members, dtype=values.dtype))


def _lengths(values: np.ndarray) -> np.ndarray:
    """String lengths (-1 for anything that is not a string)."""
    try:
        if all(map(str.__instancecheck__, values)):
            return np.fromiter(map(len, values), np.int64, len(values))
    except TypeError:
        pass
    n = len(values)
    return np.fromiter((len(v) if isinstance(v, str) else -1 for v in values), np.int64, n)


def _length_range(spec: FieldSpec) -> tuple[int, int]:
    lo = spec.min_length if spec.min_length is not None else 0
    return lo, spec.max_length if spec.max_length is not None else 2**62


def validate(
    columns: Columns, rules: Mapping[str, Constraint]
) -> tuple[Columns, np.ndarray, ValidationReport]:
    """Repaired columns, the mask of rows to keep and the counts."""
    n = len(next(iter(columns.values())).values) if columns else 0
    keep = np.ones(n, dtype=bool)
    report = ValidationReport(checked=n)
    out: Columns = {}
    for name, rule in rules.items():
        col = columns[name]
        values, nulls = col.values, col.nulls
        bad = nulls.copy() if not rule.spec.nullable else np.zeros(n, bool)
        live = ~nulls
        if rule.low is not None and rule.high is not None:
            x = values.astype(np.float64)
            bad |= live & ~np.isfinite(x)
            outside = live & np.isfinite(x) & ((x < rule.low) | (x > rule.high))
            if rule.spec.type == "int":
                outside |= live & np.isfinite(x) & (x != np.round(x))
            if outside.any():
                report.repaired[name] += int(outside.sum())
                fixed = np.clip(x, rule.low, rule.high)
                if rule.spec.type == "int":
                    values = np.round(fixed).astype(np.int64)
                else:
                    values = np.where(outside, fixed, x)
        if rule.categories is not None or rule.spec.type == "string":
            if col.codes is not None and col.pool is not None and values is col.values:
                bad |= live & _wrong(col.pool, rule)[col.codes]  # once per category
            else:
                bad |= live & _wrong(values, rule)
        report.rejected[name] += int(bad.sum())
        keep &= ~bad
        out[name] = col if values is col.values else Column(values, nulls)
    report.kept = int(keep.sum())
    return out, keep, report


def record_problems(record: Mapping[str, Any], rules: Mapping[str, Constraint]) -> list[str]:
    """What is wrong with one record (empty: it conforms), checked value by value."""
    problems = [f"unknown field {k!r}" for k in record if k not in rules]
    for name, rule in rules.items():
        spec = rule.spec
        if name not in record:
            if spec.required:
                problems.append(f"{name}: missing")
            continue
        value = record[name]
        observed = value_type(value)
        if not spec.accepts(observed):
            problems.append(f"{name}: {observed} where the schema says {spec.type}")
            continue
        if value is None:
            continue
        if rule.low is not None and rule.high is not None:
            number = epoch_seconds([value])[0] if spec.type == "timestamp" else float(value)
            if not rule.low <= number <= rule.high:
                problems.append(f"{name}: {value} outside [{rule.low}, {rule.high}]")
        if rule.categories is not None and category_key(value) not in rule.categories:
            problems.append(f"{name}: unknown category {value!r}")
        if isinstance(value, str):
            lo, hi = rule.lengths or _length_range(spec)
            if not lo <= len(value) <= hi:
                problems.append(f"{name}: length {len(value)} outside [{lo}, {hi}]")
    return problems
