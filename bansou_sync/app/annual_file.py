"""``bansou-sync payment-files --year YYYY``: the year's paid honoraria as a CSV for the
accountant (issue 15 §3), beside the batch files in ``payments.files_dir``.

``謝金_年間_YYYY.csv``: UTF-8 with BOM and CR LF (Excel opens it as it is), one row per
volunteer paid in the year — 伴走ネットID, 氏名, 件数, 支払額合計(円), 支払日 — and written
like the batch files: atomically and readable by its owner only. It is written again
with the current figures each time it is asked for (it is a summary, never uploaded
anywhere). The log line carries the year and counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bansou_sync.core.annual import Year, paid_in_year
from bansou_sync.core.excel import excel_csv
from bansou_sync.core.state import State
from bansou_sync.core.untrusted import formula_safe
from bansou_sync.errors import BansouError
from bansou_sync.ports import WriteFile

log = logging.getLogger(__name__)

HEADERS = ("伴走ネットID", "氏名", "件数", "支払額合計(円)", "支払日")


@dataclass(frozen=True)
class YearWritten:
    year: Year
    path: Path


def year_csv(year: Year) -> bytes:
    rows: list[Sequence[object]] = [HEADERS]
    for line in year.lines:
        dates = "、".join(day.isoformat() for day in line.pay_dates)
        rows.append([line.supporter_id, formula_safe(line.name), line.count, line.total, dates])
    return excel_csv(rows)


def write_year_file(state: State, year: int, folder: Path, write: WriteFile) -> YearWritten:
    """Add up ``year``'s paid honoraria from the ledger's ``state`` and write the CSV."""
    figures = paid_in_year(state, year)
    path = folder / f"謝金_年間_{year}.csv"
    try:
        write(path, year_csv(figures))
    except OSError as exc:
        raise BansouError(
            f"payments.files_dir: 年間の謝金一覧を書き込めません / cannot write the year's "
            f"honoraria into {folder}: {exc.strerror}"
        ) from exc
    log.info(
        "year file written: year=%d volunteers=%d unpaid=%d",
        year,
        len(figures.lines),
        figures.unpaid,
    )
    return YearWritten(figures, path)
