"""The year's paid honoraria per volunteer, for the accountant (issue 15 §3)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

from builders import Office, app, members

from bansou_sync.app.annual_file import year_csv
from bansou_sync.core.annual import Year, YearLine, paid_in_year
from bansou_sync.core.model import AppStatus


def office_paid() -> Office:
    office = members(3)
    office.applications += [
        app(
            f"2022-06-0{i} 18:00",
            f"BN-000{i % 3 + 1}",
            f"2022-06-0{i}",
            initials=f"P{i}",
            birth_year="1980",
            nationality="ペルー",
        )
        for i in range(1, 7)
    ]
    office.cycle("2022-06-08 09:00")
    return office


def test_only_honoraria_paid_in_the_year_are_listed_per_volunteer_with_their_dates() -> None:
    office = office_paid()
    apps = sorted(office.state.applications.values(), key=lambda a: a.app_no)
    plan = [  # (status, pay date, honorarium) per application, BN-0002 BN-0003 BN-0001 …
        (AppStatus.PAID, date(2022, 7, 8), 6000),
        (AppStatus.PAID, date(2022, 12, 9), 10000),
        (AppStatus.PAID, date(2023, 1, 10), 6000),  # another year
        (AppStatus.PAID, date(2022, 8, 10), 6000),
        (AppStatus.ACCEPTED, date(2022, 12, 9), 6000),  # due, not ticked 支払済 yet
        (AppStatus.PAID, date(2022, 7, 8), 10000),
    ]
    for a, (status, day, yen) in zip(apps, plan, strict=True):
        office.state.applications[a.app_no] = replace(
            a, status=status, pay_date=day, honorarium=yen
        )
    year = paid_in_year(office.state, 2022)
    assert year.lines == (
        YearLine("BN-0001", "伴走 1号", 1, 10000, (date(2022, 7, 8),)),
        YearLine("BN-0002", "伴走 2号", 2, 12000, (date(2022, 7, 8), date(2022, 8, 10))),
        YearLine("BN-0003", "伴走 3号", 1, 10000, (date(2022, 12, 9),)),
    )
    assert (year.total, year.unpaid) == (32000, 1)
    assert paid_in_year(office.state, 2023).lines == (
        YearLine("BN-0001", "伴走 1号", 1, 6000, (date(2023, 1, 10),)),
    )


def test_the_csv_has_one_row_per_volunteer_and_a_name_never_becomes_a_formula() -> None:
    year = Year(
        2022,
        (
            YearLine("BN-0001", "=HYPERLINK(1)", 2, 12000, (date(2022, 7, 8), date(2022, 8, 10))),
            YearLine("BN-0002", "伴走 二郎", 1, 10000, (date(2022, 7, 8),)),
        ),
        0,
    )
    data = year_csv(year)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["伴走ネットID", "氏名", "件数", "支払額合計(円)", "支払日"],
        ["BN-0001", "'=HYPERLINK(1)", "2", "12000", "2022-07-08、2022-08-10"],
        ["BN-0002", "伴走 二郎", "1", "10000", "2022-07-08"],
    ]
