"""A year's paid honoraria per volunteer, for the accountant (issue 15 §3).

``bansou-sync payment-files --year YYYY`` lists, per 伴走ネットID, the honoraria *paid*
in that calendar year — applications 支払済 whose pay date (支払予定日) falls in it —
with the name as the accounts keep it (the 支払 tab's 氏名), the count, the total and
the pay dates. Whether a 支払調書 is due and whether anything is withheld is for the
accountant to decide (``docs/payments.md``); this module only adds up what was paid.

Honoraria scheduled in that year but not yet ticked 支払済 are not in the list; they
are counted (``Year.unpaid``) so the command can say the year is not closed yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bansou_sync.core.model import AppStatus
from bansou_sync.core.projection import id_order
from bansou_sync.core.state import State


@dataclass(frozen=True)
class YearLine:
    supporter_id: str
    name: str
    count: int
    total: int  # yen
    pay_dates: tuple[date, ...]  # distinct, ascending


@dataclass(frozen=True)
class Year:
    year: int
    lines: tuple[YearLine, ...]  # by 伴走ネットID
    unpaid: int  # applications due to be paid in the year, not ticked 支払済 yet

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


def paid_in_year(state: State, year: int) -> Year:
    paid: dict[str, list[tuple[int, date]]] = {}
    unpaid = 0
    for app in state.applications.values():
        if app.pay_date is None or app.pay_date.year != year or not app.supporter_id:
            continue
        if app.status == AppStatus.PAID:
            paid.setdefault(app.supporter_id, []).append((app.honorarium or 0, app.pay_date))
        elif app.status == AppStatus.ACCEPTED and not app.held:
            unpaid += 1
    names = {r.supporter_id: r.name for r in state.registrations.values() if r.supporter_id}
    lines = tuple(
        YearLine(
            supporter_id=sid,
            name=names.get(sid, ""),
            count=len(items),
            total=sum(yen for yen, _ in items),
            pay_dates=tuple(sorted({day for _, day in items})),
        )
        for sid, items in sorted(paid.items(), key=lambda item: id_order(item[0]))
    )
    return Year(year, lines, unpaid)
