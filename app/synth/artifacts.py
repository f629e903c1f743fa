"""Model artifacts: tensors as safetensors, everything else as JSON; no pickle anywhere.

``dump`` gives two byte strings. The JSON names the format and its version, carries the
schema and its fingerprint, the architecture, the codecs' small facts, training facts, the
SHA-256 of the tensor bytes and a content hash over all of it. ``load`` checks all of that
before it builds anything, so an unknown, truncated or edited artifact fails with a clear
``ArtifactError`` instead of a confusing model.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import orjson
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from app.errors import ArtifactError, SchemaError
from app.repository.baselines import BaselineRepository
from app.repository.models import ModelRepository
from app.schema.model import Schema
from app.synth.calibrate import Calibration
from app.synth.model import Architecture, TabularVAE
from app.synth.synthesizer import Synthesizer
from app.synth.transform import CODEC_KINDS, Codec, codec_kind

FORMAT = "driftmend.synth"
FORMAT_VERSION = 1


def _canonical(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def schema_fingerprint(schema: Schema) -> str:
    return hashlib.sha256(_canonical(schema.to_dict())).hexdigest()


def dump(synth: Synthesizer) -> tuple[bytes, bytes]:
    """(safetensors bytes, JSON metadata bytes)."""
    tensors: dict[str, torch.Tensor] = {
        f"model.{k}": v.detach().cpu().contiguous() for k, v in synth.model.state_dict().items()
    }
    tensors["cal.grids"] = torch.from_numpy(np.ascontiguousarray(synth.calibration.grids))
    for j, bias in enumerate(synth.calibration.biases):
        tensors[f"cal.bias.{j}"] = bias.detach().cpu().contiguous()
    tensors["memory"] = torch.from_numpy(synth.memory.astype(np.uint64).view(np.int64))
    codecs = []
    for i, codec in enumerate(synth.codecs):
        for name, array in codec.arrays().items():
            tensors[f"codec.{i}.{name}"] = torch.from_numpy(np.ascontiguousarray(array))
        codecs.append({"field": codec.spec.name, "kind": codec_kind(codec), **codec.to_meta()})
    blob = save_tensors(tensors)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema": synth.schema.to_dict(),
        "schema_fingerprint": schema_fingerprint(synth.schema),
        "architecture": synth.model.arch.to_dict(),
        "codecs": codecs,
        "info": dict(synth.info),
        "tensors_sha256": hashlib.sha256(blob).hexdigest(),
    }
    meta["content_sha256"] = hashlib.sha256(_canonical(meta)).hexdigest()
    return blob, _canonical(meta)


def read_meta(meta_bytes: bytes) -> dict[str, Any]:
    """The metadata, after checking its format and content hash."""
    try:
        meta = orjson.loads(meta_bytes)
    except orjson.JSONDecodeError as exc:
        raise ArtifactError(f"model metadata is not JSON: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ArtifactError("not a driftmend model artifact (unknown format)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"model artifact format version {meta.get('format_version')!r} is not supported "
            f"(this driftmend reads version {FORMAT_VERSION}); retrain with `driftmend synth train`"
        )
    claimed = meta.pop("content_sha256", None)
    if claimed != hashlib.sha256(_canonical(meta)).hexdigest():
        raise ArtifactError("model metadata does not match its content hash (tampered?)")
    meta["content_sha256"] = claimed
    return meta


def load(blob: bytes, meta_bytes: bytes, expect_schema: Schema | None = None) -> Synthesizer:
    meta = read_meta(meta_bytes)
    if hashlib.sha256(blob).hexdigest() != meta.get("tensors_sha256"):
        raise ArtifactError("model tensors do not match the metadata's hash (tampered?)")
    if expect_schema is not None and meta["schema_fingerprint"] != schema_fingerprint(
        expect_schema
    ):
        raise ArtifactError("the model was trained on another schema than the baseline's")
    try:
        tensors = load_tensors(blob)
    except SafetensorError as exc:
        raise ArtifactError(f"model tensors are unreadable: {exc}") from exc
    try:
        schema = Schema.from_dict(meta["schema"])
        if schema_fingerprint(schema) != meta["schema_fingerprint"]:
            raise ArtifactError("the model's schema does not match its fingerprint")
        arch = Architecture.from_dict(meta["architecture"])
        codecs = tuple(_codec(schema, i, raw, tensors) for i, raw in enumerate(meta["codecs"]))
        model = TabularVAE(arch)
        state = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
        model.load_state_dict(state, strict=True)
        model.eval()
        calibration = Calibration(
            tensors["cal.grids"].numpy(),
            tuple(tensors[f"cal.bias.{j}"] for j in range(len(arch.segments))),
        )
    except (KeyError, TypeError, ValueError, AssertionError, RuntimeError, SchemaError) as exc:
        raise ArtifactError(f"model artifact does not fit together: {exc}") from exc
    if [c.spec.name for c in codecs] != schema.names:
        raise ArtifactError("model codecs do not cover the schema's fields")
    memory = np.sort(tensors["memory"].numpy().view(np.uint64)) if "memory" in tensors else None
    if memory is None:
        raise ArtifactError("model artifact lacks its training-row hashes")
    return Synthesizer(schema, codecs, model, calibration, meta.get("info", {}), memory)


def save_synthesizer(repo: ModelRepository, feed: str, version: int, synth: Synthesizer) -> None:
    tensors, meta = dump(synth)
    repo.save_model(feed, version, tensors, meta)


def load_synthesizer(repo: ModelRepository, feed: str, version: int | None = None) -> Synthesizer:
    """The model of a baseline version (default: the current one), checked against its schema."""
    baseline = BaselineRepository(repo.client).get(feed, version)
    tensors, meta = repo.load_model(feed, baseline.version)
    return load(tensors, meta, baseline.schema)


def _codec(schema: Schema, i: int, raw: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Codec:
    spec = schema.get(raw["field"])
    cls = CODEC_KINDS.get(raw["kind"])
    if spec is None or cls is None:
        raise ArtifactError(f"unknown field or codec kind in model: {raw.get('field')!r}")
    prefix = f"codec.{i}."
    arrays = {k[len(prefix) :]: v.numpy() for k, v in tensors.items() if k.startswith(prefix)}
    return cls.from_parts(spec, raw, arrays)
