"""Strings that look like the baseline's IDs and free text, without copying any of them.

A string's *shape* maps each character to its class (``A`` upper, ``a`` lower, ``9`` digit,
anything else itself): ``N14228`` has shape ``A99999``. The model keeps the most common shapes
(each a fixed length) plus one catch-all group for the rest (its own length distribution),
and for every group and position the distribution of characters seen there. Sampling picks
a group by its share, a length, then each position's character: lengths, character classes
and literal separators match the baseline while the values are new.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_SHAPES = 32
MAX_POSITIONS = 64  # positions past this reuse the last one's distribution
MAX_ALPHABET = 256


def shape_of(text: str) -> str:
    return "".join(
        "A" if c.isupper() else "a" if c.islower() else "9" if c.isdigit() else c for c in text
    )


@dataclass(frozen=True)
class TextModel:
    """Groups (top shapes, then the catch-all) with per-position character distributions."""

    alphabet: str
    weights: np.ndarray  # (G,) share of each group
    lengths: np.ndarray  # (G, L+1) probability of each length 0..L per group
    chars: np.ndarray  # (G, P, A) cumulative character probabilities per group and position

    @classmethod
    def fit(cls, strings: list[str]) -> TextModel:
        if not strings:
            strings = [""]
        alphabet = "".join(c for c, _ in Counter("".join(strings)).most_common(MAX_ALPHABET))
        alphabet = alphabet or " "
        index = {c: i for i, c in enumerate(alphabet)}
        shapes = Counter(map(shape_of, strings))
        top = [s for s, _ in shapes.most_common(MAX_SHAPES)]
        group_of = {s: i for i, s in enumerate(top)}
        n_groups = len(top) + 1  # the last group collects the other shapes
        max_len = max(map(len, strings))
        positions = min(max(max_len, 1), MAX_POSITIONS)
        counts = np.zeros((n_groups, positions, len(alphabet)), dtype=np.float64)
        lengths = np.zeros((n_groups, max_len + 1), dtype=np.float64)
        for text in strings:
            g = group_of.get(shape_of(text), n_groups - 1)
            lengths[g, len(text)] += 1
            for p, c in enumerate(text):
                if c in index:
                    counts[g, min(p, positions - 1), index[c]] += 1
        weights = lengths.sum(axis=1)
        # positions a group never filled fall back to the characters seen anywhere there
        overall = counts.sum(axis=0, keepdims=True) + 1e-12
        empty = counts.sum(axis=2, keepdims=True) == 0
        counts = np.where(empty, overall, counts)
        probs = counts / counts.sum(axis=2, keepdims=True)
        cdf = np.cumsum(probs, axis=2)
        cdf[:, :, -1] = 1.0
        len_probs = lengths / np.maximum(lengths.sum(axis=1, keepdims=True), 1)
        return cls(alphabet, weights / weights.sum(), len_probs, cdf)

    def sample(
        self,
        n: int,
        rng: np.random.Generator,
        toward: np.ndarray | None = None,
        alpha: float = 0.0,
    ) -> np.ndarray:
        """``n`` new strings (an object array), generated group by group in numpy; with a
        length pmf ``toward``, a share ``alpha`` of them takes its lengths from it."""
        out = np.empty(n, dtype=object)
        if n == 0:
            return out
        group = rng.choice(len(self.weights), size=n, p=self.weights)
        lens = np.zeros(n, dtype=np.int64)
        for g in np.unique(group):
            rows = np.flatnonzero(group == g)
            lens[rows] = rng.choice(self.lengths.shape[1], size=len(rows), p=self.lengths[g])
        if toward is not None and alpha > 0:
            moved = np.flatnonzero(rng.random(n) < alpha)
            lens[moved] = rng.choice(len(toward), size=len(moved), p=toward)
            group[moved] = self._group_for(lens[moved])
        codes = np.frombuffer(self.alphabet.encode("utf-32-le"), dtype=np.uint32)
        for g in np.unique(group):
            rows = np.flatnonzero(group == g)
            for length in np.unique(lens[rows]):
                at = rows[lens[rows] == length]
                out[at] = self._strings(int(g), int(length), len(at), codes, rng)
        return out

    def _group_for(self, lengths: np.ndarray) -> np.ndarray:
        """The group most of the baseline's strings of each length belong to (the catch-all
        group for lengths the baseline never had)."""
        mass = self.weights[:, None] * self.lengths  # (G, L+1) joint share of group and length
        best = np.argmax(mass, axis=0)
        seen = mass.max(axis=0) > 0
        known = lengths < mass.shape[1]
        out = np.full(len(lengths), len(self.weights) - 1, dtype=np.int64)
        inside = np.flatnonzero(known)
        hit = seen[lengths[inside]]
        out[inside[hit]] = best[lengths[inside[hit]]]
        return out

    def _strings(
        self, g: int, length: int, n: int, codes: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        if length == 0:
            return np.full(n, "", dtype=object)
        u = rng.random((n, length))
        grid = np.empty((n, length), dtype=np.uint32)
        last = self.chars.shape[1] - 1
        for p in range(length):
            cdf = self.chars[g, min(p, last)]
            at = np.searchsorted(cdf, u[:, p], side="right")
            grid[:, p] = codes[np.minimum(at, len(codes) - 1)]
        if "\x00" in self.alphabet:  # numpy's str dtype drops trailing NULs: cut by hand
            text = grid.tobytes().decode("utf-32-le")
            out = np.empty(n, dtype=object)
            out[:] = [text[i : i + length] for i in range(0, n * length, length)]
            return out
        return grid.view(f"<U{length}").ravel().astype(object)

    def to_meta(self) -> dict[str, Any]:
        return {"alphabet": self.alphabet}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights, "lengths": self.lengths, "chars": self.chars}

    @classmethod
    def from_parts(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> TextModel:
        return cls(str(meta["alphabet"]), arrays["weights"], arrays["lengths"], arrays["chars"])
