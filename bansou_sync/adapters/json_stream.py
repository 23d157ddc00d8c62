"""A large JSON reply decoded as it arrives, one array element at a time.

``json.loads`` needs the whole text: a reply's bytes and its text (two bytes a character
once a Japanese tab name is in it) are held at once, with what is decoded from them. The
read through a backfill's row tags is such a reply: 65,000 rows, the largest transient
of the cycle (docs/benchmarks.md). ``decode_streamed`` gives the same result as
``json.loads(text, object_hook=hook)`` for a reply that is a JSON object, holding only
the text not decoded yet: each element of a top-level array member (``valueRanges``,
``responses``) is decoded alone, so the hook can reduce it before the next one arrives.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from requests.exceptions import JSONDecodeError

_SPACE = re.compile(r"[ \t\n\r]*")


class _Text:
    """The text of UTF-8 ``chunks``, decoded as far as it is needed; ``buf[pos:]`` is
    what is not consumed yet."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.done = False

    def more(self) -> bool:
        """Append the next chunk's text (False when there is none left)."""
        if self.done:
            return False
        for chunk in self._chunks:
            text = self._utf8.decode(chunk)
            if text:
                self.buf = self.buf[self.pos :] + text
                self.pos = 0
                return True
        self.buf = self.buf[self.pos :] + self._utf8.decode(b"", final=True)
        self.pos = 0
        self.done = True
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end), not consumed."""
        while True:
            match = _SPACE.match(self.buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def expect(self, allowed: str) -> str:
        found = self.peek()
        if not found or found not in allowed:
            raise self.error(f"Expecting one of {allowed!r}")
        self.pos += 1
        return found

    def value(self, decoder: json.JSONDecoder) -> Any:
        """One JSON value, read on until it is whole (a number at the end of the text
        read so far may go on in the next chunk)."""
        self.peek()
        while True:
            try:
                found, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.more():
                    continue
                raise self.error(exc.msg) from exc
            if end == len(self.buf) and self.more():
                continue
            self.pos = end
            return found

    def error(self, message: str) -> JSONDecodeError:
        return JSONDecodeError(message, self.buf, self.pos)


def decode_streamed(chunks: Iterable[bytes], hook: Callable[[dict[str, Any]], Any]) -> Any:
    """``json.loads(b"".join(chunks), object_hook=hook)`` for a JSON object, decoding
    its array members element by element as the chunks arrive. Malformed text raises
    requests' ``JSONDecodeError``, as ``Response.json`` does."""
    text = _Text(chunks)
    decoder = json.JSONDecoder(object_hook=hook)
    members: dict[str, Any] = {}
    text.expect("{")
    if text.peek() == "}":
        text.pos += 1
    else:
        while True:
            if text.peek() != '"':
                raise text.error("Expecting property name enclosed in double quotes")
            name = text.value(decoder)
            text.expect(":")
            members[name] = _array(text, decoder) if text.peek() == "[" else text.value(decoder)
            if text.expect(",}") == "}":
                break
    if text.peek():
        raise text.error("Extra data")
    return hook(members)


def _array(text: _Text, decoder: json.JSONDecoder) -> list[Any]:
    text.expect("[")
    items: list[Any] = []
    if text.peek() == "]":
        text.pos += 1
        return items
    raw_decode, space = decoder.raw_decode, _SPACE.match
    while True:
        # the usual element (65,000 a reply) in the text at hand, without a call per step;
        # one cut by the end of a chunk is read on by ``value``
        buf = text.buf
        start = space(buf, text.pos).end()  # type: ignore[union-attr]
        try:
            item, end = raw_decode(buf, start)
        except json.JSONDecodeError:
            end = len(buf)
        if end >= len(buf):
            text.pos = start
            item = text.value(decoder)
        else:
            text.pos = end
        items.append(item)
        if text.expect(",]") == "]":
            return items
