"""The status spreadsheet's layout (SPEC §5): tab names, headers in order, keys, staff columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# staff: the reason a 却下 email gives the volunteer (審査メモ stays internal, never sent)
VOLUNTEER_REASON = "却下理由(伴走者へ)"

# 申請: what staff judge by (SPEC §5 "Added columns", issue 13 §1), the form's own titles
JUDGED_BY = ("開始時刻", "終了時刻", "相談内容", "同行先", "つながった公的支援", "支援の内容")
RESUBMISSION_OF = "元申請番号"
# 申請, staff: corrections of what the volunteer sent by email, applied only with a reason
START_FIX, END_FIX, AMOUNT_FIX, FIX_REASON = (
    "開始時刻(訂正)",
    "終了時刻(訂正)",
    "謝金額(訂正)",
    "訂正理由",
)
APP_FIXES = (START_FIX, END_FIX, AMOUNT_FIX)

# 伴走者: why a row needs staff, the address as typed, the registrations that repeat this
# one (SPEC §4: a duplicate has no row of its own), the answers missing (SPEC §4), and
# staff's confirmation of the membership (issue 13 §1)
REVIEW_WHY = "要確認の理由"
EMAIL_TYPED = "入力されたメールアドレス"
DUPLICATES = "重複登録"
MISSING = "未回答"
MEMBERSHIP_CHECK = "会員区分(確認)"
MEMBERSHIP_CHOICES = ("会員", "会員の紹介", "非会員")
# 伴走者: the network's answers, for staff planning courses (issue 15 §1)
LANGUAGES, COURSE_WISH = "対応できる言語", "講座受講希望"


@dataclass(frozen=True)
class TabLayout:
    name: str
    headers: tuple[str, ...]
    key: tuple[str, ...]  # columns that identify a row; empty: rows are not keyed
    staff: tuple[str, ...] = ()  # typed by staff, only read by bansou-sync
    checkboxes: tuple[str, ...] = ()  # staff columns holding TRUE/FALSE
    # key columns that may be blank (操作: a request's parameters); the others must not be
    optional_key: tuple[str, ...] = ()

    def keyed(self, key: Sequence[str]) -> bool:
        """Whether ``key`` (the key cells of a row, in key order) names a row: every key
        column filled, except those that may be blank — and then at least one."""
        if not self.optional_key:
            return all(key)
        return any(key) and all(
            cell or column in self.optional_key for column, cell in zip(self.key, key, strict=True)
        )

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
        # added after SPEC §5's columns (issue 13 §1)
        REVIEW_WHY,
        EMAIL_TYPED,
        DUPLICATES,
        MISSING,
        MEMBERSHIP_CHECK,
        # issue 15 §1
        LANGUAGES,
        COURSE_WISH,
    ),
    key=("伴走ネットID",),
    staff=(
        "覚書発送日",
        "覚書受領",
        "口座届出受領",
        "講座受講",
        "連絡先訂正",
        "重複解除",
        "メモ",
        MEMBERSHIP_CHECK,
    ),
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
        *JUDGED_BY,
        RESUBMISSION_OF,
        *APP_FIXES,
        FIX_REASON,
    ),
    key=("申請番号",),
    staff=("審査", "審査メモ", VOLUNTEER_REASON, *APP_FIXES, FIX_REASON),
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

# 操作 (issue 13 §4): staff ask for the monthly outputs, one row each; the daemon makes
# them on its next cycle (core.operations). A row is found by what it asks for — staff
# type every key column — so a sort never moves an outcome onto another request.
OPERATION_KIND, OPERATION_TICK = "種類", "依頼"
OPERATION_KINDS = ("振込ファイル", "宛名ラベル", "報告書")
OPERATION_PARAMS = ("対象日", "開始月", "終了月", "形式")
OPERATIONS = TabLayout(
    name="操作",
    headers=(OPERATION_KIND, *OPERATION_PARAMS, OPERATION_TICK, "状態", "結果", "処理日時"),
    key=(OPERATION_KIND, *OPERATION_PARAMS),
    staff=(OPERATION_KIND, *OPERATION_PARAMS, OPERATION_TICK),
    checkboxes=(OPERATION_TICK,),
    optional_key=OPERATION_PARAMS,
)

ALL_TABS: tuple[TabLayout, ...] = (
    SUPPORTERS,
    APPLICATIONS,
    PAYMENTS,
    MAILS,
    STATS,
    SYNC,
    OPERATIONS,  # after SPEC's tabs
)
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
