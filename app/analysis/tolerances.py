"""Tolerance thresholds per characteristic, with per-field overrides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.detectors.base import Tolerance
from app.errors import ConfigError

# low: the smallest effect worth reporting (it must also beat the window's critical value);
# medium / high: effect sizes (PSI follows the usual 0.1 / 0.25 reading).
DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "distribution": Tolerance(0.005, 0.1, 0.25),  # PSI on baseline-quantile bins
    "distribution_divergence": Tolerance(0.001, 0.0125, 0.03),  # Jensen-Shannon (nats)
    "distribution_shape": Tolerance(0.02, 0.1, 0.2),  # KS statistic
    "distribution_distance": Tolerance(0.03, 0.25, 0.5),  # Wasserstein-1 / baseline spread
    "category_distribution": Tolerance(0.005, 0.1, 0.25),  # PSI on categories
    "category_frequencies": Tolerance(0.02, 0.1, 0.3),  # Cohen's w (chi-square test)
    "length": Tolerance(0.02, 0.1, 0.3),  # KS of string lengths
    "null_rate": Tolerance(0.01, 0.05, 0.2),  # absolute increase of the null share
    "nullability": Tolerance(1e-9, 0.01, 0.1),  # null share of a field that had no nulls
    "length_range": Tolerance(0.001, 0.01, 0.1),  # share of strings outside baseline lengths
    "new_categories": Tolerance(0.001, 0.05, 0.2),  # share of values in unseen categories
    "distinct_count": Tolerance(0.1, 0.3, 0.7),  # |log| distinct count / expected at this size
    "joint_distribution": Tolerance(0.005, 0.05, 0.15),  # MMD^2 of the continuous fields
    "type": Tolerance(0.001, 0.01, 0.1),  # share of values of a type the schema rejects
    "stream_change": Tolerance(2, 5, 10),  # ADWIN alarms within the window
    "unknown_field": Tolerance(0.001, 0.5, 1.01),  # share of records with a new field
    "missing_field": Tolerance(0.001, 0.1, 0.5),  # share of records lacking a required field
    "schema_id": Tolerance(0.3, 0.6, 0.9),  # new writer schema id: 1/3 FULL, 2/3 one-way, 1 NONE
}


@dataclass(frozen=True)
class Tolerances:
    defaults: dict[str, Tolerance] = field(default_factory=lambda: dict(DEFAULT_TOLERANCES))
    fields: dict[str, dict[str, Tolerance]] = field(default_factory=dict)

    def for_field(self, name: str, characteristic: str) -> Tolerance:
        override = self.fields.get(name, {}).get(characteristic)
        if override is not None:
            return override
        try:
            return self.defaults[characteristic]
        except KeyError as exc:
            raise ConfigError(f"no tolerance for characteristic {characteristic!r}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "defaults": {k: _tol(v) for k, v in self.defaults.items()},
            "fields": {f: {k: _tol(v) for k, v in c.items()} for f, c in self.fields.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tolerances:
        try:
            defaults = dict(DEFAULT_TOLERANCES)
            defaults.update({k: Tolerance(**v) for k, v in data.get("defaults", {}).items()})
            fields = {
                f: {k: Tolerance(**v) for k, v in c.items()}
                for f, c in data.get("fields", {}).items()
            }
        except (TypeError, AttributeError) as exc:
            raise ConfigError(
                f"malformed tolerances (each needs low, medium, high): {exc}"
            ) from exc
        return cls(defaults, fields)


def load_overrides(path: Path, fields: Iterable[str]) -> dict[str, Any]:
    """Read a tolerance file and check its names: ``{defaults: {characteristic: {low, medium,
    high}}, fields: {field: {characteristic: {...}}}}``."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read tolerances from {path}: {exc}") from exc
    return check_overrides(raw, fields, str(path))


def check_overrides(raw: Any, fields: Iterable[str], source: str) -> dict[str, Any]:
    """Check the names and thresholds of overrides (from a file or the REST API)."""
    if not isinstance(raw, dict) or set(raw) - {"defaults", "fields"}:
        raise ConfigError(f"{source}: top-level keys must be 'defaults' and/or 'fields'")
    known_fields = set(fields)
    sections = [("defaults", raw.get("defaults") or {})]
    fields_part = raw.get("fields") or {}
    if not isinstance(fields_part, dict) or not isinstance(sections[0][1], dict):
        raise ConfigError(f"{source}: 'defaults' and 'fields' must be mappings")
    for name, chars in fields_part.items():
        if name not in known_fields:
            raise ConfigError(f"{source}: field {name!r} is not in the baseline's schema")
        if chars is not None and not isinstance(chars, dict):
            raise ConfigError(f"{source}: fields.{name} must be a mapping")
        sections.append((f"fields.{name}", chars or {}))
    for where, chars in sections:
        for characteristic, tol in chars.items():
            if characteristic not in DEFAULT_TOLERANCES:
                raise ConfigError(
                    f"{source}: unknown characteristic {characteristic!r} in {where}; known: "
                    + ", ".join(sorted(DEFAULT_TOLERANCES))
                )
            _check_levels(tol, f"{source}: {where}.{characteristic}")
    return raw


def _check_levels(tol: Any, where: str) -> None:
    levels = ("low", "medium", "high")
    if not isinstance(tol, dict) or set(tol) != set(levels):
        raise ConfigError(f"{where}: give low, medium and high")
    values = [tol[k] for k in levels]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ConfigError(f"{where}: thresholds must be numbers")
    if not all(0 <= v <= 1e9 for v in values) or not values[0] <= values[1] <= values[2]:
        raise ConfigError(f"{where}: need 0 <= low <= medium <= high")


def apply_overrides(current: Tolerances, overrides: dict[str, Any]) -> Tolerances:
    """Tolerances with the overrides laid over ``current`` (thresholds given in full)."""
    data = current.to_dict()
    data["defaults"].update(overrides.get("defaults") or {})
    for name, chars in (overrides.get("fields") or {}).items():
        data["fields"].setdefault(name, {}).update(chars or {})
    return Tolerances.from_dict(data)


def _tol(t: Tolerance) -> dict[str, float]:
    return {"low": t.low, "medium": t.medium, "high": t.high}
