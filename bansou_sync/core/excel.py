"""The CSV files staff open in Excel by double-click: UTF-8 with a BOM, CR LF line ends.

Cells that come from form answers must already be ``core.untrusted.formula_safe``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def excel_csv(records: Iterable[Sequence[object]]) -> bytes:
    """``records`` as a CSV file Excel opens by double-click: UTF-8 with BOM, CR LF.
    Encoded as the rows are written, never held as text too: a 30,000-row tab's text
    would be held three times over (the writer's buffer, the text, the bytes)."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    csv.writer(text, lineterminator="\r\n").writerows(records)
    text.flush()
    data = buffer.getvalue()
    text.detach()
    return data
