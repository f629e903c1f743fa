"""``driftmend baseline create|show``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from app.analysis.tolerances import Tolerances, apply_overrides, load_overrides
from app.baseline.build import build_baseline
from app.cli import common, synth
from app.errors import ConfigError
from app.heal.publish import Artifacts, BaselinePublisher
from app.lineage.model import data_signature
from app.settings import Settings
from app.sources import read_file, read_topic

cli = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="Create and inspect baselines.")
FORMAT_HELP = "Record format on the topic: json, avro or confluent-avro"


@cli.command()
def create(
    feed: Annotated[str, typer.Option(help="Feed name")],
    from_file: Annotated[Path | None, typer.Option(help="CSV, JSON Lines or Parquet")] = None,
    from_topic: Annotated[str | None, typer.Option(help="Sample a topic instead")] = None,
    sample: Annotated[int, typer.Option(help="Records to sample from the topic")] = 50_000,
    fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "json",
    avro_schema: Annotated[Path | None, typer.Option(help="Writer schema (.avsc)")] = None,
    registry_url: Annotated[str | None, typer.Option(help="Schema registry URL")] = None,
    registry_dir: Annotated[Path | None, typer.Option(help="Folder of <id>.avsc")] = None,
    tolerances_file: Annotated[
        Path | None, typer.Option("--tolerances", help="YAML overrides of the thresholds")
    ] = None,
    no_model: Annotated[
        bool, typer.Option("--no-model", help="Skip training the synthetic-data model")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the model's training")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Infer schema and profile from sample data; store them as the feed's next version,
    with a bounded training sample and (unless --no-model) the synthetic-data model."""
    if (from_file is None) == (from_topic is None):
        raise ConfigError("give exactly one of --from-file and --from-topic")
    cfg = common.settings()
    if from_file is not None:
        records, source = read_file(from_file), f"file:{from_file}"
    else:
        assert from_topic is not None
        codec = common.codec(fmt, avro_schema, registry_url, registry_dir)
        with common.progress(f"sampling {from_topic}", sample) as advance:
            records = read_topic(cfg.kafka_config(), from_topic, codec, sample, progress=advance)
        source = f"topic:{from_topic}"
    baseline = build_baseline(feed, records, source)
    if tolerances_file is not None:
        overrides = load_overrides(tolerances_file, baseline.schema.names)
        baseline = replace(baseline, tolerances=apply_overrides(Tolerances(), overrides))
    repo = common.repository(cfg)
    parent = repo.current_version(feed) if feed in repo.feeds() else None
    stored = repo.save(baseline, make_current=False)  # current once its model is there
    synth.models(cfg).save_sample(feed, stored.version, records, seed)
    info = None
    if not no_model:
        info = synth.train_and_store(cfg, feed, stored.version, records, seed)
    repo.set_current(feed, stored.version)
    publisher(cfg).publish(
        stored,
        parent,
        "create",
        data_signature=data_signature(records),
        parameters={"source": source, "seed": seed},
        reason="baseline create",
        save=False,
    )
    if as_json:
        doc = {"feed": feed, "version": stored.version, "records": stored.profile.records}
        if info is not None:
            doc["model"] = {k: info[k] for k in ("epochs", "seconds", "rows")}
        print(orjson.dumps(doc).decode())
    else:
        print(
            f"baseline {feed} v{stored.version}: {len(stored.schema.fields)} fields "
            f"from {stored.profile.records} records ({source})"
        )
        if info is not None:
            print(synth.summary_line(feed, stored.version, info))


@cli.command()
def show(
    feed: Annotated[str, typer.Option(help="Feed name")],
    version: Annotated[int | None, typer.Option(help="Version (default: current)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Print a baseline: schema, per-field profile summary and tolerances."""
    baseline = common.repository(common.settings()).get(feed, version)
    summary = baseline.summary()
    if as_json:
        print(
            orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode()
        )
        return
    table = Table(
        title=f"{feed} baseline v{baseline.version} ({summary['records']} records, "
        f"{baseline.source})"
    )
    for col in ("field", "type", "kind", "nullable", "null_rate", "distinct", "median / top"):
        table.add_column(col)
    for row in summary["fields"]:
        middle = row.get("median", None)
        shown = f"{middle:.4g}" if middle is not None else ", ".join(row.get("top", [])[:3])
        table.add_row(
            row["name"],
            row["type"],
            row["kind"],
            str(row["nullable"]),
            f"{row.get('null_rate', 0):.3f}",
            str(row.get("distinct", "")),
            shown,
        )
    Console().print(table)


@cli.command()
def tolerances(
    feed: Annotated[str, typer.Option(help="Feed name")],
    set_file: Annotated[
        Path | None,
        typer.Option("--set", help="YAML with defaults/fields overrides; stores a new version"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show the tolerance thresholds per characteristic (and per-field overrides), or set them."""
    repo = common.repository(common.settings())
    baseline = repo.get(feed)
    if set_file is not None:
        overrides = load_overrides(set_file, baseline.schema.names)
        cfg = common.settings()
        previous = baseline.version
        baseline = repo.save(
            replace(baseline, tolerances=apply_overrides(baseline.tolerances, overrides))
        )
        synth.models(cfg).carry_over(feed, previous, baseline.version)
        publisher(cfg).publish(
            baseline,
            previous,
            "tolerances",
            parameters={"file": str(set_file)},
            reason="tolerances set",
            save=False,
        )
    data = baseline.tolerances.to_dict()
    if as_json:
        print(orjson.dumps({"feed": feed, "version": baseline.version, **data}).decode())
        return
    table = Table(title=f"{feed} tolerances (baseline v{baseline.version})")
    for col in ("field", "characteristic", "low", "medium", "high"):
        table.add_column(col)
    for name, tol in sorted(data["defaults"].items()):
        table.add_row("*", name, str(tol["low"]), str(tol["medium"]), str(tol["high"]))
    for field_name, chars in sorted(data["fields"].items()):
        for name, tol in sorted(chars.items()):
            table.add_row(field_name, name, str(tol["low"]), str(tol["medium"]), str(tol["high"]))
    Console().print(table)


@cli.command()
def rollback(
    feed: Annotated[str, typer.Option(help="Feed name")],
    to: Annotated[int, typer.Option("--to", help="The version to go back to")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Make a copy of an earlier version the current one (a new version, rollback edge)."""
    cfg = common.settings()
    repo = common.repository(cfg)
    current = repo.current_version(feed)
    target = repo.get(feed, to)
    pub = publisher(cfg)
    node = pub.lineage.node(feed, to)
    stored = pub.publish(
        replace(target, source=f"rollback to v{to}"),
        current,
        "rollback",
        artifacts=Artifacts(carry_from=to),
        data_signature=None if node is None else node.data_signature,
        parameters={"to_version": to},
        reason=f"operator rollback to v{to}",
    )
    has_model = pub.models.has_model(feed, stored.version)
    if as_json:
        print(orjson.dumps({"feed": feed, "version": stored.version, "copy_of": to}).decode())
    else:
        print(
            f"{feed}: v{stored.version} (a copy of v{to}{', with its model' if has_model else ''}) "
            f"is current; was v{current}"
        )


def publisher(cfg: Settings) -> BaselinePublisher:
    return BaselinePublisher(cfg, common.repository(cfg))
