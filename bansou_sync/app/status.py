"""`bansou-sync status`: the service's health and what waits for staff, in the terminal.

Read-only: the CLI opens the ledger with ``Ledger.open_readonly`` and the cycle lock is
not taken, so it works beside a running service. What waits for staff comes from
``core.digest.waiting_items`` — the same lists the daily digest email carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from bansou_sync.app.failure_flags import COUNT, SINCE
from bansou_sync.core.book import Book
from bansou_sync.core.calendar import to_jst
from bansou_sync.core.digest import waiting_items
from bansou_sync.core.masking import mask
from bansou_sync.core.policy import Policy
from bansou_sync.ports import HELD_UNTIL, Ledger, OutboxItem

SHOWN = 30  # rows per section; the status Sheet has them all


@dataclass(frozen=True)
class Status:
    now: datetime
    last_cycle: dict[str, Any] | None
    failures: int
    failing_since: str
    waiting: dict[str, Any]  # waiting_items(): the digest's sections and budget
    pending_mail: list[OutboxItem]
    failed_mail: list[OutboxItem]  # failed for good, or left for staff to check


def read_status(ledger: Ledger, policy: Policy, now: datetime) -> Status:
    state = ledger.load_state()
    cycles = ledger.cycles(limit=1)
    mail = ledger.outbox_items()
    return Status(
        now=to_jst(now),
        last_cycle=cycles[0] if cycles else None,
        failures=int(state.flags.get(COUNT, "0") or 0),
        failing_since=state.flags.get(SINCE, ""),
        waiting=waiting_items(Book(state), policy, now),
        pending_mail=[m for m in reversed(mail) if m.status in ("pending", "sending")],
        failed_mail=[m for m in mail if m.status in ("failed", "review")],
    )


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", header_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def _section(console: Console, title: str, rows: list[tuple[str, ...]], *columns: str) -> None:
    if not rows:
        console.print(f"[bold]{title}[/bold]: なし / none")
        return
    table = _table(f"{title}: {len(rows)}", *columns)
    for row in rows[:SHOWN]:
        table.add_row(*row)
    console.print(table)
    if len(rows) > SHOWN:
        console.print(f"  ほか {len(rows) - SHOWN} 件 / and {len(rows) - SHOWN} more")


def print_status(status: Status, console: Console) -> None:
    console.print(f"[bold]bansou-sync 状況 / status[/bold]  {status.now:%Y-%m-%d %H:%M} JST")
    cycle = status.last_cycle
    if cycle is None:
        console.print("[bold]最終同期 / last cycle[/bold]: まだありません / none yet")
    else:
        table = _table("最終同期 / last cycle", "項目 / item", "値 / value")
        table.add_row("日時 / time", f"{to_jst(cycle['started_at']):%Y-%m-%d %H:%M}")
        table.add_row("結果 / result", str(cycle["result"]))
        table.add_row("新規登録 / new registrations", str(cycle["new_registrations"]))
        table.add_row("新規申請 / new applications", str(cycle["new_applications"]))
        table.add_row("送信メール / mails sent", str(cycle["mails_sent"]))
        table.add_row("エラー / errors", mask(str(cycle["errors"])) or "なし / none")
        console.print(table)
    failing = f"{status.failures}"
    if status.failures:
        failing += f"({status.failing_since} から / since {status.failing_since})"
    style = "red" if status.failures else "green"
    console.print(f"[bold]連続失敗 / consecutive failures[/bold]: [{style}]{failing}[/{style}]")

    w = status.waiting
    _section(
        console,
        "審査待ち / pending reviews",
        [(p["app_no"], p["supporter_id"], p["submitted_at"]) for p in w["pending"]],
        "申請番号 / application",
        "伴走ネットID / supporter",
        "受信 / received",
    )
    _section(
        console,
        "再回答期限が近い不備 / deficiencies near their deadline",
        [(a["app_no"], a["reply_deadline"]) for a in w["near_deadline"]],
        "申請番号 / application",
        "期限 / deadline",
    )
    _section(
        console,
        "支払予定日を過ぎた未チェックの支払 / batches past their pay date, not ticked 支払済",
        [
            (b["pay_date"], str(b["payees"]), f"{b['total_yen']:,}", " ".join(b["supporter_ids"]))
            for b in w["unpaid"]
        ],
        "支払予定日 / pay date",
        "人数 / payees",
        "金額 / yen",
        "伴走ネットID / supporters",
    )
    coming = w["pay_batch"]
    _section(
        console,
        "次回の支払 / coming pay batch",
        [
            (
                coming["pay_date"],
                str(coming["payees"]),
                str(coming["count"]),
                f"{coming['total_yen']:,}",
            )
        ]
        if coming
        else [],
        "支払予定日 / pay date",
        "人数 / payees",
        "件数 / applications",
        "金額 / yen",
    )
    _section(
        console,
        "謝金の保留 / held payments",
        [
            (h["supporter_id"], h["cutoff"], f"{h['reason']}: {'・'.join(h['missing'])}")
            for h in w["held"]
        ],
        "伴走ネットID / supporter",
        "締め日 / cutoff",
        "理由 / reason",
    )
    _section(
        console,
        "要確認の登録 / registrations needing review",
        [(r["supporter_id"],) for r in w["needs_review"]],
        "伴走ネットID / supporter",
    )
    _section(
        console,
        "未回答のある登録(前回のダイジェスト以降) / registrations with missing answers",
        [(r["supporter_id"], r["missing"]) for r in w.get("incomplete", [])],
        "伴走ネットID / supporter",
        "未回答 / missing",
    )
    for key, title in (
        ("events", "開始後に受付処理した行事の申込 / event sign-ups read after the start"),
        ("duplicates", "重複登録 / duplicate registrations"),
        ("overrides", "ルールを上書きした承認 / rule overrides"),
        ("problems", "同期で見つかった問題 / problems found"),
    ):
        _section(console, title, [(mask(_text(item)),) for item in w[key]], "内容 / detail")
    budget = w["budget"]
    console.print(
        f"[bold]予算 / budget[/bold]: {budget['committed_yen']:,} 円 / {budget['total_yen']:,} 円"
        f" ({budget['ratio_percent']}%)  使用見込み / committed ÷ total"
    )
    _section(
        console,
        "送信待ちメール / mail waiting",
        [
            (m.kind, m.ref, f"{to_jst(m.created_at):%Y-%m-%d %H:%M}" + _held(m))
            for m in status.pending_mail
        ],
        "種別 / kind",
        "関連番号 / ref",
        "作成 / queued",
    )
    _section(
        console,
        "送信失敗・要確認のメール / failed mail",
        [(m.kind, m.ref, m.status, mask(m.error)) for m in status.failed_mail],
        "種別 / kind",
        "関連番号 / ref",
        "状態 / state",
        "理由 / reason",
    )


def _held(item: OutboxItem) -> str:
    """Marks mail the surge guard holds until staff release it (issue 10 §5)."""
    return " 保留 / held (release-surge)" if item.send_after == HELD_UNTIL else ""


def _text(item: object) -> str:
    if isinstance(item, dict):
        if {"response_id", "existing_id"} <= item.keys():
            sent = f"送信 {item['submitted']} の登録" if item.get("submitted") else "登録"
            return f"{sent} → 既存ID {item['existing_id']} (回答ID {item['response_id']})"
        return ", ".join(f"{k}: {v}" for k, v in item.items())
    return str(item)
