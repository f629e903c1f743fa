"""docker-compose.yml and the Dockerfile name what the app actually reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_has_kraft_kafka_redis_and_worker() -> None:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = doc["services"]
    assert set(services) >= {"kafka", "redis", "worker"}
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    worker = services["worker"]
    env = worker["environment"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"].startswith("kafka:")
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert worker["command"][0] == "worker"
    for key in env:
        if key.startswith("DRIFTMEND_"):
            assert key.removeprefix("DRIFTMEND_").lower() in Settings.model_fields, key


def test_dockerfile_sets_only_known_settings() -> None:
    text = (ROOT / "Dockerfile").read_text()
    names = {w.split("=")[0] for w in text.replace("\\", " ").split() if w.startswith("DRIFTMEND_")}
    assert names, "the Dockerfile should place state, topics and schemas"
    for name in names:
        assert name.removeprefix("DRIFTMEND_").lower() in Settings.model_fields, name
