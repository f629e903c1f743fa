"""Per-field codecs: records <-> the VAE's numeric space, and model slots back to values.

* numbers and timestamps: a quantile transform to normal scores (ties spread uniformly over
  their rank interval), decoded through the training quantile function and rounded to the
  training values' precision; a null head when nullable;
* categoricals (strings, bools, few-valued ints): one slot per top-K category, one "other"
  slot (decoded as one of the rarer categories by their frequency) and a null slot;
* text (IDs, free text): only a null head in the model; values come from ``TextModel``.

Every codec is fitted on training values, exposes its *segments* (softmax heads) and
*continuous* columns, and serializes as JSON metadata plus numpy arrays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from app.errors import ModelError
from app.schema.model import FieldSpec
from app.synth.text import TextModel

GRID = 1025
RANKS = np.linspace(0.0, 1.0, GRID)
CLIP_U = 1e-4
MAX_CATEGORIES = 64
MAX_TAIL = 2000
OTHER = "__other__"
NULL = "__null__"


def category_key(value: Any) -> str:
    """A category's label as profiles count it: 'true'/'false', '3' for 3 or 3.0, else str."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def epoch_seconds(values: Sequence[Any]) -> np.ndarray:
    """ISO strings or datetimes to epoch seconds (NaN where unparseable)."""
    parsed = pd.to_datetime(
        pd.Series(list(values), dtype=object), utc=True, errors="coerce", format="ISO8601"
    )
    out = np.full(len(values), np.nan)
    ok = parsed.notna().to_numpy()
    out[ok] = parsed[ok].dt.as_unit("ns").astype("int64").to_numpy() / 1e9
    return out


@dataclass(frozen=True)
class TimeFormat:
    """How the baseline writes timestamps: separator, fraction digits and zone suffix."""

    sep: str = "T"
    seconds: bool = True
    fraction: int = 0
    suffix: str = "Z"

    @classmethod
    def of(cls, example: Any) -> TimeFormat:
        if not isinstance(example, str) or len(example) < 16:
            return cls()
        rest = example[16:]
        seconds = rest.startswith(":")
        rest = rest[3:] if seconds else rest
        fraction = 0
        if rest.startswith("."):
            digits = len(rest) - len(rest[1:].lstrip("0123456789"))
            fraction, rest = digits - 1, rest[digits:]
        suffix = rest if rest in ("", "Z") else ("+00:00" if ":" in rest else "+0000")
        return cls(example[10], seconds, min(fraction, 9), suffix)

    def format(self, seconds: np.ndarray) -> np.ndarray:
        unit = "m" if not self.seconds else {0: "s", 3: "ms", 6: "us"}.get(self.fraction, "ns")
        stamps = (seconds * 1e9).astype("datetime64[ns]")
        text = np.datetime_as_string(stamps, unit=unit)  # type: ignore[call-overload]
        if unit == "ns" and self.fraction < 9:
            text = np.asarray([t[: len(t) - 9 + self.fraction] for t in text])
        if self.sep != "T":
            text = np.char.replace(text, "T", self.sep)
        return np.char.add(text, self.suffix).astype(object)


@dataclass(frozen=True)
class Segment:
    """A softmax head: one field's slots (categories, or present/null)."""

    name: str
    slots: int


