"""The Forms API's call thread and its one-page-ahead reader (``adapters.forms_pages``)."""

from __future__ import annotations

import threading

import pytest

from bansou_sync.adapters.forms_pages import CallThread, Page, PageReader


def test_calls_run_in_order_on_one_daemon_thread_and_their_errors_are_raised_to_the_caller() -> (
    None
):
    calls = CallThread("test-calls")
    seen: list[tuple[int, threading.Thread]] = []
    for n in range(5):
        assert calls.run(lambda n=n: seen.append((n, threading.current_thread())) or n) == n
    assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
    assert len({t for _, t in seen}) == 1
    thread = seen[0][1]
    assert thread is not threading.current_thread() and thread.daemon

    def refuse() -> int:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        calls.run(refuse)
    assert calls.run(lambda: threading.current_thread()) is thread  # still serving


def test_the_reader_asks_for_a_page_only_when_told_and_never_more_than_one_ahead() -> None:
    asked: list[str | None] = []
    gate = threading.Event()

    def read(token: str | None) -> Page:
        asked.append(token)
        gate.wait(5)
        following = {None: "p2", "p2": "p3", "p3": None}[token]
        return [{"responseId": token or "p1"}], following

    reader = PageReader(CallThread("test-pages"), read)
    gate.set()
    assert next(reader) == [{"responseId": "p1"}]
    assert asked == [None]  # page 2 not asked for until told
    reader.ahead()
    reader.ahead()  # asked already: not twice
    assert next(reader) == [{"responseId": "p2"}]
    assert next(reader) == [{"responseId": "p3"}]
    assert asked == [None, "p2", "p3"]
    with pytest.raises(StopIteration):
        next(reader)


def test_closing_the_reader_waits_for_the_page_asked_ahead_and_drops_its_error() -> None:
    finished = threading.Event()

    def read(token: str | None) -> Page:
        if token is None:
            return [{"responseId": "p1"}], "p2"
        finished.set()
        raise OSError("connection reset")

    reader = PageReader(CallThread("test-close"), read)
    assert next(reader) == [{"responseId": "p1"}]
    reader.ahead()
    reader.close()
    assert finished.is_set()
    with pytest.raises(StopIteration):
        next(reader)
