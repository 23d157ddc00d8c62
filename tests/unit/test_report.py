"""The report shows the 統計 tab's computation (one computation serves both)."""

from __future__ import annotations

from datetime import date

import pytest
from builders import Office, app, members

from bansou_sync.app import report as rep
from bansou_sync.core.narrative import DEFAULT_KEYWORDS
from bansou_sync.core.network import network_rows
from bansou_sync.core.stats import stats_rows, tab_rows


def office_with(days: range) -> Office:
    office = members(2)
    office.applications += [
        app(
            f"2022-07-{d:02d} 18:00",
            f"BN-000{d % 2 + 1}",
            f"2022-07-{d:02d}",
            initials=f"C{d}",
            birth_year="1990",
            nationality="ネパール" if d % 3 else "ペルー",
            narrative="病院に同行",
        )
        for d in days
    ]
    office.cycle("2022-07-28 07:00")
    return office


def test_a_report_over_every_month_has_exactly_the_tabs_rows() -> None:
    office = office_with(range(1, 20))
    report = rep.build(
        office.state, DEFAULT_KEYWORDS, 5, rep.period("2022-05", "2023-02"), date(2023, 4, 1)
    )
    tab = stats_rows(office.state, 5) + tab_rows(network_rows(office.state, 5))
    assert [[r.section, r.item, r.value] for r in report.rows] == tab


def test_a_report_counts_only_the_support_months_asked_for() -> None:
    office = office_with(range(1, 20))
    report = rep.build(
        office.state, DEFAULT_KEYWORDS, 5, rep.period("2022-05", "2022-06"), date(2023, 4, 1)
    )
    assert ("合計", "申請件数", 0) in [(r.section, r.item, r.value) for r in report.rows]
    assert all(
        r.item == "(少数のため非公開)"
        for r in report.rows
        if r.section not in ("合計", "伴走ネット 合計(人数)")
    )


@pytest.mark.parametrize("text", ["2022-13", "2022/05", "22-05", ""])
def test_a_month_that_is_not_yyyy_mm_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(rep.ReportError, match="--from"):
        rep.month(text, "--from")


def test_amounts_are_shown_with_thousands_separators_and_labels_as_they_are() -> None:
    assert [rep.shown(v) for v in (2044000, "<5", "秘匿")] == ["2,044,000", "<5", "秘匿"]
