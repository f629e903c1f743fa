"""The faust app of one worker: the ingest service, the aggregator agent and the REST API.

``ingest`` (a service running a confluent-kafka batch loop in a thread) forwards and profiles
the input; ``aggregate`` (a faust agent on the window-profiles topic) merges the partial
windows of this worker's partitions of that topic (state in Redis,
``app.worker.durable_aggregator``; ``app.worker.routing`` says which windows are whose),
compares them with the baseline, emits drift events and each window's verdict (injection,
its state shared by the feed's workers).

The ingest starts before the faust app, not as one of its services: it reads the input in a
consumer group of its own, so it need not wait for the app's aggregator group to settle
(seen: workers started together began reading 3 s apart, the second one's app waiting out
the group's rebalance, and the first read the whole feed alone meanwhile).
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
from app.errors import ConfigError, IngestRestartError, SketchError
from app.heal.publish import BaselinePublisher
from app.inject.policy import InjectionPolicy
from app.kafka.connect import check_connection
from app.kafka.faust_auth import faust_credentials
from app.kafka.group_start import start_group_at
from app.kafka.topics import (
    LARGE_MESSAGE_BYTES,
    ensure_topics,
    load_topic_specs,
    partition_count,
    raise_message_limits,
)
from app.metrics import Metrics
from app.profile.window import WindowProfile
from app.repository.aggregates import AggregateStore
from app.repository.baselines import BaselineRepository
from app.repository.events import EventLog
from app.repository.injection import InjectionStore
from app.repository.lineage import LineageRepository
from app.repository.models import ModelRepository
from app.settings import Settings
from app.worker.aggregator import ListeningClock, WindowAggregator
from app.worker.baseline_ref import BaselineRef
from app.worker.durable_aggregator import DurableAggregator
from app.worker.ingest import Ingest
from app.worker.judge import Judge
from app.worker.options import WorkerOptions
from app.worker.profiler import EARLIER_HEADER, REBALANCE, STATE_HEADER
from app.worker.retraining import RetrainClient
from app.worker.routing import parse_earlier
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

    def __init__(self, ingest: Ingest) -> None:
        super().__init__()
        self.ingest = ingest

    async def on_start(self) -> None:
        self._stop_event = threading.Event()
        loop = asyncio.get_running_loop()

        def run() -> None:
            try:
                while True:
                    try:
                        self.ingest.run(self._stop_event)
                        return
                    except IngestRestartError as exc:  # like a restart, without the process
                        log.warning("%s", exc)
                        self.ingest.metrics.ingest_restarts.labels(self.ingest.options.feed).inc()
                        if self._stop_event.wait(1.0):
                            return
            except Exception as exc:
                log.exception("ingest failed")
                failure = exc
                loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self.crash(failure)))

        self._thread = threading.Thread(target=run, name="driftmend-ingest", daemon=True)
        self._thread.start()

    async def on_stop(self) -> None:
        self._stop_event.set()
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 60)


class ChildrenService(mode.Service):
    """Stops the judge's child processes when the worker stops (else the interpreter waits
    for them at exit: they ignore SIGTERM, so the worker decides when they end)."""

    judge: Judge

    async def on_stop(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.judge.close)


async def _take(
    event: Any, aggregator: DurableAggregator, listening: ListeningClock
) -> list[WindowProfile]:
    """One record of the window-profiles topic: the windows it completes."""
    state = _header(event.headers, STATE_HEADER)
    if state == REBALANCE:
        aggregator.rebalanced()
        return []
    try:
        partial = WindowProfile.deserialize(event.value)
    except SketchError as exc:
        log.warning("dropping a malformed window profile: %s", exc)
        return []
    if state == "revoked":
        aggregator.rebalanced()
    source = (event.message.partition, event.message.offset)
    earlier = parse_earlier(_header(event.headers, EARLIER_HEADER))
    closed = state in ("closed", "idle")
    with listening.busy():  # grace stands still while the partial is stored
        return await aggregator.add(partial, event.value, closed, source, earlier)


def _prepare_kafka(settings: Settings, options: WorkerOptions) -> int:
    """Check the broker, create or update driftmend's topics, start a new aggregator group
    at a recent point of the window-profiles topic; the input topic's partition count."""
    check_connection(settings)
    admin = AdminClient(settings.kafka_config())
    specs = load_topic_specs(settings.topics_dir, settings.topic_names())
    ensure_topics(admin, specs)
    raise_message_limits(admin, specs)
    partitions = partition_count(admin, options.input_topic)
    if partitions is None:
        raise ConfigError(f"input topic {options.input_topic!r} does not exist")
    start_group_at(  # a new feed does not read every feed's partials of the last day
        settings.kafka_config(),
        f"{options.group_id}-agg",
        settings.window_profiles_topic,
        settings.profiles_lookback_seconds,
    )
    return partitions


