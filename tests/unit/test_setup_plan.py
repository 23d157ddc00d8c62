"""The pure parts of the set-up tools: the spreadsheet plan and the question matching."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, TITLES_BY_FORM
from bansou_sync.core import sheet_layout
from bansou_sync.core import sheet_style as style
from bansou_sync.core.form_questions import (
    Question,
    guess_form,
    mapping_yaml,
    match_fields,
    questions_of,
)
from bansou_sync.core.sheet_setup import header_status, layout_problems, plan_setup
from bansou_sync.core.tabs import ALL_TABS, APPLICATIONS, SUPPORTERS

EDITORS = ["robot@project.iam.gserviceaccount.com", "jimukyoku@example.org"]
FORMS = Path(__file__).resolve().parents[2] / "reference" / "forms"


def set_up_book(data_rows: int = 0) -> dict[str, Any]:
    """What spreadsheets.get shows of a spreadsheet init-sheet has already set up."""
    sheets = []
    for sheet_id, layout in enumerate(ALL_TABS):
        rules = style.validations(layout)
        header = [
            {"formattedValue": h, "userEnteredFormat": {"textFormat": {"bold": True}}}
            for h in layout.headers
        ]
        rows = [{"values": header}]
        for r in range(1, 1000):
            cells: list[dict[str, Any]] = [{} for _ in layout.headers]
            for column, rule in rules.items():
                cells[column] = {"dataValidation": rule}
            for column, header in enumerate(layout.headers):
                if header in sheet_layout.WRAPPED:
                    cells[column] = {**cells[column], "userEnteredFormat": {"wrapStrategy": "WRAP"}}
            if r <= data_rows:
                cells[0] = {**cells[0], "formattedValue": f"key-{r}"}
            rows.append({"values": cells})
        protected = [
            {
                "protectedRangeId": sheet_id * 10 + i,
                "range": rect.grid_range(sheet_id),
                "description": style.PROTECTION_NOTE,
                "editors": {"users": [*EDITORS, "owner@example.org"]},
            }
            for i, rect in enumerate(style.protected_rects(layout))
        ]
        sheets.append(
            {
                "properties": {
                    "sheetId": sheet_id,
                    "title": layout.name,
                    "index": sheet_id,
                    "gridProperties": {
                        "rowCount": 1000,
                        "columnCount": max(26, len(layout.headers)),
                        "frozenRowCount": 1,
                        "frozenColumnCount": sheet_layout.FROZEN_COLUMNS.get(layout.name, 0),
                    },
                },
                "protectedRanges": protected,
                "conditionalFormats": style.colour_rules(layout, sheet_id),
                "data": [
                    {
                        "rowData": rows,
                        "columnMetadata": [
                            {"pixelSize": sheet_layout.width_of(h)} for h in layout.headers
                        ],
                    }
                ],
                "columnGroups": [
                    {
                        "range": {
                            "sheetId": sheet_id,
                            "dimension": "COLUMNS",
                            "startIndex": layout.headers.index(h),
                            "endIndex": layout.headers.index(h) + 1,
                        },
                        "depth": 1,
                        "collapsed": True,
                    }
                    for h in sheet_layout.TECHNICAL
                    if h in layout.headers
                ],
            }
        )
    return {"sheets": sheets}


def kinds(requests: tuple[dict[str, Any], ...]) -> list[str]:
    return [next(iter(r)) for r in requests]


def test_a_new_spreadsheet_reuses_sheet1_and_adds_the_other_five_tabs_in_order() -> None:
    book = {"sheets": [{"properties": {"sheetId": 0, "title": "Sheet1", "index": 0}}]}

    plan = plan_setup(book, EDITORS)

    tabs = len(ALL_TABS)  # SPEC §5's six, then 操作 (issue 13 §4)
    structure = kinds(plan.requests)[:tabs]
    assert structure == ["updateSheetProperties"] + ["addSheet"] * (tabs - 1)
    assert plan.requests[0]["updateSheetProperties"]["properties"]["title"] == "伴走者"
    added = [r["addSheet"]["properties"] for r in plan.requests[1:tabs]]
    assert [(p["title"], p["index"]) for p in added] == [
        (t.name, i) for i, t in enumerate(ALL_TABS) if i > 0
    ]
    assert len({p["sheetId"] for p in added} | {0}) == tabs
    assert [a1 for a1, _ in plan.header_writes] == [f"'{t.name}'!A1" for t in ALL_TABS]
    assert plan.header_writes[0][1] == SUPPORTERS.headers


def test_a_spreadsheet_already_set_up_needs_no_request() -> None:
    plan = plan_setup(set_up_book(data_rows=3), EDITORS)

    assert plan.changes_nothing
    assert plan.lines == ()


def test_a_missing_admin_is_added_to_the_editors_and_nobody_is_removed() -> None:
    plan = plan_setup(set_up_book(), [*EDITORS, "new.admin@example.org"])

    updates = [r["updateProtectedRange"] for r in plan.requests]
    assert len(updates) == sum(len(style.protected_rects(t)) for t in ALL_TABS)
    users = updates[0]["protectedRange"]["editors"]["users"]
    assert users == [*EDITORS, "owner@example.org", "new.admin@example.org"]
    assert updates[0]["fields"] == "warningOnly,editors"


def test_a_header_that_differs_above_staff_data_is_reported_and_the_tab_left_alone() -> None:
    book = set_up_book(data_rows=2)
    applications = book["sheets"][1]
    applications["data"][0]["rowData"][0]["values"][15]["formattedValue"] = "判断"
    applications["protectedRanges"] = []

    plan = plan_setup(book, EDITORS)

    assert plan.requests == () and plan.header_writes == ()
    assert plan.lines == ()
    assert len(plan.refused) == 1 and plan.refused[0].startswith("申請: 見出し行が仕様と違い")
    assert "手で" in plan.refused[0] and "init-sheet" in plan.refused[0]


def test_a_header_that_differs_on_an_empty_tab_is_rewritten_and_stray_cells_cleared() -> None:
    book = set_up_book()
    row = book["sheets"][4]["data"][0]["rowData"][0]["values"]
    row[:] = [{"formattedValue": v} for v in ("区分", "件数", "", "", "x")]

    plan = plan_setup(book, EDITORS)

    assert plan.header_writes == (("'統計'!A1", ("区分", "項目", "件数", "", "")),)
    assert kinds(plan.requests) == ["repeatCell"]  # the new header cells are not bold yet


def test_a_lost_validation_row_and_a_changed_colour_are_put_back() -> None:
    book = set_up_book()
    book["sheets"][0]["data"][0]["rowData"][500]["values"][12] = {}
    rule = book["sheets"][2]["conditionalFormats"][0]["booleanRule"]
    rule["format"] = {"backgroundColor": {"red": 1}}

    plan = plan_setup(book, EDITORS)

    assert kinds(plan.requests) == [
        "setDataValidation",
        "deleteConditionalFormatRule",
        "deleteConditionalFormatRule",
        "addConditionalFormatRule",
        "addConditionalFormatRule",
    ]
    assert plan.requests[0]["setDataValidation"]["range"] == {
        "sheetId": 0,
        "startRowIndex": 1,
        "startColumnIndex": 12,
        "endColumnIndex": 13,
    }
    assert [r.get("deleteConditionalFormatRule", {}).get("index") for r in plan.requests[1:3]] == [
        1,
        0,
    ]


def test_tabs_in_the_wrong_order_are_moved_not_recreated() -> None:
    book = set_up_book()
    book["sheets"].reverse()

    plan = plan_setup(book, EDITORS)

    assert set(kinds(plan.requests)) == {"updateSheetProperties"}
    assert all(r["updateSheetProperties"]["fields"] == "index" for r in plan.requests)


def test_protection_covers_the_header_row_and_each_run_of_daemon_columns() -> None:
    assert style.protected_rects(APPLICATIONS) == [
        style.Rect(0, 1, 0, 30),
        style.Rect(1, None, 0, 15),  # 審査, 審査メモ: staff
        style.Rect(1, None, 17, 18),  # 却下理由(伴走者へ) after 最終更新: staff
        style.Rect(1, None, 19, 26),  # what staff judge by, 元申請番号; then the corrections
    ]
    assert style.protected_rects(ALL_TABS[3]) == [style.Rect(0, None, 0, 6)]


def test_column_letters_go_past_z() -> None:
    assert [style.column_letter(i) for i in (0, 10, 25, 26, 27)] == ["A", "K", "Z", "AA", "AB"]


def test_layout_problems_name_missing_tabs_and_wrong_headers() -> None:
    headers = {t.name: list(t.headers) for t in ALL_TABS}
    headers["申請"] = ["申請番号"]
    titles = [t.name for t in ALL_TABS if t.name != "同期"]

    problems = layout_problems(titles, headers)

    assert problems == [
        "「申請」の見出し行が仕様と違います / the header row of 申請 differs from SPEC §5",
        "タブ「同期」がありません / tab 同期 is missing",
    ]
    assert header_status(SUPPORTERS, ["", ""]) == "blank"
    assert header_status(SUPPORTERS, [*SUPPORTERS.headers, " "]) == "ok"


def reference_form(name: str) -> dict[str, Any]:
    form: dict[str, Any] = json.loads((FORMS / f"{name}.form.json").read_text("utf-8"))
    return form


def test_every_reference_question_is_matched_by_its_title() -> None:
    questions = questions_of(reference_form("application"))

    match = match_fields("application", questions, APPLICATION_TITLES)

    assert set(match.found) == set(APPLICATION_TITLES)
    assert match.missing_required == match.missing_optional == match.unmatched == ()
    assert guess_form(reference_form("registration"), TITLES_BY_FORM) == "registration"


def test_a_mapping_by_question_id_wins_and_missing_required_fields_are_named() -> None:
    questions = [
        Question("q1", "ＩＤ番号 ", "text"),
        Question("q2", "氏名", "text"),
        Question("q3", "感想", "paragraph"),
    ]

    match = match_fields("application", questions, APPLICATION_TITLES, {"supporter_id": "q1"})

    assert match.found["supporter_id"].question_id == "q1"
    assert "email" in match.missing_required
    assert "client_initials" in match.missing_required  # no 相談者コード question either
    assert "narrative" in match.missing_optional
    assert [q.question_id for q in match.unmatched] == ["q3"]


def test_the_suggested_mapping_is_valid_yaml_with_unknown_questions_commented() -> None:
    questions = [Question("0012", "伴走ネットID", "text"), Question("ab", "感想", "paragraph")]
    match = match_fields("application", questions, APPLICATION_TITLES)

    text = mapping_yaml("application", "FORM", match, APPLICATION_TITLES)

    block = yaml.safe_load(text)["source"]
    assert block["application_form_id"] == "FORM"
    assert block["mapping"]["application"] == {"supporter_id": "0012"}
    assert '# ?: "ab"  # 感想' in text
    assert "# email: <questionId>" in text


def test_init_sheet_freezes_the_key_column_and_collapses_the_technical_columns() -> None:
    book = set_up_book(data_rows=3)
    applications = book["sheets"][1]
    applications["columnGroups"] = []
    applications["properties"]["gridProperties"]["frozenColumnCount"] = 0

    plan = plan_setup(book, EDITORS)

    frozen, *groups = plan.requests
    assert frozen["updateSheetProperties"]["properties"]["gridProperties"] == {
        "frozenColumnCount": 1
    }
    assert [next(iter(r)) for r in groups] == ["addDimensionGroup", "updateDimensionGroup"] * 2
    spans = [r["addDimensionGroup"]["range"]["startIndex"] for r in groups[::2]]
    assert [APPLICATIONS.headers[i] for i in spans] == ["回答ID", "状態コード"]
    assert all(r["updateDimensionGroup"]["dimensionGroup"]["collapsed"] for r in groups[1::2])
    assert "申請: 申請番号 の列を固定しました / froze the key column" in plan.lines


def test_long_japanese_text_columns_wrap_and_get_their_width() -> None:
    book = set_up_book()
    applications = book["sheets"][1]
    del applications["data"][0]["columnMetadata"]
    for row in applications["data"][0]["rowData"][1:]:
        row["values"] = [
            {k: v for k, v in c.items() if k != "userEnteredFormat"} for c in row["values"]
        ]

    plan = plan_setup(book, EDITORS)

    wrapped = {
        APPLICATIONS.headers[r["repeatCell"]["range"]["startColumnIndex"]]
        for r in plan.requests
        if "repeatCell" in r
    }
    assert wrapped == {h for h in APPLICATIONS.headers if h in sheet_layout.WRAPPED}
    widths = {
        APPLICATIONS.headers[r["updateDimensionProperties"]["range"]["startIndex"]]: r[
            "updateDimensionProperties"
        ]["properties"]["pixelSize"]
        for r in plan.requests
        if "updateDimensionProperties" in r
    }
    assert widths["支援の内容"] == 320 and widths["審査"] == 80 and len(widths) == 30
