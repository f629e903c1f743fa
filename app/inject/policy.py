"""How much to inject and how far toward the new data: a small state machine per feed.

Per decided window:

* medium drift: ``rate = min(score x smoothing, max_rate)`` synthetic records per real one;
  high drift: ``max_rate`` (and an alert). low or no drift: no new injection.
* ``alpha`` (the share of synthetic records that look like the current window; the others
  look like the window before it, or the baseline at the very start) starts at 0 when a
  transition starts and grows by ``1 / ramp_windows`` per window, so the output moves from
  the old normal to the new one in steps. A high drift event is a new step: alpha starts
  at 0 again, so every large jump of the input is bridged by the previous window.
* Once windows are calm again (a new baseline settled, or the drift went away) the rate
  decays by ``decay`` per window and stops below ``min_rate``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.settings import Settings


@dataclass(frozen=True)
class InjectionState:
    rate: float = 0.0  # synthetic records per real record
    alpha: float = 0.0  # 0: the baseline's model as is; 1: all the way to the current data
    event_id: str = ""  # the drift event the transition started with (or the latest one)
    severity: str = ""

    @property
    def active(self) -> bool:
        return self.rate > 0


@dataclass(frozen=True)
class InjectionPolicy:
    smoothing: float = 0.5
    max_rate: float = 1.0
    ramp_windows: int = 4
    decay: float = 0.5
    min_rate: float = 0.02
    step_psi: float = 0.1  # a window this far (PSI) from the one before is a new step

    @classmethod
    def from_settings(cls, settings: Settings) -> InjectionPolicy:
        return cls(
            settings.inject_smoothing,
            settings.inject_max_rate,
            settings.inject_ramp_windows,
            settings.inject_decay,
            settings.inject_min_rate,
            settings.inject_step_psi,
        )

    def next(
        self,
        state: InjectionState,
        severity: str | None,
        score: float,
        event_id: str = "",
        step: float = 0.0,
    ) -> InjectionState:
        """The state for the window just decided (``severity`` None: no drift event;
        ``step``: how far the window moved from the one before, see ``app.inject.step``)."""
        ramp = 1.0 / self.ramp_windows
        jumped = step >= self.step_psi
        if severity in ("medium", "high"):
            rate = (
                self.max_rate if severity == "high" else min(score * self.smoothing, self.max_rate)
            )
            if not state.active or severity == "high":  # a (new) step: bridge from before
                return InjectionState(rate, 0.0, event_id, severity)
            return InjectionState(
                max(rate, state.rate * self.decay),
                0.0 if jumped else min(1.0, state.alpha + ramp),
                event_id or state.event_id,
                severity,
            )
        if not state.active:
            return state
        rate = state.rate * self.decay
        if rate < self.min_rate:
            return InjectionState()
        return replace(state, rate=rate, alpha=0.0 if jumped else min(1.0, state.alpha + ramp))
