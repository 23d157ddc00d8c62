"""P8: the warning at warn_ratio (once per crossing) and closing intake when the money runs out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bansou_sync.core.book import Book
from bansou_sync.core.model import Notice
from bansou_sync.core.policy import Policy

WARNED, CLOSED = "budget_warned", "intake_closed"


@dataclass(frozen=True)
class BudgetOutcome:
    notices: list[Notice]
    close_form: bool  # intake just closed and the config asks to close the form


def figures(book: Book, policy: Policy) -> dict[str, Any]:
    total = policy.budget_total_yen
    committed = book.committed_yen
    return {
        "total_yen": total,
        "committed_yen": committed,
        "remaining_yen": total - committed,
        "ratio_percent": round(100 * committed / total, 1) if total else 100.0,
    }


def check_budget(book: Book, policy: Policy, today: str) -> BudgetOutcome:
    """P8 「助成金に限りがあり…事前に締め切る」, for the programme: staff get one
    ``budget_warning`` each time the committed honoraria cross ``budget.warn_ratio`` of
    ``budget.total_yen``, and intake closes once what remains is below the smaller
    honorarium (the form too, with ``budget.close_form``). Refusing one application that
    would overspend is ``judge.budget_closed``; ``intake.closes_on`` is ``judge.intake_closed``.
    """
    flags = book.state.flags
    numbers = figures(book, policy)
    notices: list[Notice] = []
    over = book.committed_yen >= policy.warn_ratio * policy.budget_total_yen
    if over and flags.get(WARNED) != "1":
        crossing = int(flags.get("budget_crossings", "0")) + 1
        flags["budget_crossings"] = str(crossing)
        flags[WARNED] = "1"
        notices.append(
            Notice(
                kind="budget_warning",
                ref=today,
                to=policy.staff_to,
                event_key=f"budget_warning:{crossing}",
                context={
                    k: numbers[k]
                    for k in ("total_yen", "committed_yen", "ratio_percent", "remaining_yen")
                },
            )
        )
    elif not over and flags.get(WARNED) == "1":
        flags[WARNED] = "0"
    closed = numbers["remaining_yen"] < policy.short_yen
    close_form = False
    if closed and flags.get(CLOSED) != "1":
        flags[CLOSED] = "1"
        close_form = policy.close_form
    elif not closed and flags.get(CLOSED) == "1":
        flags[CLOSED] = "0"
    return BudgetOutcome(notices, close_form)


def form_close_request(book: Book, policy: Policy, today: str, reason: str) -> Notice:
    return Notice(
        kind="form_close_request",
        ref=today,
        to=policy.staff_to,
        event_key=f"form_close_request:{book.state.flags.get('budget_crossings', '0')}:{today}",
        context={
            "form_title": "伴走支援申請",
            "remaining_yen": figures(book, policy)["remaining_yen"],
            "reason": reason,
        },
    )
