"""``google-selftest``: the Sheets behaviours the status-sheet adapter relies on, checked
in a scratch tab of the configured spreadsheet that is removed afterwards.

Every step that changes the tab is written so that repeating it (a retry after a reply
lost on the way back) does not change what is checked: the checks compare where each
tag *is* with where its key *is*, read back from Google, never with expected offsets.
"""

from __future__ import annotations

import secrets
from typing import Any

from bansou_sync.adapters.google_auth import SHEETS, GoogleAccess
from bansou_sync.adapters.google_discovery import error_message, service
from bansou_sync.adapters.google_sheet_requests import append_rows
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.setup_tools.selftest_model import Check, confirmed, could_not_run, differs
from bansou_sync.setup_tools.selftest_scratch_tab import ScratchTab, make_scratch_tab

SAFE = (
    "書き込む前に毎回、各タグの行にそのキーがあることを確かめ、違えば付け直します(課題11 §2)"
    " / before writing, every cycle checks that each tag's row still holds its key and"
    " re-points the tag when it does not (issue 11 §2)"
)
TITLES = {
    "sheets.reply_shapes": "値の返答の形(末尾の空セル・空の範囲) / value reply shapes",
    "sheets.tag_read": "タグ経由の読み込み batchGetByDataFilter / reading through a row tag",
    "sheets.tag_write": "タグ経由の書き込み batchUpdateByDataFilter / writing through a row tag",
    "sheets.insert": "行の挿入後の行メタデータ / row metadata after insertDimension",
    "sheets.delete": "行の削除後の行メタデータ / row metadata after deleteDimension",
    "sheets.sort": "並べ替え後の行メタデータ / row metadata after sortRange",
    "sheets.grow": "行の追加(グリッドの拡張) / grid growth (appendDimension)",
    "sheets.cleanup": "一時タブの削除 / removing the scratch tab",
}


def run_sheet_checks(
    access: GoogleAccess, spreadsheet_id: str, policy: RetryPolicy
) -> tuple[list[Check], str | None]:
    """The Sheets checks and the sort behaviour seen ("move", "stay" or None)."""
    api = service(access, "sheets", "v4", [SHEETS], policy.timeout_seconds).spreadsheets()
    tab = ScratchTab(api, spreadsheet_id, f"bansou-selftest-{secrets.token_hex(3)}", policy)
    try:
        make_scratch_tab(tab)
    except Exception as exc:
        why = f"一時タブを作れません / cannot add a scratch tab: {error_message(exc)}"
        tab.checks = [
            could_not_run(i, "sheets", TITLES[i], why) for i in TITLES if i != "sheets.cleanup"
        ]
        if tab.sheet_id >= 0:  # made, then a later step failed: do not leave it behind
            _remove_tab(tab)
        return tab.checks, None
    try:
        for step in (_reply_shapes, _tag_write_read, _insert, _delete, _sort, _grow):
            try:
                step(tab)
            except Exception as exc:  # a step that could not finish: say so, go on
                done = {c.id for c in tab.checks}
                for check_id in _STEP_CHECKS[step.__name__]:
                    if check_id not in done:
                        why = f"Google の応答 / Google answered: {error_message(exc)}"
                        tab.checks.append(could_not_run(check_id, "sheets", TITLES[check_id], why))
    finally:
        _remove_tab(tab)
    return tab.checks, tab.sort_behaviour


def _reply_shapes(tab: ScratchTab) -> None:
    title = TITLES["sheets.reply_shapes"]
    wide = tab.values("A1:D3").get("values")
    empty = tab.values("C1:D3")
    seen = f"A1:D3 → {wide!r}; C1:D3 → keys {sorted(empty)}"
    if wide == [["key", "value"], ["K1", "v1"], ["K2", "v2"]] and "values" not in empty:
        tab.checks.append(confirmed("sheets.reply_shapes", "sheets", title, seen))
    else:
        consequence = (
            "読み取りは空セルを省いた形・省かない形のどちらも空欄として扱います"
            " / the reader takes a missing and an empty cell alike"
        )
        tab.checks.append(differs("sheets.reply_shapes", "sheets", title, seen, consequence, False))


