"""The injection state of each feed in Redis, shared by the feed's workers and kept across
restarts (rate, alpha, the event it belongs to, the last window judged and the profile
the next one bridges from). The state belongs to the input topic it was built on: a feed
attached to another topic starts afresh.

Every worker judges some of a feed's windows (``app.worker.routing``) and advances the
state one window at a time under the feed's lock (:meth:`InjectionStore.lock`); ``seq``
counts the saves, so a worker reads the (large) previous profile only when another worker
saved since its own last save. A window judged after a later one (a backlog spread over the
window-profiles topic's partitions reaches a worker's aggregator in no set order) leaves the
state as it is; its verdict starts from the state in force at its place in the feed (after
the last window below it that advanced the state, from the short ``history`` kept).

Keys: ``driftmend:feed:{feed}:injection`` (JSON), ``...:injection:previous`` (the last
judged window's serialized profile) and ``...:injection:lock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from app.errors import RepositoryError
from app.inject.policy import InjectionState
from app.repository.store import RedisStore

HISTORY = 64  # states kept after the last advancing windows (a late window's is among them)
LOCK_SECONDS = 5.0  # a turn takes milliseconds; a worker that dies holding the lock holds
# it this long at most


@dataclass(frozen=True)
class Injection:
    state: InjectionState = field(default_factory=InjectionState)
    previous: bytes = b""
    window: int = -1  # the last window that advanced the state (-1: none)
    seq: int = 0  # saves so far
    history: tuple[tuple[int, InjectionState], ...] = ()  # (window, state after it), in order

    def advanced(self, state: InjectionState, previous: bytes, window: int) -> Injection:
        """The state after ``window`` moved it on (the history keeps the windows below it:
        a window far below the last one means the windows count anew)."""
        kept = tuple(item for item in self.history if item[0] < window)
        return Injection(state, previous, window, self.seq + 1, (*kept, (window, state))[-HISTORY:])

    def state_before(self, window: int) -> InjectionState:
        """The state in force when ``window`` came: after the last window below it that
        advanced the state; none known (nothing advanced before it, or too long ago): none."""
        if window > self.window:
            return self.state
        earlier = [state for w, state in self.history if w < window]
        return earlier[-1] if earlier else InjectionState()


class InjectionStore(RedisStore):
    def save(self, feed: str, shared: Injection, topic: str = "") -> None:
        state = shared.state
        doc = {
            "topic": topic,
            "rate": state.rate,
            "alpha": state.alpha,
            "event_id": state.event_id,
            "severity": state.severity,
            "window": shared.window,
            "seq": shared.seq,
            "history": [[w, *_fields(s)] for w, s in shared.history],
        }

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self._key(feed, "injection"), orjson.dumps(doc))
            pipe.set(self._key(feed, "injection", "previous"), shared.previous)
            pipe.execute()

        self._call("store the injection state", write)

    def seq(self, feed: str, topic: str = "") -> int:
        """How many saves the stored state has had (0: none, or another topic's)."""
        doc = self._doc(self._call("read the injection state", lambda: self._get(feed)), topic)
        return 0 if doc is None else int(doc.get("seq", 0))

    def load(self, feed: str, topic: str = "") -> Injection:
        def read() -> list[Any]:
            keys = [self._key(feed, "injection"), self._key(feed, "injection", "previous")]
            return list(self.client.mget(keys))

        raw, previous = self._call("read the injection state", read)
        doc = self._doc(raw, topic)
        if doc is None:
            return Injection()
        state = _state([doc["rate"], doc["alpha"], doc["event_id"], doc["severity"]])
        return Injection(
            state,
            previous if isinstance(previous, bytes) else b"",
            int(doc.get("window", -1)),
            int(doc.get("seq", 0)),
            tuple((int(item[0]), _state(item[1:])) for item in doc.get("history", [])),
        )

    def lock(self, feed: str, wait_seconds: float) -> Any:
        """The feed's lock (redis-py's ``Lock``; ``acquire`` waits ``wait_seconds`` at most)."""
        return self.client.lock(
            self._key(feed, "injection", "lock"),
            timeout=LOCK_SECONDS,
            blocking_timeout=wait_seconds,
            sleep=0.002,  # between tries while another worker has its turn (ms long)
            thread_local=False,  # taken and given back by different threads of the pool
        )

    def _get(self, feed: str) -> Any:
        return self.client.get(self._key(feed, "injection"))

    @staticmethod
    def _doc(raw: Any, topic: str) -> dict[str, Any] | None:
        if raw is None:
            return None
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise RepositoryError(f"the stored injection state is not JSON: {exc}") from exc
        return doc if doc.get("topic", "") == topic else None


def _fields(state: InjectionState) -> list[Any]:
    return [state.rate, state.alpha, state.event_id, state.severity]


def _state(fields: list[Any]) -> InjectionState:
    rate, alpha, event_id, severity = fields
    return InjectionState(float(rate), float(alpha), str(event_id), str(severity))
