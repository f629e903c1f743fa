"""FieldProfile: the mergeable summary of one field over some records.

Built on Apache DataSketches: KLL quantiles for numbers and string lengths, HLL distinct
counts, frequent items for categories; plus exact counts (present, nulls, per type), sums for
the mean and a histogram on fixed edges (the baseline's quantiles) for PSI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import datasketches as ds
import numpy as np
import pybase64

from app.errors import SketchError

KLL_K = 200
HLL_LG_K = 12
ITEMS_LG_MAX_K = 10


def _b64(sketch: Any) -> str | None:
    if sketch is None:
        return None
    raw = sketch.serialize_compact() if hasattr(sketch, "serialize_compact") else sketch.serialize()
    return pybase64.b64encode(raw).decode("ascii")


def _load(cls: Any, data: str | None) -> Any:
    return None if data is None else cls.deserialize(pybase64.b64decode(data, validate=True))


def _merged(new: Callable[[], Any], sketches: Iterable[Any]) -> Any:
    """A new sketch with every given one merged in; None if none is given (None skipped)."""
    present = [s for s in sketches if s is not None]
    if not present:
        return None
    out = new()
    for part in present:
        out.merge(part)
    return out


def _merged_hll(sketches: Iterable[Any]) -> Any:
    present = [s for s in sketches if s is not None]
    if not present:
        return None
    union = ds.hll_union(HLL_LG_K)
    for part in present:
        union.update(part)
    return union.get_result(ds.tgt_hll_type.HLL_4)


def _new_kll() -> Any:
    return ds.kll_doubles_sketch(KLL_K)


def _new_items() -> Any:
    return ds.frequent_strings_sketch(ITEMS_LG_MAX_K)


@dataclass
class FieldProfile:
    count: int = 0
    nulls: int = 0
    types: Counter[str] = field(default_factory=Counter)
    numbers: Any = None  # kll_doubles_sketch of numeric values (timestamps as epoch seconds)
    total: float = 0.0
    total_sq: float = 0.0
    edges: tuple[float, ...] | None = None
    hist: np.ndarray | None = None  # counts in (-inf, e0], (e0, e1], ..., (e_last, inf)
    items: Any = None  # frequent_strings_sketch of categorical values
    lengths: Any = None  # kll_doubles_sketch of string lengths
    distinct: Any = None  # hll_sketch of non-null values
    adwin_alarms: int = 0

    # -- derived values -------------------------------------------------------------------
    @property
    def non_null(self) -> int:
        return self.count - self.nulls

    @property
    def null_rate(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    @property
    def numeric_count(self) -> int:
        return 0 if self.numbers is None else int(self.numbers.n)

    @property
    def mean(self) -> float:
        n = self.numeric_count
        return self.total / n if n else float("nan")

    @property
    def std(self) -> float:
        n = self.numeric_count
        if n < 2:
            return float("nan")
        var = max(self.total_sq / n - (self.total / n) ** 2, 0.0)
        return float(np.sqrt(var * n / (n - 1)))

    def distinct_estimate(self) -> float:
        return 0.0 if self.distinct is None else float(self.distinct.get_estimate())

    def category_counts(self) -> dict[str, float]:
        """Estimated count per frequent category (exact while few categories are seen)."""
        if self.items is None:
            return {}
        rows = self.items.get_frequent_items(ds.frequent_items_error_type.NO_FALSE_NEGATIVES)
        return {item: float(est) for item, est, _lo, _hi in rows}

    # -- value semantics ------------------------------------------------------------------
    def merge(self, other: FieldProfile) -> FieldProfile:
        return FieldProfile.merged([self, other])

    @classmethod
    def merged(cls, profiles: Sequence[FieldProfile]) -> FieldProfile:
        """One profile of all of ``profiles``: one union per sketch, not one per pair (five
        partials of a window: ~4x less time than merging them two by two). Histograms on
        different edges (partials of a window that straddles a baseline switch) do not add
        up: the result then has none, and PSI skips that field for the window."""
        edged = {p.edges for p in profiles if p.edges is not None}
        edges = next(iter(edged)) if len(edged) == 1 else None
        hist = None
        hists = [p.hist for p in profiles if p.hist is not None]
        if hists and len(edged) <= 1:
            hist = np.zeros(len(edges) + 1 if edges is not None else 0, dtype=np.int64)
            for part in hists:
                hist += part
        types: Counter[str] = Counter()
        for p in profiles:
            types.update(p.types)
        return cls(
            count=sum(p.count for p in profiles),
            nulls=sum(p.nulls for p in profiles),
            types=+types,
            numbers=_merged(_new_kll, (p.numbers for p in profiles)),
            total=sum((p.total for p in profiles), 0.0),
            total_sq=sum((p.total_sq for p in profiles), 0.0),
            edges=edges,
            hist=hist,
            items=_merged(_new_items, (p.items for p in profiles)),
            lengths=_merged(_new_kll, (p.lengths for p in profiles)),
            distinct=_merged_hll(p.distinct for p in profiles),
            adwin_alarms=sum(p.adwin_alarms for p in profiles),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "nulls": self.nulls,
            "types": dict(self.types),
            "numbers": _b64(self.numbers),
            "total": self.total,
            "total_sq": self.total_sq,
            "edges": None if self.edges is None else list(self.edges),
            "hist": None if self.hist is None else self.hist.tolist(),
            "items": _b64(self.items),
            "lengths": _b64(self.lengths),
            "distinct": _b64(self.distinct),
            "adwin_alarms": self.adwin_alarms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldProfile:
        try:
            edges = data["edges"]
            hist = data["hist"]
            profile = cls(
                count=int(data["count"]),
                nulls=int(data["nulls"]),
                types=Counter({str(k): int(v) for k, v in data["types"].items()}),
                numbers=_load(ds.kll_doubles_sketch, data["numbers"]),
                total=float(data["total"]),
                total_sq=float(data["total_sq"]),
                edges=None if edges is None else tuple(float(e) for e in edges),
                hist=None if hist is None else np.asarray(hist, dtype=np.int64),
                items=_load(ds.frequent_strings_sketch, data["items"]),
                lengths=_load(ds.kll_doubles_sketch, data["lengths"]),
                distinct=_load(ds.hll_sketch, data["distinct"]),
                adwin_alarms=int(data.get("adwin_alarms", 0)),
            )
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise SketchError(f"malformed field profile: {exc}") from exc
        if profile.hist is not None and (
            profile.edges is None or len(profile.hist) != len(profile.edges) + 1
        ):
            raise SketchError("field profile histogram does not fit its edges")
        return profile
