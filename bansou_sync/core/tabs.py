"""The status spreadsheet's layout (SPEC §5): tab names, headers in order, keys, staff columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# staff: the reason a 却下 email gives the volunteer (審査メモ stays internal, never sent)
VOLUNTEER_REASON = "却下理由(伴走者へ)"


@dataclass(frozen=True)
class TabLayout:
    name: str
    headers: tuple[str, ...]
    key: tuple[str, ...]  # columns that identify a row; empty: rows are not keyed
    staff: tuple[str, ...] = ()  # typed by staff, only read by bansou-sync
    checkboxes: tuple[str, ...] = ()  # staff columns holding TRUE/FALSE

    @property
    def daemon(self) -> tuple[str, ...]:
        return tuple(h for h in self.headers if h not in self.staff)

    def staff_filled(self, cells: Mapping[str, str]) -> list[str]:
        """The staff columns typed in a row (an unticked checkbox, ``FALSE``, is not)."""
        return [h for h in self.staff if str(cells.get(h, "")).strip() not in ("", "FALSE")]


SUPPORTERS = TabLayout(
    name="伴走者",
    headers=(
        "伴走ネットID",
        "登録日時",
        "氏名",
        "メールアドレス",
        "会員区分",
        "紹介者",
        "活動地域",
        "状態",
        "状態コード",
        "申請件数",
        "謝金累計",
        "覚書発送日",
        "覚書受領",
        "口座届出受領",
        "講座受講",
        "連絡先訂正",
        "重複解除",
        "メモ",
    ),
    key=("伴走ネットID",),
    staff=("覚書発送日", "覚書受領", "口座届出受領", "講座受講", "連絡先訂正", "重複解除", "メモ"),
    checkboxes=("覚書受領", "口座届出受領", "重複解除"),
)

APPLICATIONS = TabLayout(
    name="申請",
    headers=(
        "申請番号",
        "回答ID",
        "受信日時",
        "伴走ネットID",
        "氏名",
        "同行伴走者ID",
        "相談者コード",
        "支援実施日",
        "実施時間(分)",
        "判定",
        "状態コード",
        "理由",
        "再回答期限",
        "謝金額",
        "支払予定日",
        "審査",
        "審査メモ",
        "最終更新",
        # added after SPEC §5's columns (SPEC §5 "Added columns")
        VOLUNTEER_REASON,
    ),
    key=("申請番号",),
    staff=("審査", "審査メモ", VOLUNTEER_REASON),
)

PAYMENTS = TabLayout(
    name="支払",
    headers=("支払予定日", "締め日", "伴走ネットID", "氏名", "件数", "金額", "状態", "支払済"),
    key=("締め日", "伴走ネットID"),
    staff=("支払済",),
    checkboxes=("支払済",),
)

MAILS = TabLayout(
    name="メール",
    headers=("送信日時", "種別", "宛先(伏字)", "関連番号", "状態", "Message-ID"),
    key=("Message-ID",),
)

STATS = TabLayout(name="統計", headers=("区分", "項目", "件数"), key=("区分", "項目"))

SYNC = TabLayout(
    name="同期",
    # SPEC §5's columns, then a staff tick that lets mail held by the surge guard go
    # (issue 10 §5, app.surge): read each cycle, cleared when the tab is next rewritten
    headers=("最終同期", "結果", "新規登録", "新規申請", "送信メール", "エラー", "一斉送信を許可"),
    key=(),
    staff=("一斉送信を許可",),
    checkboxes=("一斉送信を許可",),
)

ALL_TABS: tuple[TabLayout, ...] = (SUPPORTERS, APPLICATIONS, PAYMENTS, MAILS, STATS, SYNC)
TABS_BY_NAME = {t.name: t for t in ALL_TABS}


def removed_row_message(tab: str, key: tuple[str, ...], typed: Sequence[str]) -> str:
    """For 同期: the row of a key that left its tab was removed with staff input in it."""
    label = " ".join(key)
    return (
        f"{tab}: {label} は一覧から外れたため行を削除しました。その行に記入されていた"
        f"「{'・'.join(typed)}」は反映していません / the row of {label} was removed (no longer "
        f"listed); what was typed in it ({', '.join(typed)}) was not applied"
    )


DECISIONS = ("承認", "差戻し", "却下")
