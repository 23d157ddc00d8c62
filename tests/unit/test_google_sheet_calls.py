"""``one_ahead``: the next request body is built while one request is in flight, and
nothing else changes (order, one request at a time, a failure stops what follows)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bansou_sync.adapters.google_sheet_calls import one_ahead
from bansou_sync.errors import SheetError


def test_the_next_body_is_built_while_the_request_before_it_is_in_flight() -> None:
    built: list[threading.Event] = [threading.Event() for _ in range(4)]
    overlapped: list[bool] = []

    def items() -> Iterator[int]:
        for k in range(4):
            built[k].set()
            yield k

    def send(k: int) -> str:
        # the request waits (as for Google) until the next body has been made meanwhile
        if k + 1 < 4:
            overlapped.append(built[k + 1].wait(timeout=10))
        return f"reply {k}"

    handed: list[tuple[int, str]] = []
    one_ahead(items(), send, lambda k, reply: handed.append((k, reply)))

    assert overlapped == [True, True, True]
    assert handed == [(0, "reply 0"), (1, "reply 1"), (2, "reply 2"), (3, "reply 3")]


def test_a_request_is_sent_only_once_the_one_before_it_was_answered_and_handed_on() -> None:
    events: list[str] = []
    lock = threading.Lock()

    def note(what: str) -> None:
        with lock:
            events.append(what)

    def send(k: int) -> int:
        note(f"send {k}")
        return k

    one_ahead(iter(range(3)), send, lambda k, reply: note(f"done {k}"))

    assert events == ["send 0", "done 0", "send 1", "done 1", "send 2", "done 2"]


def test_a_failed_request_in_the_middle_stops_the_later_ones_unsent() -> None:
    sent: list[int] = []
    handed: list[int] = []

    def send(k: int) -> int:
        sent.append(k)
        if k == 1:
            raise SheetError("refused")
        return k

    with pytest.raises(SheetError, match="refused"):
        one_ahead(iter(range(5)), send, lambda k, reply: handed.append(k))

    assert sent == [0, 1]  # the body of 2 was built ahead, never sent
    assert handed == [0]


def test_a_body_that_cannot_be_built_still_lets_the_request_in_flight_be_handed_on() -> None:
    handed: list[int] = []

    def items() -> Iterator[int]:
        yield 0
        raise ValueError("row of the wrong width")

    with pytest.raises(ValueError, match="wrong width"):
        one_ahead(items(), lambda k: k, lambda k, reply: handed.append(k))

    assert handed == [0]


def test_nothing_to_send_sends_nothing() -> None:
    one_ahead(iter([]), lambda k: pytest.fail("sent"), lambda k, reply: pytest.fail("handed"))
