"""Artifacts: safetensors + hashed JSON; anything unknown or edited is refused clearly."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import ArtifactError
from app.schema.model import FieldSpec, Schema
from app.synth import artifacts
from app.synth.synthesizer import Synthesizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dumped(synth: Synthesizer) -> tuple[bytes, bytes]:
    return artifacts.dump(synth)


def test_round_trip_samples_the_same(synth: Synthesizer, dumped: tuple[bytes, bytes]) -> None:
    loaded = artifacts.load(*dumped, expect_schema=synth.schema)
    assert loaded.sample(200, seed=4) == synth.sample(200, seed=4)
    assert loaded.info == synth.info
    assert artifacts.dump(loaded) == dumped  # bytes are stable


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_changed_byte_is_refused(dumped: tuple[bytes, bytes], data: st.DataObject) -> None:
    tensors, meta = dumped
    which = data.draw(st.sampled_from(["tensors", "meta"]))
    blob = bytearray(tensors if which == "tensors" else meta)
    at = data.draw(st.integers(0, len(blob) - 1))
    blob[at] ^= data.draw(st.integers(1, 255))
    changed = (bytes(blob), meta) if which == "tensors" else (tensors, bytes(blob))
    with pytest.raises(ArtifactError):
        artifacts.load(*changed)


def test_unknown_format_or_version_is_refused(dumped: tuple[bytes, bytes]) -> None:
    tensors, meta = dumped
    with pytest.raises(ArtifactError, match="unknown format"):
        artifacts.load(tensors, orjson.dumps({"format": "other"}))
    doc = orjson.loads(meta)
    doc["format_version"] = 99
    with pytest.raises(ArtifactError, match="version 99"):
        artifacts.load(tensors, orjson.dumps(doc))
    with pytest.raises(ArtifactError, match="not JSON"):
        artifacts.load(tensors, b"\x80\x04pickle")


def test_other_schema_is_refused(dumped: tuple[bytes, bytes]) -> None:
    other = Schema((FieldSpec("only", "int", "continuous"),))
    with pytest.raises(ArtifactError, match="another schema"):
        artifacts.load(*dumped, expect_schema=other)


def test_rehashed_but_inconsistent_metadata_is_refused(dumped: tuple[bytes, bytes]) -> None:
    """Someone edits the metadata and recomputes the hash: the parts no longer fit."""
    tensors, meta = dumped
    doc = orjson.loads(meta)
    doc["architecture"]["hidden"] = 7
    doc.pop("content_sha256")
    doc["content_sha256"] = artifacts.hashlib.sha256(artifacts._canonical(doc)).hexdigest()
    with pytest.raises(ArtifactError, match="does not fit"):
        artifacts.load(tensors, artifacts._canonical(doc))


def test_no_pickle_in_the_engine() -> None:
    for path in (ROOT / "app" / "synth").glob("*.py"):
        text = path.read_text()
        assert "pickle" not in text.replace("no pickle", "") and "torch.load" not in text, path
