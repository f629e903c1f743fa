"""Which partition of the window-profiles topic carries a window's partials.

Every partial of window ``k`` goes to partition ``k * stride mod P`` (``P``: the topic's
partition count), whichever worker or profiler sends it. The member of the feed's
aggregator group that owns that partition so gets the whole window, merges and judges it:
the judging is spread over the workers the way the faust group spreads the partitions
(with one partition, one worker judges them all). faust gives each member a contiguous
range of partitions (two members of 12: 0-5 and 6-11), so the stride, the first number
past ``P / 2`` that shares no factor with ``P`` (7 of 12), takes consecutive windows to
the two halves in turn instead of six in a row to each: 0, 7, 2, 9, 4, 11, 6, 1, ...

A member reads its partitions in no set order, so with a backlog window 4 can complete
before window 1. Each partial names the windows its profiler sent before it and their
partitions (:func:`earlier_value`): a window then waits for the earlier ones of its own
member (``app.worker.aggregator``), and a member judges its windows in window order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

EARLIER = 16  # windows named in a partial: any 12 in a row reach every partition of 12


def window_partition(window_id: int, partitions: int) -> int:
    return window_id * stride(partitions) % max(partitions, 1)


def stride(partitions: int) -> int:
    step = partitions // 2 + 1
    while math.gcd(step, partitions) != 1:
        step += 1
    return step


def earlier_value(windows: Iterable[int], partitions: int) -> bytes:
    """The header value naming ``windows`` with their partitions: ``"4:4,5:11"``."""
    return ",".join(f"{w}:{window_partition(w, partitions)}" for w in windows).encode()


def parse_earlier(value: bytes | str | None) -> list[tuple[int, int]]:
    """(window, partition) pairs of an :func:`earlier_value` (malformed: none)."""
    text = value.decode() if isinstance(value, bytes) else (value or "")
    try:
        return [(int(w), int(p)) for w, p in (item.split(":") for item in text.split(",") if item)]
    except ValueError:
        return []