@dataclass(frozen=True)
class NumericCodec:
    spec: FieldSpec
    quantiles: np.ndarray  # (GRID,) training quantile function at RANKS
    null_rate: float
    step: float  # values are multiples of this (0: no rounding)
    time_format: TimeFormat | None = None

    @property
    def segments(self) -> tuple[Segment, ...]:
        return (Segment(f"{self.spec.name}.null", 2),) if self.spec.nullable else ()

    @property
    def slot_probs(self) -> tuple[np.ndarray, ...]:
        return (np.array([1 - self.null_rate, self.null_rate]),) if self.spec.nullable else ()

    @classmethod
    def fit(cls, spec: FieldSpec, values: list[Any]) -> NumericCodec:
        x, nulls = numbers(spec.type, values)
        good = x[~nulls]
        if not len(good):
            raise ModelError(f"field {spec.name!r} has no values to learn from")
        fmt = None
        if spec.type == "timestamp":
            fmt = TimeFormat.of(next(v for v in values if v is not None))
        return cls(
            spec,
            np.quantile(good, RANKS),
            float(nulls.mean()) if spec.nullable else 0.0,
            _step(spec, good),
            fmt,
        )

    def encode(self, values: list[Any], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Normal scores (0 where null) and the null flags."""
        x, nulls = numbers(self.spec.type, values)
        xs = np.sort(x[~nulls])
        lo = np.searchsorted(xs, x, side="left") / max(len(xs), 1)
        hi = np.searchsorted(xs, x, side="right") / max(len(xs), 1)
        u = np.clip(lo + rng.random(len(x)) * (hi - lo), CLIP_U, 1 - CLIP_U)
        z = np.where(nulls, 0.0, ndtri(u))
        return z, nulls

    def decode(self, u: np.ndarray, quantiles: np.ndarray | None = None) -> np.ndarray:
        """Values at ranks ``u`` of the quantile function (the training one by default)."""
        x: np.ndarray = np.interp(u, RANKS, self.quantiles if quantiles is None else quantiles)
        return self.finish(x)

    def finish(self, x: np.ndarray) -> np.ndarray:
        """Rounded to the training values' precision, typed."""
        if 0 < self.step < 1:
            x = np.round(x, round(-np.log10(self.step)))
        elif self.step >= 1:
            x = np.round(x / self.step) * self.step
        return x.astype(np.int64) if self.spec.type == "int" else x

    def to_meta(self) -> dict[str, Any]:
        fmt = None if self.time_format is None else self.time_format.__dict__
        return {"null_rate": self.null_rate, "step": self.step, "time_format": fmt}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"quantiles": self.quantiles}

    @classmethod
    def from_parts(
        cls, spec: FieldSpec, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> NumericCodec:
        fmt = meta["time_format"]
        return cls(
            spec,
            arrays["quantiles"],
            float(meta["null_rate"]),
            float(meta["step"]),
            None if fmt is None else TimeFormat(**fmt),
        )


def numbers(ftype: str, values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Values as floats (timestamps as epoch seconds) and null (or unreadable) flags."""
    nulls = np.fromiter((v is None for v in values), bool, len(values))
    if ftype == "timestamp":
        x = epoch_seconds(values)
    else:
        x = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    bad = ~np.isfinite(x)
    return np.where(bad, 0.0, x), nulls | bad


def _step(spec: FieldSpec, x: np.ndarray) -> float:
    """The coarsest grid all training values sit on: 1 for ints, 60 for whole minutes..."""
    candidates: tuple[float, ...]
    if spec.type == "timestamp":
        candidates = (86400.0, 3600.0, 60.0, 1.0, 1e-3)
    elif spec.type == "int":
        candidates = (1.0,)
    else:
        candidates = (1.0, 0.1, 0.01, 0.001, 1e-4, 1e-5, 1e-6)
    for step in candidates:
        scaled = x / step
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6 * np.maximum(1, np.abs(scaled))):
            return step
    return 0.0


@dataclass(frozen=True)
class CategoricalCodec:
    spec: FieldSpec
    vocab: tuple[Any, ...]  # top categories, as typed values
    probs: np.ndarray  # (slots,) training shares: vocab..., other, [null]
    tail: tuple[Any, ...] = ()  # rarer categories, decoded from the "other" slot
    tail_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def segments(self) -> tuple[Segment, ...]:
        return (Segment(self.spec.name, len(self.probs)),)

    @property
    def slot_probs(self) -> tuple[np.ndarray, ...]:
        return (self.probs,)

    @property
    def other_slot(self) -> int:
        return len(self.vocab)

    @classmethod
    def fit(
        cls, spec: FieldSpec, values: list[Any], max_categories: int = MAX_CATEGORIES
    ) -> CategoricalCodec:
        counts = Counter(v for v in values if v is not None)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], category_key(kv[0])))
        top, rest = ranked[:max_categories], ranked[max_categories:][:MAX_TAIL]
        n = max(len(values), 1)
        probs = [c / n for _, c in top] + [sum(c for _, c in rest) / n]
        if spec.nullable:
            probs.append((len(values) - sum(counts.values())) / n)
        tail_w = np.array([c for _, c in rest], dtype=np.float64)
        return cls(
            spec,
            tuple(v for v, _ in top),
            np.array(probs),
            tuple(v for v, _ in rest),
            tail_w / tail_w.sum() if len(tail_w) else tail_w,
        )

    def typed(self, values: list[Any]) -> np.ndarray:
        """Values as an array of the type decoding gives (None as a zero value)."""
        zero = _zero(self.spec)
        return np.array([zero if v is None else v for v in values], dtype=_dtype(self.spec))

    def encode(self, values: list[Any]) -> np.ndarray:
        index = {category_key(v): i for i, v in enumerate(self.vocab)}
        null = len(self.probs) - 1
        return np.fromiter(
            (null if v is None else index.get(category_key(v), self.other_slot) for v in values),
            np.int64,
            len(values),
        )

    def decode(
        self,
        slots: np.ndarray,
        rng: np.random.Generator,
        tail: tuple[tuple[Any, ...], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Values (typed array), null flags, and the pool and codes the values are (values
        == pool[codes]); "other" draws from ``tail`` (default: own)."""
        values, weights = (self.tail, self.tail_weights) if tail is None else tail
        pool = np.array([*self.vocab, *values] or [_zero(self.spec)], dtype=_dtype(self.spec))
        idx = np.minimum(slots, self.other_slot)
        other = slots == self.other_slot
        if other.any() and len(values):
            idx[other] = self.other_slot + rng.choice(len(values), size=int(other.sum()), p=weights)
        elif other.any():  # no rarer categories: fall back to the most common one
            idx[other] = 0
        nulls = slots > self.other_slot
        idx[nulls] = 0
        return pool[idx], nulls, pool, idx

    def to_meta(self) -> dict[str, Any]:
        return {"vocab": list(self.vocab), "tail": list(self.tail)}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"probs": self.probs, "tail_weights": self.tail_weights}

    @classmethod
    def from_parts(
        cls, spec: FieldSpec, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> CategoricalCodec:
        return cls(
            spec,
            tuple(meta["vocab"]),
            arrays["probs"],
            tuple(meta["tail"]),
            arrays["tail_weights"],
        )


def _dtype(spec: FieldSpec) -> Any:
    return {"bool": np.bool_, "int": np.int64, "float": np.float64}.get(spec.type, object)


def _zero(spec: FieldSpec) -> Any:
    return {"bool": False, "int": 0, "float": 0.0}.get(spec.type, "")


@dataclass(frozen=True)
class TextCodec:
    spec: FieldSpec
    model: TextModel
    null_rate: float

    @property
    def segments(self) -> tuple[Segment, ...]:
        return (Segment(f"{self.spec.name}.null", 2),) if self.spec.nullable else ()

    @property
    def slot_probs(self) -> tuple[np.ndarray, ...]:
        return (np.array([1 - self.null_rate, self.null_rate]),) if self.spec.nullable else ()

    @classmethod
    def fit(cls, spec: FieldSpec, values: list[Any]) -> TextCodec:
        strings = [v for v in values if isinstance(v, str)]
        null_rate = 1 - len(strings) / max(len(values), 1) if spec.nullable else 0.0
        return cls(spec, TextModel.fit(strings), null_rate)

    def to_meta(self) -> dict[str, Any]:
        return {"null_rate": self.null_rate, **self.model.to_meta()}

    def arrays(self) -> dict[str, np.ndarray]:
        return self.model.arrays()

    @classmethod
    def from_parts(
        cls, spec: FieldSpec, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> TextCodec:
        return cls(spec, TextModel.from_parts(meta, arrays), float(meta["null_rate"]))


Codec = NumericCodec | CategoricalCodec | TextCodec
CODEC_KINDS: dict[str, type[NumericCodec] | type[CategoricalCodec] | type[TextCodec]] = {
    "numeric": NumericCodec,
    "categorical": CategoricalCodec,
    "text": TextCodec,
}


def codec_kind(codec: Codec) -> str:
    return next(k for k, cls in CODEC_KINDS.items() if isinstance(codec, cls))


def fit_codec(spec: FieldSpec, values: list[Any], max_categories: int = MAX_CATEGORIES) -> Codec:
    if spec.kind == "categorical" or spec.type == "bool":
        return CategoricalCodec.fit(spec, values, max_categories)
    if spec.kind == "text" or spec.type == "string":
        return TextCodec.fit(spec, values)
    return NumericCodec.fit(spec, values)


def columns_of(records: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    return {name: [r.get(name) for r in records] for name in names}


@dataclass(frozen=True)
class Encoded:
    """Training matrix parts: normal scores, which of them are real, and slot indices."""

    cont: np.ndarray  # (n, C) float32
    present: np.ndarray  # (n, C) bool
    slots: np.ndarray  # (n, S) int64


def encode(codecs: Sequence[Codec], columns: Mapping[str, list[Any]], seed: int) -> Encoded:
    rng = np.random.default_rng(seed)
    n = len(next(iter(columns.values()))) if columns else 0
    cont, present, slots = [], [], []
    for codec in codecs:
        values = columns[codec.spec.name]
        if isinstance(codec, NumericCodec):
            z, nulls = codec.encode(values, rng)
            cont.append(z)
            present.append(~nulls)
            if codec.spec.nullable:
                slots.append(nulls.astype(np.int64))
        elif isinstance(codec, CategoricalCodec):
            slots.append(codec.encode(values))
        elif codec.spec.nullable:
            slots.append(np.fromiter((v is None for v in values), np.int64, n))
    return Encoded(
        np.stack(cont, axis=1).astype(np.float32) if cont else np.zeros((n, 0), np.float32),
        np.stack(present, axis=1) if present else np.zeros((n, 0), bool),
        np.stack(slots, axis=1) if slots else np.zeros((n, 0), np.int64),
    )


def positions(codecs: Sequence[Codec]) -> list[tuple[int | None, tuple[int, ...]]]:
    """Per codec: its continuous column (numbers only) and its segments' indices."""
    out: list[tuple[int | None, tuple[int, ...]]] = []
    c = s = 0
    for codec in codecs:
        column = None
        if isinstance(codec, NumericCodec):
            column, c = c, c + 1
        out.append((column, tuple(range(s, s + len(codec.segments)))))
        s += len(codec.segments)
    return out
