"""The injection state machine: rates by severity, the alpha ramp, the decay."""

from __future__ import annotations

import pytest

from app.inject.policy import InjectionPolicy, InjectionState

POLICY = InjectionPolicy(smoothing=0.5, max_rate=1.0, ramp_windows=4, decay=0.5, min_rate=0.1)


def test_no_drift_no_injection() -> None:
    state = POLICY.next(InjectionState(), None, 0.0)
    assert not state.active
    assert POLICY.next(InjectionState(), "low", 0.9) == InjectionState()


def test_medium_rate_follows_the_score_and_starts_at_the_baseline() -> None:
    state = POLICY.next(InjectionState(), "medium", 0.6, "e1")
    assert state.rate == pytest.approx(0.3)
    assert state.alpha == 0.0
    assert state.event_id == "e1"


def test_medium_rate_is_capped_and_high_takes_the_maximum() -> None:
    capped = InjectionPolicy(smoothing=5.0, max_rate=0.8)
    assert capped.next(InjectionState(), "medium", 0.9).rate == pytest.approx(0.8)
    assert POLICY.next(InjectionState(), "high", 0.1).rate == pytest.approx(1.0)


def test_alpha_ramps_to_one_while_medium_drift_lasts() -> None:
    state = InjectionState()
    alphas = []
    for _ in range(6):
        state = POLICY.next(state, "medium", 0.9, "e")
        alphas.append(state.alpha)
    assert alphas == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.0])


def test_a_high_event_is_a_new_step_bridged_from_the_window_before() -> None:
    state = InjectionState()
    for _ in range(3):
        state = POLICY.next(state, "medium", 0.9, "e1")
    assert state.alpha == pytest.approx(0.5)
    state = POLICY.next(state, "high", 1.0, "e2")
    assert state.alpha == 0.0 and state.rate == pytest.approx(1.0) and state.event_id == "e2"


def test_rate_decays_once_calm_then_stops() -> None:
    state = POLICY.next(InjectionState(), "high", 0.9, "e")
    rates = []
    while state.active:
        state = POLICY.next(state, None, 0.0)
        rates.append(state.rate)
    assert rates == pytest.approx([0.5, 0.25, 0.125, 0.0])
    assert state == InjectionState()


def test_renewed_drift_keeps_the_transition_going() -> None:
    state = POLICY.next(InjectionState(), "high", 0.9, "e1")
    state = POLICY.next(state, None, 0.0)  # a calm window: rate 0.5, alpha 0.25
    state = POLICY.next(state, "medium", 0.2, "e2")  # weaker drift: no reset of alpha
    assert state.alpha == pytest.approx(0.5)
    assert state.rate == pytest.approx(0.25)  # max(score x smoothing = 0.1, decayed 0.25)
    assert state.event_id == "e2"


def test_a_window_that_jumps_from_the_one_before_is_a_new_step() -> None:
    state = InjectionState()
    for _ in range(3):
        state = POLICY.next(state, "medium", 0.9, "e1", step=0.02)
    assert state.alpha == pytest.approx(0.5)
    jumped = POLICY.next(state, "medium", 0.9, "e1", step=0.15)
    assert jumped.alpha == 0.0 and jumped.rate == pytest.approx(state.rate)
    calm = POLICY.next(jumped, None, 0.0, step=0.3)  # decaying, and a jump back
    assert calm.alpha == 0.0 and calm.rate == pytest.approx(jumped.rate * 0.5)
    assert POLICY.next(calm, None, 0.0, step=0.01).alpha == pytest.approx(0.25)
