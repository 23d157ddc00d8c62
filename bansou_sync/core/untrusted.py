"""Text typed into the public forms is untrusted: the one place it is made safe.

Anyone can answer the forms, so an answer may carry characters that stop a program or
deceive a reader: NUL and other C0/C1 controls (a vertical tab pasted from Word,
U+0085 NEXT LINE), line separators that forge lines in an email, and the bidirectional
controls that make a text read differently from what it is. Every text that leaves
bansou-sync — a sheet cell, an email subject or body, an HTML page — passes through one
of the functions here, and no other module keeps its own list of such characters.

* ``cell_text`` — for a sheet cell or a report: line breaks and tabs kept as typed,
  every other control and every bidi control removed.
* ``one_line`` — for a subject, a header value or a table cell that must stay on one
  line: every run of controls, line breaks or bidi controls becomes one space.
* ``clean_answer`` — for a form answer as it enters: ``cell_text`` and a length cut with
  a visible marker (Google Sheets refuses a cell over 50,000 characters, and no real
  answer is anywhere near that); it says whether it cut, so the response is flagged.

* ``formula_safe`` — for a CSV cell that a member of staff opens in Excel: a text that
  Excel would read as a formula gets a ``'`` in front (SPEC §5). Values go to Google as
  RAW and need none; the report's Excel writer marks such cells as text instead.
"""

from __future__ import annotations

import re

# Left-to-right/right-to-left embeddings, overrides and isolates (U+202A–U+202E,
# U+2066–U+2069): nothing a volunteer means to type, and the classic way to disguise
# a text (and a file name) in a mail client or a spreadsheet.
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# C0 controls except TAB and LF, DEL, C1 controls (U+0085 among them).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"

_NOT_IN_A_CELL = re.compile(f"[{_CONTROLS}{BIDI_CONTROLS}]+")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029]")
_BREAKS = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{BIDI_CONTROLS}]+")

# A form answer longer than this is cut (characters, not bytes): ten pages of text.
MAX_ANSWER_CHARS = 20_000
CUT_MARKER = "…[以下省略 / truncated]"


def cell_text(text: str) -> str:
    """``text`` for a sheet cell or a page: CR/CRLF and U+2028/9 as LF, tabs and LFs
    kept, every other control and every bidi control removed."""
    if text.isprintable():
        return text  # the usual value: no control, break or bidi character is printable
    return _NOT_IN_A_CELL.sub("", _LINE_BREAKS.sub("\n", text))


def one_line(text: str) -> str:
    """``text`` on one line: each run of control, line-break or bidi characters becomes
    one space, and the ends are trimmed."""
    return _BREAKS.sub(" ", text).strip()


def clean_answer(text: str, limit: int = MAX_ANSWER_CHARS) -> tuple[str, bool]:
    """A form answer made safe to store and show, and whether it had to be cut.

    An answer over ``limit`` characters keeps its first ``limit`` characters followed by
    ``CUT_MARKER``, so staff reading the cell see that something is missing."""
    clean = cell_text(text)
    if len(clean) <= limit:
        return clean, False
    return clean[:limit] + CUT_MARKER, True


# what Excel reads as the start of a formula (``=`` and also ``+``, ``-``, ``@``)
FORMULA_START = ("=", "+", "-", "@")


def formula_safe(text: str) -> str:
    """``text`` for a CSV cell Excel will open: a ``'`` in front when it would otherwise be
    read as a formula (Excel shows the text and drops the ``'``)."""
    return "'" + text if text.startswith(FORMULA_START) else text
