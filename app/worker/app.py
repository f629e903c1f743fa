"""The faust app of one worker: the ingest service plus the aggregator agent.

``ingest`` (a service running a confluent-kafka batch loop in a thread) forwards and profiles
the input; ``aggregate`` (a faust agent on the window-profiles topic) merges partial windows,
compares them with the baseline, emits drift events and each window's verdict (injection).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import faust
import mode
from confluent_kafka.admin import AdminClient

from app.api.service import ApiService
from app.api.views import register as register_api
from app.errors import ConfigError, DriftmendError, SketchError
from app.events.drift_event import encode_event
from app.inject.policy import InjectionPolicy
from app.kafka.topics import ensure_topics, load_topic_specs, partition_count
from app.metrics import Metrics
from app.profile.window import WindowProfile
from app.repository.baselines import BaselineRepository
from app.repository.events import EventLog
from app.repository.models import ModelRepository
from app.settings import Settings
from app.worker.aggregator import WindowAggregator
from app.worker.analysis import AnalysisClient
from app.worker.baseline_ref import BaselineRef
from app.worker.ingest import Ingest
from app.worker.options import WorkerOptions
from app.worker.profiler import STATE_HEADER
from app.worker.retraining import Job, Outcome, RetrainClient
from app.worker.steering import Steering

log = logging.getLogger("driftmend.worker")


def faust_broker(bootstrap: str) -> str:
    return ";".join(f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip())


def _header(headers: Any, name: str) -> str | None:
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for key, value in items:
        if key == name:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


class IngestService(mode.Service):
    """Runs :class:`Ingest` in a thread; a crash there crashes the worker."""

    ingest: Ingest

    async def on_start(self) -> None:
        self._stop_event = threading.Event()
        loop = asyncio.get_running_loop()

        def run() -> None:
            try:
                self.ingest.run(self._stop_event)
            except Exception as exc:
                log.exception("ingest failed")
                failure = exc
                loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self.crash(failure)))

        self._thread = threading.Thread(target=run, name="driftmend-ingest", daemon=True)
        self._thread.start()

    async def on_stop(self) -> None:
        self._stop_event.set()
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 60)


class Judge:
    """Decides each merged window: refresh the baseline, analyze, emit a drift event."""

    def __init__(
        self,
        options: WorkerOptions,
        repository: BaselineRepository,
        ref: BaselineRef,
        metrics: Metrics,
        min_records: int,
        send: Any,
        steering: Steering,
        retrain: RetrainClient | None = None,
        event_log: EventLog | None = None,
    ) -> None:
        self.analysis = AnalysisClient(options.input_topic)
        self.options = options
        self.repository = repository
        self.ref = ref
        self.metrics = metrics
        self.min_records = min_records
        self.send = send
        self.steering = steering
        self.retrain = retrain
        self._unsent: list[Outcome] = []
        self.event_log = event_log

    def refresh_baseline(self) -> None:
        try:
            version = self.repository.current_version(self.options.feed)
            if version != self.ref.baseline.version:
                self.ref.swap(self.repository.get(self.options.feed, version))
                self.metrics.baseline_version.labels(self.options.feed).set(version)
                log.info("switched to baseline version %d", version)
        except DriftmendError as exc:
            log.warning("keeping baseline version %d: %s", self.ref.baseline.version, exc)

    async def decide(self, window: WindowProfile) -> None:
        """Judge the window, then publish its verdict whatever happened (held records wait
        for it)."""
        self.refresh_baseline()
        version = self.ref.baseline.version
        event: dict[str, Any] | None = None
        judged = False
        try:
            judged, event = await self._judge(window)
        finally:
            await self.steering.after(window, version, event, judged)
        if event is not None and self.retrain is not None:
            self._unsent += self.retrain.submit(
                Job(
                    str(event["event_id"]),
                    str(event["severity"]),
                    window.serialize(),
                    int(event["window_start"]),
                    int(event["window_end"]),
                    self.steering.state.alpha,
                )
            )

    async def collect_retrains(self) -> None:
        """Count and report what the retrain agent did (a turned-down challenger too)."""
        if self.retrain is None:
            return
        done, self._unsent = [*self._unsent, *self.retrain.outcomes()], []
        for outcome in done:
            self.metrics.retrains.labels(self.options.feed, outcome.action).inc()
            log.info(
                "retrain after event %s: %s%s %s",
                outcome.event_id,
                outcome.action,
                "" if outcome.new_version is None else f" -> version {outcome.new_version}",
                outcome.reason,
            )
            if outcome.action in ("kept_champion", "failed"):
                await self.steering.report(outcome)
            if outcome.new_version is not None:
                self.refresh_baseline()

    async def _judge(self, window: WindowProfile) -> tuple[bool, dict[str, Any] | None]:
        feed = self.options.feed
        if window.records < self.min_records:
            self.metrics.windows_skipped.labels(feed).inc()
            log.info("window %d: %d records, too few to judge", window.window_id, window.records)
            return False, None
        event, scores = await self.analysis.analyze(self.ref.baseline, self.ref.serialized, window)
        self.metrics.windows_closed.labels(feed).inc()
        for name, score in scores.items():
            self.metrics.drift_score.labels(feed, name).set(score)
        if event is None:
            log.info("window %d: %d records, no drift", window.window_id, window.records)
            return True, None
        await self.send(key=feed.encode(), value=encode_event(event))
        self.metrics.drift_events.labels(feed, event["severity"]).inc()
        if self.event_log is not None:
            try:
                self.event_log.add(event)
            except DriftmendError as exc:  # the topic has it: the recent list is a convenience
                log.warning("drift event not kept for the API: %s", exc)
        changed = ", ".join(
            f"{c['field']}.{c['characteristic']}" for c in event["changed_characteristics"][:5]
        )
        log.info(
            "window %d: %s drift (score %.2f): %s",
            window.window_id,
            event["severity"],
            event["drift_score"],
            changed,
        )
        return True, event


def _lineage(repository: BaselineRepository) -> Any:
    """The lineage repository, when this build has one."""
    try:
        from app.repository.lineage import LineageRepository
    except ImportError:
        return None
    return LineageRepository(repository.client)


def create_app(
    settings: Settings, options: WorkerOptions, repository: BaselineRepository, metrics: Metrics
) -> faust.App:
    admin = AdminClient(settings.kafka_config())
    ensure_topics(admin, load_topic_specs(settings.topics_dir))
    partitions = partition_count(admin, options.input_topic)
    if partitions is None:
        raise ConfigError(f"input topic {options.input_topic!r} does not exist")
    ref = BaselineRef(repository.get(options.feed))
    metrics.baseline_version.labels(options.feed).set(ref.baseline.version)
    ingest = Ingest(settings, options, ref, metrics, partitions)
    aggregator = WindowAggregator(partitions, settings.window_grace_seconds)

    datadir = settings.state_dir / options.feed
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        f"{options.group_id}-agg",
        broker=faust_broker(settings.kafka_bootstrap_servers),
        web_enabled=settings.web_port > 0,
        web_port=settings.web_port or 6066,
        web_bind=settings.web_bind,
        datadir=str(datadir),
        topic_partitions=1,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
    )
    profiles = app.topic(
        settings.window_profiles_topic, key_serializer="raw", value_serializer="raw"
    )
    events = app.topic(settings.drift_events_topic, key_serializer="raw", value_serializer="raw")
    verdicts = app.topic(settings.verdicts_topic, key_serializer="raw", value_serializer="raw")
    alerts = app.topic(settings.alerts_topic, key_serializer="raw", value_serializer="raw")
    steering = Steering(
        options.feed,
        InjectionPolicy.from_settings(settings),
        ModelRepository(repository.client),
        metrics,
        verdicts.send,
        alerts.send,
        enabled=settings.inject_enabled,
    )
    retrain = RetrainClient(settings, options) if settings.retrain_enabled else None
    event_log = EventLog(repository.client)
    judge = Judge(
        options,
        repository,
        ref,
        metrics,
        ingest.clock.min_records(),
        events.send,
        steering,
        retrain,
        event_log,
    )
    ingest.on_new_baseline = judge.refresh_baseline  # every worker, on driftmend.baselines
    if settings.web_port > 0:
        register_api(
            app,
            ApiService(
                repository, ModelRepository(repository.client), event_log, _lineage(repository)
            ),
            ready=lambda: ingest.consuming,
        )
    key_prefix = f"{options.feed}:".encode()
    app.service(type("FeedIngestService", (IngestService,), {"ingest": ingest}))

    @app.agent(profiles)
    async def aggregate(stream: Any) -> None:
        async for event in stream.events():
            if not (event.key or b"").startswith(key_prefix):
                continue
            try:
                partial = WindowProfile.deserialize(event.value)
            except SketchError as exc:
                log.warning("dropping a malformed window profile: %s", exc)
                continue
            closed = _header(event.headers, STATE_HEADER) in ("closed", "idle")
            source = (event.message.partition, event.message.offset)
            for window in aggregator.add(partial, closed, source):
                await judge.decide(window)

    @app.timer(1.0)  # type: ignore[untyped-decorator]
    async def expire_windows() -> None:
        for window in aggregator.expire():
            await judge.decide(window)
        await judge.collect_retrains()

    return app