def _tag_write_read(tab: ScratchTab) -> None:
    """Read K3's row through its tag (before anything is written there, so a read that
    lands on another row cannot agree with a write that lands there too), then write it."""
    tag = tab.tag_id("K3")
    by_tag = {"developerMetadataLookup": {"metadataId": tag}}
    cannot = (
        "状況シートの読み書きはタグで行を特定します。別の行に当たるなら使えません"
        " / the status sheet is written through row tags: it cannot be used if they land elsewhere"
    )
    body: dict[str, Any] = {"dataFilters": [by_tag], "majorDimension": "ROWS"}
    got = tab.call(
        lambda: (
            tab.api.values()
            .batchGetByDataFilter(spreadsheetId=tab.spreadsheet_id, body=body)
            .execute()
        )
    )
    ranges = got.get("valueRanges") or []
    values = ((ranges[0].get("valueRange") or {}).get("values") or [[]])[0] if ranges else None
    seen = f"{len(ranges)} range(s); first row {values!r} (K3's row holds ['K3', 'v3'])"
    title = TITLES["sheets.tag_read"]
    if values is not None and values[:2] == ["K3", "v3"]:
        tab.checks.append(confirmed("sheets.tag_read", "sheets", title, seen))
    else:
        tab.checks.append(differs("sheets.tag_read", "sheets", title, seen, cannot, True))

    body = {
        "valueInputOption": "RAW",
        "data": [{"dataFilter": by_tag, "majorDimension": "ROWS", "values": [["K3", "written"]]}],
    }
    reply = tab.call(
        lambda: (
            tab.api.values()
            .batchUpdateByDataFilter(spreadsheetId=tab.spreadsheet_id, body=body)
            .execute()
        )
    )
    where = [r.get("updatedRange") for r in reply.get("responses") or []]
    rows = tab.values("A1:B7").get("values") or []
    landed = [i for i, r in enumerate(rows) if len(r) > 1 and r[1] == "written"]
    title = TITLES["sheets.tag_write"]
    seen = f"updatedRange {where}; 'written' on row(s) {[i + 1 for i in landed]} (K3 is row 4)"
    if landed == [3]:
        tab.checks.append(confirmed("sheets.tag_write", "sheets", title, seen))
    else:
        tab.checks.append(differs("sheets.tag_write", "sheets", title, seen, cannot, True))


def _insert(tab: ScratchTab) -> None:
    span = {"sheetId": tab.sheet_id, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}
    tab.batch({"insertDimension": {"range": span, "inheritFromBefore": False}})
    _placement("sheets.insert", tab, "行を挿入した後 / after inserting a row above K2")


def _delete(tab: ScratchTab) -> None:
    def delete_k5_and_blank() -> None:
        keys = tab.key_rows()
        doomed = sorted(
            {keys[k] for k in ("K5",) if k in keys}
            | {i for i in range(1, max(keys.values(), default=0)) if i not in keys.values()},
            reverse=True,
        )
        if not doomed:
            return  # an earlier attempt deleted them
        spans = [
            {"sheetId": tab.sheet_id, "dimension": "ROWS", "startIndex": i, "endIndex": i + 1}
            for i in doomed
        ]
        tab.api.batchUpdate(
            spreadsheetId=tab.spreadsheet_id,
            body={
                "requests": [{"deleteDimension": {"range": s}} for s in spreadsheet_order(spans)]
            },
        ).execute()

    tab.call(delete_k5_and_blank)
    gone = [key for key, _ in tab.tag_rows() if key == "K5"]
    extra = f"; K5's tag {'still there' if gone else 'deleted with its row'}"
    _placement("sheets.delete", tab, "行を削除した後 / after deleting K5's row", extra)


