"""``driftmend worker``: attach to a feed and run until stopped."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Annotated

import faust
import typer
from threadpoolctl import threadpool_limits

from app.cli import common
from app.metrics import Metrics
from app.worker.app import create_app
from app.worker.options import WorkerOptions

FORMAT_HELP = "Record format: json, avro or confluent-avro"


def run(
    feed: Annotated[str, typer.Option(help="Feed name (its baseline must exist)")],
    input_topic: Annotated[str, typer.Option("--input", help="Topic to monitor")],
    output_topic: Annotated[
        str | None, typer.Option("--output", help="Default: <input>.healed")
    ] = None,
    window_records: Annotated[int | None, typer.Option(help="Records per window")] = None,
    window_seconds: Annotated[float | None, typer.Option(help="Seconds per window")] = None,
    metrics_port: Annotated[int | None, typer.Option(help="Prometheus port (9108)")] = None,
    web_port: Annotated[
        int | None, typer.Option(help="REST API port (6066; 0 turns it off)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "json",
    avro_schema: Annotated[Path | None, typer.Option(help="Writer schema (.avsc)")] = None,
    registry_url: Annotated[str | None, typer.Option(help="Schema registry URL")] = None,
    registry_dir: Annotated[Path | None, typer.Option(help="Folder of <id>.avsc")] = None,
    loglevel: Annotated[str, typer.Option(help="Log level")] = "info",
) -> None:
    """Forward the input to the output, profile every window and emit drift events."""
    cfg = common.settings(
        window_records=window_records,
        window_seconds=window_seconds,
        metrics_port=metrics_port,
        web_port=web_port,
    )
    options = WorkerOptions(
        feed=feed,
        input_topic=input_topic,
        output_topic=output_topic or f"{input_topic}.healed",
        codec=common.codec(fmt, avro_schema, registry_url, registry_dir),
        window_records=cfg.window_size_records(),
        window_seconds=cfg.window_seconds,
    )
    logging.basicConfig(
        level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    metrics = Metrics()
    app, ingest = create_app(cfg, options, common.repository(cfg), metrics)
    metrics.serve(cfg.metrics_port)
    logging.getLogger("driftmend").info("metrics at http://127.0.0.1:%d/metrics", cfg.metrics_port)
    # Each batch allocates ~20 objects per record; collecting the young generation every 700
    # allocations costs more than decoding. Long-lived start-up objects are frozen out of GC.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    # One BLAS thread: the kernel matrices are small, and spinning BLAS threads would take
    # the cores the ingest loop, the profiler process and librdkafka need.
    threadpool_limits(1)
    worker = faust.Worker(app, ingest, loglevel=loglevel.upper(), quiet=True)
    worker.execute_from_commandline()
