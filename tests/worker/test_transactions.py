"""The transaction steps' error handling: retries, restarts, fatal errors and the watchdog
over calls that librdkafka lets block past their timeout (a producer double here)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from confluent_kafka import KafkaError as LibError
from confluent_kafka import KafkaException

from app.errors import IngestRestartError, KafkaError, TransactionStuckError
from app.worker.transactions import Transactions


class Producer:
    def __init__(self, offsets: list[BaseException | None] | None = None) -> None:
        self.calls: list[str] = []
        self.offsets = offsets or []  # what each send_offsets_to_transaction call does
        self.release = threading.Event()
        self.hang = False

    def init_transactions(self, timeout: float) -> None:
        self.calls.append("init")

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def send_offsets_to_transaction(self, offsets: Any, meta: Any, timeout: float) -> None:
        self.calls.append("offsets")
        if self.hang:
            self.release.wait(10)  # stuck, like librdkafka with its coordinator gone
        outcome = self.offsets.pop(0) if self.offsets else None
        if outcome is not None:
            raise outcome

    def commit_transaction(self, timeout: float) -> None:
        self.calls.append("commit")

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append("abort")


class Consumer:
    def consumer_group_metadata(self) -> object:
        return object()


def failure(code: int, **flags: bool) -> KafkaException:
    return KafkaException(LibError(code, "test", **flags))


def test_a_commit_sends_offsets_then_begins_the_next_transaction() -> None:
    producer = Producer()
    txn = Transactions(producer, "in", 0.5)  # type: ignore[arg-type]
    txn.commit(Consumer(), {0: 10, 1: 5})  # type: ignore[arg-type]
    txn.commit(Consumer(), {0: 10, 1: 5})  # type: ignore[arg-type]  # nothing new: no offsets
    assert producer.calls == ["init", "begin", "offsets", "commit", "begin", "commit", "begin"]


def test_a_retriable_error_is_retried() -> None:
    producer = Producer([failure(LibError._TIMED_OUT, retriable=True), None])
    txn = Transactions(producer, "in", 0.5)  # type: ignore[arg-type]
    txn.commit(Consumer(), {0: 1})  # type: ignore[arg-type]
    assert producer.calls.count("offsets") == 2 and txn.open


def test_an_abortable_error_aborts_and_restarts_ingest() -> None:
    producer = Producer([failure(LibError._STATE, txn_requires_abort=True)])
    txn = Transactions(producer, "in", 0.5)  # type: ignore[arg-type]
    with pytest.raises(IngestRestartError, match="starting again"):
        txn.commit(Consumer(), {0: 1})  # type: ignore[arg-type]
    assert producer.calls[-1] == "abort" and not txn.open


def test_a_fatal_error_stops_the_worker() -> None:
    producer = Producer([failure(LibError._FENCED, fatal=True)])
    txn = Transactions(producer, "in", 0.5)  # type: ignore[arg-type]
    with pytest.raises(KafkaError, match="for good") as caught:
        txn.commit(Consumer(), {0: 1})  # type: ignore[arg-type]
    assert not isinstance(caught.value, IngestRestartError)


def test_a_call_stuck_past_its_timeout_abandons_the_producer() -> None:
    producer = Producer()
    txn = Transactions(producer, "in", 0.5)  # type: ignore[arg-type]
    txn.watchdog = 0.2
    producer.hang = True
    try:
        with pytest.raises(TransactionStuckError, match="did not return"):
            txn.commit(Consumer(), {0: 1})  # type: ignore[arg-type]
        assert not txn.open
        txn.abort()  # never through the stuck producer
        assert "abort" not in producer.calls
    finally:
        producer.release.set()


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_due_at_the_interval_or_sooner_when_caught_up_with_offsets_to_commit() -> None:
    clock = Clock()
    txn = Transactions(Producer(), "in", 0.5, now=clock)  # type: ignore[arg-type]
    clock.t = 0.09
    assert not txn.due() and not txn.due({0: 10})  # not even a fifth of the interval
    clock.t = 0.1
    assert txn.due({0: 10}) and not txn.due()  # caught up with offsets to commit
    txn.commit(Consumer(), {0: 10})  # type: ignore[arg-type]  # begins again at 0.1
    clock.t = 0.3
    assert not txn.due({0: 10})  # nothing new released since the commit
    assert txn.due({0: 11})
    clock.t = 0.6
    assert txn.due() and txn.due({0: 10})  # the interval is up: due whatever was released


def test_a_background_commit_runs_while_the_caller_goes_on() -> None:
    producer = Producer()
    txn = Transactions(producer, "in", 0.5)  # type: ignore[arg-type]
    producer.hang = True  # the broker is slow to answer
    try:
        txn.start_commit(Consumer(), {0: 10})  # type: ignore[arg-type]
        assert txn.committing and not txn.commit_done()
        assert not txn.due()  # never a second commit while one runs
        producer.release.set()
        txn.finish_commit()
    finally:
        producer.release.set()
    assert not txn.committing and txn.commit_done() and txn.open
    assert producer.calls == ["init", "begin", "offsets", "commit", "begin"]


def test_a_background_commit_hands_its_failure_to_the_caller() -> None:
    producer = Producer([failure(LibError._FENCED, fatal=True)])
    txn = Transactions(producer, "in", 0.5)  # type: ignore[arg-type]
    txn.start_commit(Consumer(), {0: 1})  # type: ignore[arg-type]
    with pytest.raises(KafkaError, match="for good"):
        txn.finish_commit()
    assert not txn.committing and not txn.open
    with pytest.raises(KafkaError, match="no open transaction"):
        txn.start_commit(Consumer(), {0: 2})  # type: ignore[arg-type]


def test_abort_waits_for_a_running_commit_then_drops_the_next_transaction() -> None:
    producer = Producer()
    txn = Transactions(producer, "in", 0.5)  # type: ignore[arg-type]
    producer.hang = True
    threading.Timer(0.1, producer.release.set).start()
    txn.start_commit(Consumer(), {0: 1})  # type: ignore[arg-type]
    txn.abort()
    assert producer.calls == ["init", "begin", "offsets", "commit", "begin", "abort"]
    assert not txn.committing and not txn.open
