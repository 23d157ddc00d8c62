"""Dates of the programme: submission deadlines (P2), reply windows (P9) and pay dates
(P11; a held payment's release, P12, joins the batch ``cutoff_for`` gives).

Every rule is about Tokyo calendar days, so each datetime is turned into a JST date
before it is compared. Nothing here reads the clock: "now" is always an argument.
"""

from __future__ import annotations

import calendar as _stdcal
import functools
from datetime import date, datetime, time, timedelta
from typing import get_args, overload
from zoneinfo import ZoneInfo

import jpholiday

from bansou_sync.core.policy import CutoffBasis, Policy

JST = ZoneInfo("Asia/Tokyo")

# The years a cycle's clock may be in (``--now``): Japan's national holidays exist from
# 1948 (国民の祝日に関する法律), and every date a cycle works out from its own — reply
# deadlines, pay dates, years of retention — must stay inside Python's year 9999.
SUPPORTED_YEARS = range(1948, 9000)
BASES = get_args(CutoffBasis)


def to_jst(dt: datetime) -> datetime:
    """The same instant in Tokyo time; a naive value is already JST wall time.

    Naive values come from CSV exports, which Google writes in the form's time zone.
    """
    if dt.tzinfo is None:
        return dt.replace(tzinfo=JST)
    return dt.astimezone(JST)


def stamp(dt: datetime | None) -> str:
    """A moment as staff read it everywhere: Tokyo wall time to the minute."""
    if not dt:
        return ""
    t = to_jst(dt)
    if t.year < 1000:  # strftime's %Y is not padded to four digits there
        return t.strftime("%Y-%m-%d %H:%M")
    # strftime's text at a fourth of its cost (a row of every tab has one or two)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"


def jst_date(dt: datetime) -> date:
    return to_jst(dt).date()


def _last_day(year: int, month: int) -> int:
    return _stdcal.monthrange(year, month)[1]


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _day_in_month(year: int, month: int, day: int) -> date:
    """``day`` of that month, or its last day when the month is shorter."""
    return date(year, month, min(day, _last_day(year, month)))


# --- P2: 支援実施後、1ヶ月以内に申請 ---------------------------------------------


@functools.lru_cache(maxsize=4096)  # a backfill asks for a few hundred days, 60,000 times
def submission_deadline(support: date) -> date:
    """P2 「支援実施後、1ヶ月以内に申請 (5/26 → 6/25 まで)」: the last JST day a support
    can be applied for; a submission whose JST date is later is ``late_submission``.

    The announcement's own example counts "one month" as up to the day before the same
    day number next month. When next month has no such day (1/31 → February), the
    whole of next month is allowed, so the deadline is its last day.
    """
    year, month = _add_months(support.year, support.month, 1)
    if support.day > _last_day(year, month):
        return date(year, month, _last_day(year, month))
    # For the 1st this is the last day of the support month itself (5/1 → 5/31).
    return date(year, month, support.day) - timedelta(days=1)


# --- P9: 再回答期限は1週間 ------------------------------------------------------


@overload
def reply_deadline(opened_at: datetime, days: int) -> date: ...
@overload
def reply_deadline(opened_at: None, days: int) -> None: ...
@overload
def reply_deadline(opened_at: datetime | None, days: int) -> date | None: ...


def reply_deadline(opened_at: datetime | None, days: int) -> date | None:
    """P9 「再回答期限は1週間」: the last JST day to answer a deficiency notice; the window
    closes at the end of it (``reply_deadline_passed``).

    ``days`` is ``policy.reply_days`` (7). The window opens when the notice actually
    left: the mail prints this date from its send time, and the ledger records that same
    time as the application's ``notice_sent_at`` (``Application.reply_clock``, which is
    the judgement's time instead when ``mail.notify_after`` muted the notice). While the
    notice waits to be sent, ``opened_at`` is None and so is the deadline (a blank cell).
    """
    if opened_at is None:
        return None
    return jst_date(opened_at) + timedelta(days=days)


def reply_deadline_passed(deadline: date, now: datetime) -> bool:
    return jst_date(now) > deadline


def reminder_due(deadline: date, now: datetime, hour: int, days_before: int) -> bool:
    """True from ``hour``:00 JST on deadline − days_before until the deadline passes
    (P9's reminder: ``policy.reminder_hour``, ``policy.reminder_days_before``).

    The caller sends the reminder once (at the first cycle for which this is true).
    """
    remind_from = datetime.combine(deadline - timedelta(days=days_before), time(hour), JST)
    return to_jst(now) >= remind_from and not reply_deadline_passed(deadline, now)


