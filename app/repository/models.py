"""Synthetic-data models and their training samples in Redis, next to the baselines.

Keys (``{feed}`` is the feed name, ``{v}`` the baseline version):
  driftmend:feed:{feed}:sample:{v}          training sample: zstd-compressed JSON lines
  driftmend:feed:{feed}:model:{v}:tensors   safetensors bytes
  driftmend:feed:{feed}:model:{v}:meta      JSON metadata (hashes, schema, codecs, training)
  driftmend:feed:{feed}:window:latest       the latest window profile (serialized), if any

Bytes only: (de)serialization and checks live in ``app.synth.artifacts``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cramjam
import orjson

from app.errors import ArtifactError
from app.profile.window import WindowProfile
from app.repository.store import RedisStore
from app.synth.columns import bounded_sample

SAMPLE_ROWS = 50_000


def pack_records(records: Sequence[Mapping[str, Any]]) -> bytes:
    lines = b"\n".join(orjson.dumps(r) for r in records)
    return bytes(cramjam.zstd.compress(lines, level=6))


def unpack_records(data: bytes) -> list[dict[str, Any]]:
    try:
        lines = bytes(cramjam.zstd.decompress(data))
        return [orjson.loads(line) for line in lines.split(b"\n") if line]
    except (cramjam.DecompressionError, orjson.JSONDecodeError) as exc:
        raise ArtifactError(f"stored training sample is unreadable: {exc}") from exc


class ModelRepository(RedisStore):
    # -- training samples -----------------------------------------------------------------
    def save_sample(
        self, feed: str, version: int, records: Sequence[Mapping[str, Any]], seed: int = 0
    ) -> int:
        """Store up to SAMPLE_ROWS of ``records``; returns how many were kept."""
        rows = bounded_sample(records, SAMPLE_ROWS, seed)
        data = pack_records(rows)
        key = self._key(feed, "sample", version)
        self._call("store a training sample", lambda: self.client.set(key, data))
        return len(rows)

    def load_sample(self, feed: str, version: int) -> list[dict[str, Any]]:
        raw = self._call(
            "read a training sample", lambda: self.client.get(self._key(feed, "sample", version))
        )
        if raw is None:
            raise ArtifactError(
                f"feed {feed!r} has no stored training sample for baseline v{version}; "
                "pass --from-file"
            )
        return unpack_records(bytes(raw))  # type: ignore[arg-type]

    # -- model artifacts ------------------------------------------------------------------
    def save_model(self, feed: str, version: int, tensors: bytes, meta: bytes) -> None:
        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self._key(feed, "model", version, "tensors"), tensors)
            pipe.set(self._key(feed, "model", version, "meta"), meta)
            pipe.execute()

        self._call("store a model", write)

    def load_model(self, feed: str, version: int) -> tuple[bytes, bytes]:
        def read() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            pipe.get(self._key(feed, "model", version, "tensors"))
            pipe.get(self._key(feed, "model", version, "meta"))
            return list(pipe.execute())

        tensors, meta = self._call("read a model", read)
        if tensors is None or meta is None:
            raise ArtifactError(
                f"feed {feed!r} has no model for baseline v{version}; "
                f"train one with `driftmend synth train --feed {feed}`"
            )
        return bytes(tensors), bytes(meta)

    def carry_over(self, feed: str, source: int, target: int) -> bool:
        """Give baseline version ``target`` the model and training sample of ``source`` (a
        new version that changes tolerances or the profile only); False if it had none."""

        def copy() -> bool:
            parts = [("model", "tensors"), ("model", "meta"), ("sample",)]
            values = [self.client.get(self._key(feed, p[0], source, *p[1:])) for p in parts]
            pipe = self.client.pipeline(transaction=True)
            for part, value in zip(parts, values, strict=True):
                if value is not None:
                    pipe.set(self._key(feed, part[0], target, *part[1:]), value)
            pipe.execute()
            return values[0] is not None and values[1] is not None

        return self._call("carry a model over to a new version", copy)

    def has_model(self, feed: str, version: int) -> bool:
        key = self._key(feed, "model", version, "meta")
        return bool(self._call("look for a model", lambda: self.client.exists(key)))

    # -- the latest window profile (written by whoever profiles the live feed) -------------
    def save_latest_window(self, feed: str, profile: WindowProfile | bytes) -> None:
        """Store the latest judged window (a profile, or one already serialized)."""
        data = profile if isinstance(profile, bytes) else profile.serialize()
        self._call(
            "store a window profile",
            lambda: self.client.set(self._key(feed, "window", "latest"), data),
        )

    def latest_window(self, feed: str) -> WindowProfile | None:
        raw = self._call(
            "read the latest window profile",
            lambda: self.client.get(self._key(feed, "window", "latest")),
        )
        if raw is None:
            return None
        return WindowProfile.deserialize(bytes(raw))  # type: ignore[arg-type]
