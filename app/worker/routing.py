"""Which partition of the window-profiles topic carries a window's partials.

Every partial of window ``k`` goes to partition ``k * stride mod P`` (``P``: the topic's
partition count), whichever worker or profiler sends it. The member of the feed's
aggregator group that owns that partition so gets the whole window, merges and judges it:
the judging is spread over the workers the way the faust group spreads the partitions
(with one partition, one worker judges them all). faust gives each member a contiguous
range of partitions (two members of 12: 0-5 and 6-11), so the stride, the first number
past ``P / 2`` that shares no factor with ``P`` (7 of 12), takes consecutive windows to
the two halves in turn instead of six in a row to each: 0, 7, 2, 9, 4, 11, 6, 1, ...
"""

from __future__ import annotations

import math


def window_partition(window_id: int, partitions: int) -> int:
    return window_id * stride(partitions) % max(partitions, 1)


def stride(partitions: int) -> int:
    step = partitions // 2 + 1
    while math.gcd(step, partitions) != 1:
        step += 1
    return step