def create_app(
    settings: Settings, options: WorkerOptions, repository: BaselineRepository, metrics: Metrics
) -> tuple[faust.App, mode.Service]:
    """The faust app, and the ingest service to start before it."""
    partitions = _prepare_kafka(settings, options)
    ref = BaselineRef(repository.get(options.feed))
    metrics.baseline_version.labels(options.feed).set(ref.baseline.version)
    ingest = Ingest(settings, options, ref, metrics, partitions)
    listening = ListeningClock()
    aggregator = DurableAggregator(
        WindowAggregator(partitions, settings.window_grace_seconds, listening),
        AggregateStore(repository.client),
        options.feed,
        options.input_topic,
        settings.window_profiles_topic,
        late_partials=metrics.late_partials.labels(options.feed),
        judging=metrics.judging_partitions.labels(options.feed),
    )

    datadir = settings.state_dir / options.feed
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        f"{options.group_id}-agg",
        broker=faust_broker(settings.kafka_bootstrap_servers),
        broker_credentials=faust_credentials(settings),
        web_enabled=settings.web_port > 0,
        web_port=settings.web_port or 6066,
        web_bind=settings.web_bind,
        datadir=str(datadir),
        topic_partitions=1,
        consumer_auto_offset_reset="earliest",
        # the input group's: a killed worker's place in the aggregator group (and the
        # window-profiles topic, if it owned it) is given up after this, not faust's 60 s
        # (held output waits for the verdicts meanwhile)
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        producer_acks=-1,
        # profiles of wide records travel on the window-profiles and verdicts topics
        producer_max_request_size=LARGE_MESSAGE_BYTES,
        consumer_max_fetch_size=LARGE_MESSAGE_BYTES,
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
        store=InjectionStore(repository.client),
        topic=options.input_topic,
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
        urgent=settings.hold_output,
    )
    ingest.on_new_baseline = judge.refresh_baseline  # every worker, on driftmend.baselines
    if settings.web_port > 0:
        register_api(
            app,
            ApiService(
                repository,
                ModelRepository(repository.client),
                event_log,
                LineageRepository(repository.client),
                BaselinePublisher(settings, repository),
            ),
            ready=lambda: ingest.consuming,
        )
    key_prefix = f"{options.feed}:".encode()
    app.service(type("JudgeChildrenService", (ChildrenService,), {"judge": judge}))

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # mode types it loosely
    async def on_assigned(_app: Any, *args: Any, signal: Any, **_: Any) -> None:
        await aggregator.assigned(args[0])  # the new assignment: every TP this worker has

    async def decide(window: WindowProfile) -> None:
        with listening.busy():
            await judge.decide(window)
        await aggregator.decided(window)

    @app.agent(profiles)
    async def aggregate(stream: Any) -> None:
        async for event in stream.events():
            if (event.key or b"").startswith(key_prefix):
                for window in await _take(event, aggregator, listening):
                    await decide(window)

    @app.timer(1.0)  # type: ignore[untyped-decorator]
    async def expire_windows() -> None:
        for window in aggregator.expire():
            await decide(window)
        await judge.collect_retrains()

    return app, IngestService(ingest)
