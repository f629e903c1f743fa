"""The synthesis client's queue: one request in flight, cancelled ones never sent."""

from __future__ import annotations

from collections import deque

from app.inject.synth_process import Request, SynthClient


class Pipe:
    def __init__(self) -> None:
        self.sent: list[Request] = []

    def send(self, req: Request) -> None:
        self.sent.append(req)


def client() -> tuple[SynthClient, Pipe]:
    c = SynthClient.__new__(SynthClient)  # no child process: the queue logic alone
    pipe = Pipe()
    c._conn = pipe  # type: ignore[assignment]
    c._next = 0
    c._queue = deque()
    c._in_flight = False
    return c, pipe


def test_cancelled_requests_are_not_sent() -> None:
    c, pipe = client()
    first = c.request(1, 10, 0.0, b"", b"", 0, None)
    second = c.request(1, 10, 0.0, b"", b"", 1, None)
    third = c.request(1, 10, 0.0, b"", b"", 2, None)
    assert [r.request_id for r in pipe.sent] == [first]  # one in flight
    c.cancel(second)
    c._in_flight = False  # the first answer came back
    c._send_next()
    assert [r.request_id for r in pipe.sent] == [first, third]
