"""Injection: synthetic records interleaved into the output while a feed drifts."""
