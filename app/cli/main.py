"""Entry point: ``driftmend <command>``; every driftmend error ends as one clear line."""

from __future__ import annotations

import sys

import typer

from app.cli import baseline, demo, lineage, synth, topics, worker
from app.errors import DriftmendError

cli = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    add_completion=False,
    help="Keep Kafka data feeds healthy: profile, detect drift, heal.",
)
cli.add_typer(baseline.cli, name="baseline")
cli.add_typer(topics.cli, name="topics")
cli.add_typer(synth.cli, name="synth")
cli.add_typer(lineage.cli, name="lineage")
cli.command("worker")(worker.run)
cli.command("demo")(demo.run)


def main() -> None:
    try:
        cli(prog_name="driftmend")  # click reports usage errors: usage, one "Error:" line, exit 2
    except DriftmendError as exc:
        print(f"driftmend: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:  # e.g. an --out file that cannot be written
        print(f"driftmend: error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
