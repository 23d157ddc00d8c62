"""The 操作 tab's rules (issue 13 §4), pure: what a row asks for, when it acts, its row."""

from __future__ import annotations

from datetime import date, datetime

from bansou_sync.core import operations as ops
from bansou_sync.core.calendar import JST
from bansou_sync.core.tabs import OPERATIONS

NOW = datetime(2022, 7, 1, 9, 30, tzinfo=JST)


def row(kind: str, tick: str = "TRUE", **params: str) -> dict[str, str]:
    return {"種類": kind, "依頼": tick, **params}


def test_a_row_is_keyed_by_its_kind_even_when_every_parameter_is_blank() -> None:
    assert OPERATIONS.keyed(("宛名ラベル", "", "", "", ""))
    assert not OPERATIONS.keyed(("", "2022-07-08", "", "", ""))
    assert not OPERATIONS.keyed(("", "", "", "", ""))


def test_each_kind_reads_its_parameters_as_staff_type_them() -> None:
    payment = ops.read_request(row("振込ファイル", 対象日="2022/7/8"))
    assert (payment.kind, payment.day, payment.problem) == ("振込ファイル", date(2022, 7, 8), "")
    report = ops.read_request(row("報告書", 開始月="2022年6月", 終了月="２０２２/１２", 形式="PDF"))
    assert (report.start, report.end, report.fmt, report.problem) == (
        "2022-06",
        "2022-12",
        "pdf",
        "",
    )
    assert ops.read_request(row("報告書")).fmt == "html"
    labels = ops.read_request(row(" 宛名ラベル "))
    assert (labels.kind, labels.day, labels.problem) == ("宛名ラベル", None, "")


def test_a_request_that_cannot_be_made_as_asked_says_why_in_staff_language() -> None:
    assert "振込ファイル・宛名ラベル・報告書" in ops.read_request(row("ラベル")).problem
    assert "対象日" in ops.read_request(row("振込ファイル")).problem
    assert "日付として読めません" in ops.read_request(row("振込ファイル", 対象日="来月")).problem
    assert "開始月「2022-13」" in ops.read_request(row("報告書", 開始月="2022-13")).problem
    assert "html・xlsx・pdf" in ops.read_request(row("報告書", 形式="docx")).problem
    late = ops.read_request(row("報告書", 開始月="2022-12", 終了月="2022-06")).problem
    assert "開始月 2022-12 が終了月 2022-06 より後です" in late


def test_a_ticked_request_acts_once_and_again_only_after_it_was_seen_unticked() -> None:
    rows, problems = ops.read_rows([row("宛名ラベル")])
    assert problems == []
    first = ops.plan_operations(rows, {})
    assert [r.kind for r in first.to_make] == ["宛名ラベル"]
    done = {rows[0].request.key: ops.outcome(True, "ok", NOW)}
    assert ops.plan_operations(rows, done).to_make == []  # left ticked: nothing more

    unticked, _ = ops.read_rows([row("宛名ラベル", tick="FALSE")])
    seen = ops.plan_operations(unticked, done)
    assert seen.to_make == [] and seen.records[rows[0].request.key].ticked is False
    assert seen.records[rows[0].request.key].result == "ok"  # the row keeps its outcome
    assert [r.kind for r in ops.plan_operations(rows, seen.records).to_make] == ["宛名ラベル"]


def test_a_tick_that_cannot_be_read_changes_nothing_and_is_reported() -> None:
    rows, problems = ops.read_rows([row("報告書", tick="たぶん")])
    assert ops.plan_operations(rows, {}).to_make == []
    assert len(problems) == 1 and "依頼" in problems[0] and "たぶん" in problems[0]


def test_the_records_round_trip_through_the_ledgers_flags() -> None:
    key = ("報告書", "", "2022-06", "2022-12", "pdf")
    record = ops.outcome(False, "形式が違います", NOW)
    flags = {ops.flag_name(key): ops.flag_value(key, record), "budget_warned": "1"}
    assert ops.records(flags) == {key: record}
    assert record.at == "2022-07-01 09:30" and record.state == ops.FAILED


def test_the_tab_shows_each_request_with_its_outcome_and_leaves_staff_cells_to_staff() -> None:
    rows, _ = ops.read_rows([row("宛名ラベル"), row("報告書", tick="")])
    known = {rows[0].request.key: ops.outcome(True, "ラベルPDF: /x.pdf", NOW)}
    assert ops.tab_rows(rows, known) == [
        ["宛名ラベル", "", "", "", "", "", "処理済", "ラベルPDF: /x.pdf", "2022-07-01 09:30"],
        ["報告書", "", "", "", "", "", "", "", ""],
    ]


def test_a_batch_is_named_by_its_pay_date_or_its_cutoff() -> None:
    batches = [(date(2022, 7, 8), date(2022, 6, 20)), (date(2022, 8, 10), date(2022, 7, 20))]
    assert ops.pay_date_for(date(2022, 7, 8), batches) == date(2022, 7, 8)
    assert ops.pay_date_for(date(2022, 7, 20), batches) == date(2022, 8, 10)
    missing = ops.pay_date_for(date(2022, 5, 1), batches)
    assert isinstance(missing, str)
    assert "2022-06-20→2022-07-08" in missing and "2022-07-20→2022-08-10" in missing


def test_payment_files_made_for_a_pay_date_are_remembered_to_warn_of_a_second_copy() -> None:
    key = ("振込ファイル", "2022-06-20", "", "", "")
    made = ops.outcome(True, "支払予定日 2022-07-08", NOW, batch="2022-07-08")
    known = ops.records({ops.flag_name(key): ops.flag_value(key, made)})
    assert ops.made_before(known, date(2022, 7, 8))
    assert not ops.made_before(known, date(2022, 8, 10))
    failed = {key: ops.outcome(False, "エラー", NOW)}
    assert not ops.made_before(failed, date(2022, 7, 8))


def test_after_a_lost_ledger_the_outcomes_the_sheet_shows_are_kept_and_not_made_again() -> None:
    shown = {"状態": "処理済", "結果": "ラベルPDF: /x.pdf", "処理日時": "2022-07-01 09:30"}
    rows, _ = ops.read_rows([{**row("宛名ラベル"), **shown}, row("報告書")])
    plan = ops.plan_operations(rows, {})
    assert [r.kind for r in plan.to_make] == ["報告書"]  # the one never made
    kept = plan.records[rows[0].request.key]
    assert (kept.ticked, kept.state, kept.result, kept.at) == (
        True,
        "処理済",
        "ラベルPDF: /x.pdf",
        "2022-07-01 09:30",
    )
    # with a ledger that remembers requests, a row changed by staff is a new request,
    # whatever outcome its cells still show
    other = {("報告書", "", "", "", "pdf"): ops.outcome(True, "ok", NOW)}
    assert [r.kind for r in ops.plan_operations(rows, other).to_make] == ["宛名ラベル", "報告書"]
