"""``driftmend topics apply``."""

from __future__ import annotations

import orjson
import typer
from confluent_kafka.admin import AdminClient

from app.cli import common
from app.kafka.connect import check_connection
from app.kafka.topics import ensure_topics, load_topic_specs, raise_message_limits

cli = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="Kafka topics driftmend uses.")


@cli.command()
def apply(
    as_json: bool = typer.Option(False, "--json", help="Print {topic: created|exists} as JSON."),
) -> None:
    """Create the topics defined in topics/ that do not exist yet."""
    cfg = common.settings()
    specs = load_topic_specs(cfg.topics_dir, cfg.topic_names())
    check_connection(cfg)
    admin = AdminClient(cfg.kafka_config())
    created = ensure_topics(admin, specs)
    raise_message_limits(admin, specs)
    state = {spec.name: "created" if spec.name in created else "exists" for spec in specs}
    if as_json:
        print(orjson.dumps(state).decode())
        return
    for name, what in state.items():
        print(f"{name}: {what}")
