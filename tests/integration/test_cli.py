"""The baseline commands against the real Redis (and Kafka for --from-topic)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from app.analysis import DEFAULT_TOLERANCES
from tests.conftest import make_records
from tests.integration.harness import ROOT, bootstrap, create_topic, produce, redis_url, unique


def driftmend(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap(), "REDIS_URL": redis_url()}
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_from_file_then_show_json(tmp_path: Path) -> None:
    feed = unique("cli")
    pd.DataFrame(make_records(np.random.default_rng(0), 2_000)).to_parquet(tmp_path / "s.parquet")
    first = driftmend(
        "baseline",
        "create",
        "--no-model",
        "--feed",
        feed,
        "--from-file",
        str(tmp_path / "s.parquet"),
        "--json",
    )
    assert first.returncode == 0, first.stderr
    assert orjson.loads(first.stdout) == {"feed": feed, "version": 1, "records": 2_000}
    again = driftmend(
        "baseline",
        "create",
        "--no-model",
        "--feed",
        feed,
        "--from-file",
        str(tmp_path / "s.parquet"),
    )
    assert again.returncode == 0 and "v2" in again.stdout
    shown = driftmend("baseline", "show", "--feed", feed, "--json")
    assert shown.returncode == 0, shown.stderr
    doc = orjson.loads(shown.stdout)
    assert doc["version"] == 2 and doc["records"] == 2_000
    fields = {f["name"]: f for f in doc["fields"]}
    assert fields["category"]["kind"] == "categorical"
    assert fields["x"]["kind"] == "continuous" and abs(fields["x"]["median"]) < 0.2
    default = DEFAULT_TOLERANCES["distribution"]
    assert doc["tolerances"]["defaults"]["distribution"] == {
        "low": default.low,
        "medium": default.medium,
        "high": default.high,
    }
    table = driftmend("baseline", "show", "--feed", feed, "--version", "1")
    assert table.returncode == 0 and "category" in table.stdout


def test_create_from_topic_sample() -> None:
    feed, topic = unique("cli-topic"), unique("cli-topic-in")
    create_topic(topic, 2)
    rows = make_records(np.random.default_rng(1), 3_000)
    produce(topic, ((None, orjson.dumps(r), None, i % 2) for i, r in enumerate(rows)))
    done = driftmend(
        "baseline",
        "create",
        "--no-model",
        "--feed",
        feed,
        "--from-topic",
        topic,
        "--sample",
        "1000",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["records"] == 1_000


def test_errors_are_one_clear_line() -> None:
    missing = driftmend("baseline", "show", "--feed", unique("nobody"))
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0
    assert "no baseline for feed" in missing.stderr
    both = driftmend("baseline", "create", "--feed", "x")
    assert both.returncode == 1 and "exactly one of --from-file and --from-topic" in both.stderr


def test_usage_errors_are_one_error_line_and_exit_2() -> None:
    for args in (("baseline", "show"), ("synth", "sample", "--feed", "x", "-n", "many"), ("nope",)):
        done = driftmend(*args)
        assert done.returncode == 2, args
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr


def test_every_command_has_help() -> None:
    commands = [
        ("worker",), ("demo",), ("topics", "apply"),
        *[("baseline", c) for c in ("create", "show", "tolerances", "rollback")],
        *[("synth", c) for c in ("train", "sample", "report")],
        ("lineage", "show"),
    ]  # fmt: skip
    for args in commands:
        done = driftmend(*args, "--help")
        assert done.returncode == 0 and "Usage: driftmend" in done.stdout, args


def test_topics_apply_creates_or_finds_every_topic() -> None:
    done = driftmend("topics", "apply", "--json")
    assert done.returncode == 0, done.stderr
    state = orjson.loads(done.stdout)
    assert {"driftmend.drift-events", "driftmend.dlq", "driftmend.baselines"} <= set(state)
    assert set(state.values()) <= {"created", "exists"}


def test_tolerances_show_and_set(tmp_path: Path) -> None:
    feed = unique("cli-tol")
    pd.DataFrame(make_records(np.random.default_rng(2), 1_000)).to_csv(
        tmp_path / "s.csv", index=False
    )
    assert (
        driftmend(
            "baseline",
            "create",
            "--no-model",
            "--feed",
            feed,
            "--from-file",
            str(tmp_path / "s.csv"),
        ).returncode
        == 0
    )
    (tmp_path / "t.yaml").write_text(
        "fields:\n  amount:\n    null_rate: {low: 0.02, medium: 0.1, high: 0.3}\n"
    )
    done = driftmend(
        "baseline", "tolerances", "--feed", feed, "--set", str(tmp_path / "t.yaml"), "--json"
    )
    assert done.returncode == 0, done.stderr
    doc = orjson.loads(done.stdout)
    assert doc["version"] == 2
    assert doc["fields"]["amount"]["null_rate"] == {"low": 0.02, "medium": 0.1, "high": 0.3}
    shown = driftmend("baseline", "tolerances", "--feed", feed)
    assert shown.returncode == 0 and "null_rate" in shown.stdout and "amount" in shown.stdout
    (tmp_path / "bad.yaml").write_text("fields:\n  ghost: {}\n")
    bad = driftmend("baseline", "tolerances", "--feed", feed, "--set", str(tmp_path / "bad.yaml"))
    assert bad.returncode == 1 and "ghost" in bad.stderr
