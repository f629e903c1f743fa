"""Shared CLI helpers: settings, repository and codec options."""

from __future__ import annotations

from pathlib import Path

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
