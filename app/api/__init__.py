"""The REST API on the worker's web server: baselines, tolerances, lineage, events, previews."""
