"""Drift events: the Avro records driftmend publishes for anyone to consume."""

from app.events.drift_event import decode_event, encode_event, event_from_report

__all__ = ["decode_event", "encode_event", "event_from_report"]