def spreadsheet_order(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bottom first, so each deletion leaves the indices of the next one as they were."""
    return sorted(spans, key=lambda s: -int(s["startIndex"]))


def _placement(check_id: str, tab: ScratchTab, what: str, extra: str = "") -> None:
    wrong = tab.misplaced()
    title = TITLES[check_id]
    if not wrong and "still there" not in extra:
        tab.checks.append(
            confirmed(
                check_id,
                "sheets",
                title,
                f"{what}: 各タグはキーの行に / every tag on its key's row{extra}",
            )
        )
    else:
        seen = f"{what}: {'; '.join(wrong) or 'tags placed'}{extra}"
        tab.checks.append(differs(check_id, "sheets", title, seen, SAFE, False))


def _sort(tab: ScratchTab) -> None:
    before = dict(tab.tag_rows())
    keys_before = tab.key_rows()
    last = max(keys_before.values(), default=1) + 1
    span = {"sheetId": tab.sheet_id, "startRowIndex": 1, "endRowIndex": last}
    spec = {"dimensionIndex": 0, "sortOrder": "DESCENDING"}
    tab.batch({"sortRange": {"range": span, "sortSpecs": [spec]}})
    keys = tab.key_rows()
    after = dict(tab.tag_rows())
    title = TITLES["sheets.sort"]
    if keys == keys_before:
        why = "並べ替えで行が動きませんでした / the sort moved no row"
        tab.checks.append(could_not_run("sheets.sort", "sheets", title, why))
        return
    if all(keys.get(k) == row for k, row in after.items()):
        tab.sort_behaviour = "move"
        seen = "タグは行と一緒に動きました / the tags moved with their rows"
        tab.checks.append(confirmed("sheets.sort", "sheets", title, seen))
        return
    if after == before:
        tab.sort_behaviour = "stay"
        seen = (
            "タグは元の行位置に残り、別のキーの行を指しています / the tags stayed at their row"
            " positions and now point at other keys' rows"
        )
    else:
        seen = f"tags {after}, keys {keys}"
    tab.checks.append(differs("sheets.sort", "sheets", title, seen, SAFE, False))


def _grow(tab: ScratchTab) -> None:
    rows = tab.grid_rows()

    def grow() -> None:
        if tab.grid_rows() >= rows + 3:
            return
        tab.api.batchUpdate(
            spreadsheetId=tab.spreadsheet_id,
            body={"requests": [append_rows(tab.sheet_id, 3)]},
        ).execute()

    tab.call(grow)
    grown = tab.grid_rows()
    cell = f"'{tab.title}'!A{rows + 3}"
    tab.call(
        lambda: (
            tab.api.values()
            .update(
                spreadsheetId=tab.spreadsheet_id,
                range=cell,
                valueInputOption="RAW",
                body={"values": [["new row"]]},
            )
            .execute()
        )
    )
    read = tab.values(f"A{rows + 3}").get("values")
    seen = f"rowCount {rows} → {grown}; A{rows + 3} → {read!r}"
    title = TITLES["sheets.grow"]
    if grown >= rows + 3 and read == [["new row"]]:
        tab.checks.append(confirmed("sheets.grow", "sheets", title, seen))
    else:
        cannot = "新しい申請の行を追加できません / new applications' rows could not be added"
        tab.checks.append(differs("sheets.grow", "sheets", title, seen, cannot, True))


def _remove_tab(tab: ScratchTab) -> None:
    title = TITLES["sheets.cleanup"]

    def remove() -> None:
        if tab.grid_rows() < 0:
            return  # gone already
        tab.api.batchUpdate(
            spreadsheetId=tab.spreadsheet_id,
            body={"requests": [{"deleteSheet": {"sheetId": tab.sheet_id}}]},
        ).execute()

    try:
        tab.call(remove)
    except Exception as exc:
        why = (
            f"タブ「{tab.title}」を手で削除してください / delete the tab {tab.title!r} by hand:"
            f" {error_message(exc)}"
        )
        tab.checks.append(could_not_run("sheets.cleanup", "sheets", title, why))
    else:
        seen = f"「{tab.title}」を削除しました / removed {tab.title!r}"
        tab.checks.append(confirmed("sheets.cleanup", "sheets", title, seen))


_STEP_CHECKS = {
    "_reply_shapes": ("sheets.reply_shapes",),
    "_tag_write_read": ("sheets.tag_write", "sheets.tag_read"),
    "_insert": ("sheets.insert",),
    "_delete": ("sheets.delete",),
    "_sort": ("sheets.sort",),
    "_grow": ("sheets.grow",),
}
