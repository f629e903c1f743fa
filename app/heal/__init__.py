"""Healing: retrain, revert, repair and publish baselines, keeping their lineage."""
