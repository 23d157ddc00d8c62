"""The Forms API's calls on one thread of their own, and ``responses.list`` one page ahead.

Google (like the emulator) prepares the next page of responses on its own machine: while
the daemon converts page k, page k+1 can be on its way. ``PageReader`` asks for it when
told to (``ahead``: once the caller knows it will read on), never more than one page
ahead, so at most two pages are held at once.

googleapiclient's service objects and httplib2's ``Http`` are not thread-safe: every call
of a source goes through its ``CallThread``, a single daemon thread that builds and uses
the service, one call at a time, in the order asked. The caller waits on each result in
its own thread; an error raised there (after the retries, which run there too) is raised
again to the caller as it was. A daemon thread: a process that stops does not wait for a
page it no longer needs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
Page = tuple[list[dict[str, Any]], str | None]  # (responses, nextPageToken)


class CallThread:
    """Runs callables one at a time, in order, on one daemon thread started when needed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
                self._thread.start()
            self._queue.put((fn, future))
        return future

    def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the thread; its result here, or its exception raised here."""
        return self.submit(fn).result()

    def _serve(self) -> None:
        while True:
            fn, future = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as exc:  # handed to the caller, who raises it
                future.set_exception(exc)
            else:
                future.set_result(result)
            del fn, future  # a page is not kept by this thread once handed over


class PageReader:
    """Pages of ``read(token)`` (``None`` first) through ``calls``, each asked for when the
    caller calls ``ahead`` (or, at the latest, when it asks for the page)."""

    def __init__(self, calls: CallThread, read: Callable[[str | None], Page]) -> None:
        self._calls = calls
        self._read = read
        self._token: str | None = None
        self._started = False
        self._next: Future[Page] | None = None
        self._done = False

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        return self

    def __next__(self) -> list[dict[str, Any]]:
        if self._done:
            raise StopIteration
        self.ahead()
        future, self._next = self._next, None
        assert future is not None
        responses, self._token = future.result()
        del future  # the page is the caller's alone from here
        self._done = not self._token
        return responses

    def ahead(self) -> None:
        """Ask for the next page now (no-op when asked already, or when there is none)."""
        if self._next is not None or self._done or (self._started and not self._token):
            return
        token, self._started = self._token, True
        self._next = self._calls.submit(lambda: self._read(token))

    def close(self) -> None:
        """Stop reading: a page asked for ahead is waited for (the call thread finishes it
        before any later call) and dropped, with its error if it failed."""
        future, self._next, self._done = self._next, None, True
        if future is not None:
            future.exception()  # waited for; neither its page nor its error is wanted