# --- business days -------------------------------------------------------------


def _is_bank_new_year_holiday(d: date) -> bool:
    # Japanese banks are closed 12/31–1/3 (銀行休業日) although only 1/1 is a national
    # holiday, so no transfer can be made on those days either.
    return (d.month == 12 and d.day == 31) or (d.month == 1 and d.day <= 3)


def is_business_day(d: date) -> bool:
    """A day on which a bank transfer can be made in Japan."""
    if d.weekday() >= 5:  # Saturday, Sunday
        return False
    return not (jpholiday.is_holiday(d) or _is_bank_new_year_holiday(d))


def previous_business_day(d: date) -> date:
    """``d`` itself when it is a business day, else the closest business day before."""
    while not is_business_day(d):
        d -= timedelta(days=1)
    return d


def business_days_before(d: date, n: int) -> date:
    """The date ``n`` business days before ``d`` (``d`` itself is not counted)."""
    if n < 0:
        raise ValueError(f"n must not be negative: {n}")
    while n > 0:
        d -= timedelta(days=1)
        if is_business_day(d):
            n -= 1
    return d


# --- P11: 毎月20日に締め、翌10日(休日の場合、前営業日)にお振込み -------------------


def cutoff_for(d: date, cutoff_day: int) -> date:
    """The first batch cutoff (締め日) on or after ``d``."""
    this_month = _day_in_month(d.year, d.month, cutoff_day)
    if d <= this_month:
        return this_month
    year, month = _add_months(d.year, d.month, 1)
    return _day_in_month(year, month, cutoff_day)


def _next_cutoff(cutoff: date, cutoff_day: int) -> date:
    return cutoff_for(cutoff + timedelta(days=1), cutoff_day)


def pay_date_for_cutoff(cutoff: date, pay_day: int, last_pay_date: date | None) -> date:
    """When the batch closed at ``cutoff`` is paid.

    The pay day of the following month, moved back to a business day; never later
    than ``last_pay_date`` (the grant's final payment), itself moved back likewise.
    """
    year, month = _add_months(cutoff.year, cutoff.month, 1)
    pay = previous_business_day(_day_in_month(year, month, pay_day))
    if last_pay_date is not None:
        pay = min(pay, previous_business_day(last_pay_date))
    return pay


def schedule_payment(
    accepted_on: date,
    submitted_on: date,
    policy: Policy,
) -> tuple[date, date]:
    """P11 「毎月20日に締め、翌10日(休日の場合、前営業日)にお振込み」: (cutoff, pay date) of an
    accepted application, by ``payments.cutoff_basis``.

    The cutoff (締め日) is the first ``policy.cutoff_day`` on or after the day counted
    (``cutoff_for``); the pay date is ``policy.pay_day`` of the next month, moved back to
    a business day and never after ``payments.last_pay_date`` (``pay_date_for_cutoff``).

    With basis "submission" the batch follows the submission date, but the office
    needs ``policy.late_acceptance_business_days`` business days to prepare a transfer,
    so an application accepted later than that moves to the next batch.
    """
    basis, cutoff_day, pay_day = policy.cutoff_basis, policy.cutoff_day, policy.pay_day
    last_pay_date, late_business_days = policy.last_pay_date, policy.late_acceptance_business_days
    if basis not in BASES:
        raise ValueError(f"unknown cutoff basis {basis!r}; expected one of {BASES}")
    if basis == "acceptance":
        cutoff = cutoff_for(accepted_on, cutoff_day)
        return cutoff, pay_date_for_cutoff(cutoff, pay_day, last_pay_date)

    cutoff = cutoff_for(submitted_on, cutoff_day)
    pay = pay_date_for_cutoff(cutoff, pay_day, last_pay_date)
    while accepted_on > business_days_before(pay, late_business_days):
        later = _next_cutoff(cutoff, cutoff_day)
        later_pay = pay_date_for_cutoff(later, pay_day, last_pay_date)
        if later_pay == pay:
            # Pinned to last_pay_date: no later batch exists, so this one must do.
            break
        cutoff, pay = later, later_pay
    return cutoff, pay
