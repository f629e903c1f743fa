"""``driftmend topics apply``."""

from __future__ import annotations

import typer
from confluent_kafka.admin import AdminClient

from app.cli import common
from app.kafka.topics import ensure_topics, load_topic_specs

cli = typer.Typer(no_args_is_help=True, help="Kafka topics driftmend uses.")


@cli.command()
def apply() -> None:
    """Create the topics defined in topics/ that do not exist yet."""
    cfg = common.settings()
    specs = load_topic_specs(cfg.topics_dir)
    created = ensure_topics(AdminClient(cfg.kafka_config()), specs)
    for spec in specs:
        print(f"{spec.name}: {'created' if spec.name in created else 'exists'}")
