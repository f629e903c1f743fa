"""Mergeable profiles: per-field sketches and whole-window profiles."""

from app.profile.builder import ProfileBuilder
from app.profile.field import FieldProfile
from app.profile.window import WindowProfile

__all__ = ["FieldProfile", "ProfileBuilder", "WindowProfile"]
