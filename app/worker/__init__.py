"""The worker: a faust app whose ingest service feeds the aggregator agent."""
