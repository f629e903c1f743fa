"""Shared CLI helpers: settings, repository, codec options and progress."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.codecs.base import Codec
from app.codecs.factory import make_codec
from app.repository.baselines import BaselineRepository, connect_redis
from app.settings import Settings, load_settings


def settings(**overrides: object) -> Settings:
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def repository(cfg: Settings) -> BaselineRepository:
    return BaselineRepository(connect_redis(cfg))


def codec(
    fmt: str, avro_schema: Path | None, registry_url: str | None, registry_dir: Path | None
) -> Codec:
    return make_codec(fmt, avro_schema, registry_url, registry_dir)


@contextlib.contextmanager
def progress(what: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr while long work runs (only on a terminal: scripts and logs
    get no bar); yields ``advance(done)``."""
    if not sys.stderr.isatty():
        yield lambda done: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.update(task, completed=done)
