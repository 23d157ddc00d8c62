"""The one place a value becomes a status-sheet cell, on every backend (issue 10 §4).

Every text the daemon writes to the sheet — a form answer, a reason, a name, a 同期
line — passes here on its way to a cell, in ``LocalSheet`` and in ``GoogleSheet``
alike, so no bidirectional control (U+202A–U+202E, U+2066–U+2069) or other control
character reaches a cell whatever tab or projection it comes from. The characters are
``core.untrusted``'s: this module decides only *where* the sanitiser is applied.
"""

from __future__ import annotations

from bansou_sync.core.untrusted import cell_text


def sheet_value(value: str | int) -> str | int:
    """``value`` as a cell receives it: text through ``cell_text`` (which returns a
    printable text as it is, without scanning it again), numbers unchanged."""
    return cell_text(value) if isinstance(value, str) else value
