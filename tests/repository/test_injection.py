"""The injection state's history: a window judged after later ones starts from the state
that was in force at its place in the feed, whatever order the windows were judged in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.inject.policy import InjectionPolicy, InjectionState
from app.repository.injection import HISTORY, Injection

POLICY = InjectionPolicy()
SEVERITIES = st.sampled_from([None, "low", "medium", "high"])


def _advance(shared: Injection, window: int, severity: str | None) -> Injection:
    return shared.advanced(POLICY.next(shared.state, severity, 1.0, f"ev-{window}"), b"", window)


@given(st.lists(SEVERITIES, min_size=1, max_size=40))
def test_in_order_every_window_finds_the_state_it_came_to(severities: list[str | None]) -> None:
    shared, before = Injection(), []
    for window, severity in enumerate(severities):
        before.append(shared.state)
        shared = _advance(shared, window, severity)
    assert [shared.state_before(w) for w in range(len(severities))] == before
    assert shared.state_before(len(severities) + 5) == shared.state  # ahead: the latest


@given(st.permutations(list(range(12))), st.integers(0, 11))
def test_a_late_window_gets_the_state_of_the_last_advance_below_it(
    order: list[int], shift: int
) -> None:
    shared, advanced = Injection(), []
    for window in order:
        if window > shared.window:  # what the steering does: only later windows advance
            shared = _advance(shared, window, "high" if window >= shift else None)
            advanced.append(window)
    for window in order:
        last = max((w for w in advanced if w < window), default=-1)
        # windows from the shift on drift (high: the state names that window's event)
        expected = InjectionState(1.0, 0.0, f"ev-{last}", "high") if last >= shift else None
        assert shared.state_before(window) == (expected or InjectionState())
        if window <= shift:  # up to the drift: no transition yet, even when judged last
            assert not shared.state_before(window).active


def test_the_history_is_bounded_and_restarts_with_the_windows() -> None:
    shared = Injection()
    for window in range(1000, 1000 + 2 * HISTORY):
        shared = _advance(shared, window, "high")
    assert len(shared.history) == HISTORY
    assert shared.state_before(1001) == InjectionState()  # too long ago: no injection
    assert shared.state_before(1000 + 2 * HISTORY - 1).active
    shared = _advance(shared, 0, None)  # the input topic made anew: windows from 0 again
    assert [w for w, _ in shared.history] == [0]
    assert shared.window == 0 and shared.seq == 2 * HISTORY + 1
