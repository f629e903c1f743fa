"""``driftmend synth train|sample|report``: the generative model of a feed's baseline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from app.cli import common
from app.errors import ConfigError, ModelError
from app.settings import Settings

cli = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Train and sample the feed's synthetic-data model.",
)


def models(cfg: Settings) -> Any:
    from app.repository.models import ModelRepository

    return ModelRepository(common.repository(cfg).client)


def train_config(
    cfg: Settings,
    epochs: int | None,
    budget: float | None,
    dp_epsilon: float | None = None,
    dp_delta: float = 1e-5,
) -> Any:
    from app.synth.train import TrainConfig

    return TrainConfig(
        epochs=epochs or (cfg.synth_epochs if dp_epsilon is None else 30),
        budget_seconds=budget if budget is not None else cfg.synth_budget_seconds,
        threads=cfg.synth_threads,
        device=cfg.synth_device,
        dp_epsilon=dp_epsilon,
        dp_delta=dp_delta,
    )


def train_and_store(
    cfg: Settings,
    feed: str,
    version: int,
    records: list[dict[str, Any]],
    seed: int,
    epochs: int | None = None,
    budget: float | None = None,
    dp_epsilon: float | None = None,
    dp_delta: float = 1e-5,
) -> dict[str, Any]:
    """Train on ``records`` (with a holdout), store the model with the baseline version."""
    from app.synth.artifacts import save_synthesizer
    from app.synth.evaluate import train_and_evaluate

    baseline = common.repository(cfg).get(feed, version)
    synth = train_and_evaluate(
        baseline.schema,
        records,
        train_config(cfg, epochs, budget, dp_epsilon, dp_delta),
        seed,
        progress=sys.stderr.isatty(),
    )
    save_synthesizer(models(cfg), feed, baseline.version, synth)
    return dict(synth.info)


def summary_line(feed: str, version: int, info: dict[str, Any]) -> str:
    report = info.get("report", {})
    quality = report.get("quality", {}).get("score")
    dcr = report.get("privacy", {}).get("dcr_closer_to_training")
    figures = "" if quality is None else f", quality {quality:.3f}, DCR {dcr:.1%}"
    privacy = info.get("privacy")
    if privacy:
        figures += f", differentially private: epsilon {privacy['epsilon']:.2f} "
        figures += f"(delta {privacy['delta']:g})"
    return (
        f"model {feed} v{version}: {info['epochs']} epochs in {info['seconds']:.1f} s "
        f"on {info['rows']} rows{figures}"
    )


@cli.command()
def train(
    feed: Annotated[str, typer.Option(help="Feed name")],
    from_file: Annotated[
        Path | None, typer.Option(help="CSV, JSON Lines or Parquet (default: the stored sample)")
    ] = None,
    version: Annotated[int | None, typer.Option(help="Baseline version (default: current)")] = None,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    epochs: Annotated[int | None, typer.Option(help="Most epochs to train")] = None,
    budget_seconds: Annotated[float | None, typer.Option(help="Most seconds to train")] = None,
    dp_epsilon: Annotated[
        float | None,
        typer.Option(help="Train with DP-SGD (opacus) spending at most this epsilon"),
    ] = None,
    dp_delta: Annotated[float, typer.Option(help="Delta of the DP guarantee")] = 1e-5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Train the baseline's model (from its stored sample or a file) and store it."""
    from app.sources import read_file

    cfg = common.settings()
    baseline = common.repository(cfg).get(feed, version)
    if from_file is not None:
        records = read_file(from_file)
    else:
        records = models(cfg).load_sample(feed, baseline.version)
    info = train_and_store(
        cfg, feed, baseline.version, records, seed, epochs, budget_seconds, dp_epsilon, dp_delta
    )
    if as_json:
        print(orjson.dumps({"feed": feed, "version": baseline.version, **info}).decode())
    else:
        print(summary_line(feed, baseline.version, info))


def target_profile(cfg: Settings, feed: str, schema: Any, toward: str) -> Any:
    from app.sources import read_file
    from app.synth.drift import profile_records

    if toward == "current":
        window = models(cfg).latest_window(feed)
        if window is None:
            raise ModelError(
                f"no current window profile is stored for feed {feed!r}; "
                "pass --toward FILE (CSV, JSON Lines or Parquet of current records)"
            )
        return window
    return profile_records(schema, read_file(Path(toward)))


@cli.command()
def sample(
    feed: Annotated[str, typer.Option(help="Feed name")],
    n: Annotated[int, typer.Option("-n", "--rows", help="Records to generate")] = 1_000,
    alpha: Annotated[float, typer.Option(help="Drift toward the target, 0..1")] = 0.0,
    toward: Annotated[
        str | None, typer.Option(help="'current' (latest window) or a file of records")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout")] = None,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    version: Annotated[int | None, typer.Option(help="Baseline version (default: current)")] = None,
) -> None:
    """Generate records that conform to the baseline's schema, optionally drifted."""
    from app.synth.model import torch_threads
    from app.synth.synthesizer import Synthesizer

    if fmt not in ("jsonl", "csv"):
        raise ConfigError(f"--format must be jsonl or csv, not {fmt!r}")
    if alpha > 0 and toward is None:
        raise ConfigError("--alpha needs --toward current|FILE")
    cfg = common.settings()
    synth = Synthesizer.load(models(cfg), feed, version)
    target = target_profile(cfg, feed, synth.schema, toward) if toward is not None else None
    with torch_threads(cfg.synth_threads):
        result = synth.sample_columns(n, alpha=alpha, target=target, seed=seed)
    records = result.records()
    data = _render(records, synth.schema.names, fmt)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
    report = result.report
    print(
        f"sampled {len(records)} records ({report.rejected_rows} rejected and redrawn, "
        f"{sum(report.repaired.values())} values repaired)",
        file=sys.stderr,
    )


def _render(records: list[dict[str, Any]], names: list[str], fmt: str) -> bytes:
    if fmt == "jsonl":
        return b"".join(orjson.dumps(r) + b"\n" for r in records)
    import pandas as pd

    return pd.DataFrame(records, columns=names).to_csv(index=False).encode()


@cli.command()
def report(
    feed: Annotated[str, typer.Option(help="Feed name")],
    version: Annotated[int | None, typer.Option(help="Baseline version (default: current)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Quality and privacy figures measured when the model was trained."""
    from app.synth.artifacts import read_meta

    cfg = common.settings()
    baseline = common.repository(cfg).get(feed, version)
    _tensors, meta_bytes = models(cfg).load_model(feed, baseline.version)
    info = read_meta(meta_bytes)["info"]
    if as_json:
        print(orjson.dumps({"feed": feed, "version": baseline.version, **info}).decode())
        return
    print(summary_line(feed, baseline.version, info))
    figures = info.get("report")
    if figures is None:
        return
    quality, privacy = figures["quality"], figures["privacy"]
    table = Table(
        title=f"{feed} model v{baseline.version}: {figures['holdout_rows']} held-out rows"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("quality score", f"{quality['score']:.3f}"),
        ("column shapes", f"{quality['column_shapes']:.3f}"),
        ("column pair trends", f"{quality['column_pair_trends']:.3f}"),
        ("largest null-rate difference", f"{quality['max_null_rate_diff']:.3f}"),
        ("DCR: closer to training than holdout", f"{privacy['dcr_closer_to_training']:.1%}"),
        ("exact copies of training rows", str(privacy["exact_copies"]["all_fields"])),
        ("rows checked for copies", str(privacy["exact_copies_checked"])),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)
