"""``driftmend demo``: nycflights13 replayed as a live feed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from app.cli import common
from app.demo import Demo, DemoPlan


def run(
    window_records: Annotated[int, typer.Option(help="Records per window")] = 10_000,
    rate: Annotated[int, typer.Option(help="Records per second to produce")] = DemoPlan.rate,
) -> None:
    """Baseline from January flights, then stream February-December and show drift live."""
    cfg = common.settings()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    Demo(cfg, DemoPlan(window_records=window_records, rate=rate), Console()).run()
