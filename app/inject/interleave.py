"""Where synthetic records go among the real ones: spread evenly, per partition."""

from __future__ import annotations

from collections.abc import Mapping

SYNTHETIC = -1


def shares(total: int, sizes: Mapping[int, int]) -> dict[int, int]:
    """Split ``total`` over partitions in proportion to ``sizes`` (largest remainders)."""
    n = sum(sizes.values())
    if total <= 0 or n <= 0:
        return {p: 0 for p in sizes}
    exact = {p: total * s / n for p, s in sizes.items()}
    out = {p: int(x) for p, x in exact.items()}
    left = total - sum(out.values())
    for p in sorted(exact, key=lambda p: (out[p] - exact[p], p))[:left]:
        out[p] += 1
    return out


def pattern(real: int, synthetic: int) -> list[int]:
    """The order of ``real`` records (their indices) and ``synthetic`` ones (``SYNTHETIC``),
    the synthetic ones evenly spaced: synthetic j goes after real ``(j + 1) * real // (s + 1)``."""
    out: list[int] = []
    nxt = 0
    for j in range(synthetic):
        upto = (j + 1) * real // (synthetic + 1)
        out.extend(range(nxt, upto))
        nxt = upto
        out.append(SYNTHETIC)
    out.extend(range(nxt, real))
    return out
