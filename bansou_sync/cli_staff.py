"""The staff tools of issue 6 on the command line: ``purge`` and ``labels``.

Registered by ``cli.build_parser``; errors are turned into messages by ``cli.main``.
Only counts and IDs are printed: the label files themselves hold the addresses.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bansou_sync.errors import ConfigError

if TYPE_CHECKING:  # imported when the command runs, not for every command's --help
    from rich.console import Console

    from bansou_sync.app.retention import PurgeReport

SHOWN_IDS = 30  # IDs listed per kind; the rest are counted


def add_parsers(
    sub: Any, with_config: Callable[[argparse.ArgumentParser], None], parse_now: Any
) -> None:
    purge = sub.add_parser(
        "purge",
        help="保存期間後に個人情報を削除 / delete personal data after the retention date",
        description="privacy.retain_until を過ぎたら台帳と状況シートから個人情報を消します"
        "(会計に必要な支払先の氏名は accounting.retain_until まで残します)。まず --dry-run で"
        "確認してください。 Deletes personal data from the ledger and the status sheet after"
        " privacy.retain_until (payees' names stay until accounting.retain_until).",
    )
    with_config(purge)
    purge.add_argument("--now", type=parse_now, default=None, help="as for once")
    purge.add_argument(
        "--dry-run",
        action="store_true",
        help="消す内容(件数とID)だけを表示 / show what would go (counts and IDs), change nothing",
    )
    labels = sub.add_parser(
        "labels",
        help="覚書送付用の宛名(CSV・ラベルPDF) / 覚書 address labels (CSV and A4 PDF)",
        description="覚書発送日が空欄の有効な登録者の氏名・住所を、差し込み印刷用 CSV と"
        " A4 12面ラベルの PDF に書き出します(事務局用。状況シートには書きません)。"
        " Writes names and postal addresses of active registrations whose 覚書発送日 is"
        " blank, for staff only.",
    )
    with_config(labels)
    labels.add_argument(
        "--out",
        type=Path,
        default=None,
        help="出力フォルダ / output folder (default: <ledger folder>/labels)",
    )
    labels.add_argument("--now", type=parse_now, default=None, help="as for once")


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=False, highlight=False, soft_wrap=True)


def _print_purge(report: PurgeReport, console: Console) -> None:
    from rich.table import Table

    from bansou_sync.core.retention import ACCOUNTING, KINDS

    head = (
        "ドライラン(変更なし) / dry run, nothing changed"
        if report.dry_run
        else "削除しました / purged"
    )
    scope = (
        "会計保存期間後 / after accounting" if report.scope == ACCOUNTING else "個人情報 / privacy"
    )
    console.print(f"[bold]{head}[/bold]  範囲 / scope: {scope}")
    table = Table(show_header=True, header_style="bold")
    table.add_column("種類 / kind")
    table.add_column("件数 / count", justify="right")
    table.add_column("ID")
    for kind, label in KINDS.items():
        ids = report.ids.get(kind, [])
        if not ids:
            continue
        shown = ", ".join(ids[:SHOWN_IDS]) + (
            f" …他 {len(ids) - SHOWN_IDS} 件" if len(ids) > SHOWN_IDS else ""
        )
        table.add_row(label, str(len(ids)), shown)
    if report.mail_records:
        table.add_row("メールの宛先・本文データ / email records", str(report.mail_records), "")
    console.print(table)
    if not report.dry_run:
        console.print(
            f"状況シートのスタッフ記入欄を消去 / staff cells cleared: {report.staff_cells}"
        )
        console.print(
            f"削除前の台帳バックアップを削除 / old ledger backups removed: {report.backups_removed}"
        )


def _existing_ledger(path: Path) -> Path:
    """These tools read what cycles recorded: a missing ledger is a wrong state.path."""
    if not path.exists():
        raise ConfigError(
            f"state.path: 台帳 {path} がありません。先に once を実行してください"
            " / no ledger yet: run `once` first"
        )
    return path


def cmd_purge(args: argparse.Namespace) -> int:
    from bansou_sync.adapters import parsed_tabs
    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.app.lock import ledger_lock
    from bansou_sync.app.retention import run_purge
    from bansou_sync.bootstrap import build_services, source_cache_path
    from bansou_sync.config import load_config
    from bansou_sync.core.calendar import JST

    settings = load_config(args.config)
    privacy_until = settings.privacy.retain_until
    if privacy_until is None:
        raise ConfigError(
            "privacy.retain_until: purge には保存期限の設定が必要です"
            " / purge needs the retention date (YYYY-MM-DD)"
        )
    now = args.now or datetime.now(JST)
    ledger_path = _existing_ledger(Path(settings.state.path))
    with ledger_lock(ledger_path), Ledger.open(ledger_path) as ledger:
        services = build_services(settings, ledger)
        report = run_purge(
            services,
            now,
            privacy_until,
            settings.accounting.retain_until,
            dry_run=args.dry_run,
            backup_dir=Path(settings.state.backup_dir or ledger_path.parent / "backups"),
        )
        if report.scope and not args.dry_run:
            # the export cache holds the exports' personal data: the next cycle reads the
            # exports whole again (what is still in them is the secretariat's to delete)
            source_cache_path(settings).unlink(missing_ok=True)
            # so do the tab files' kept parses (adapters.parsed_tabs): parsed afresh
            shutil.rmtree(parsed_tabs.folder_for(ledger_path), ignore_errors=True)
    console = _console()
    if not report.scope:
        console.print(
            f"保存期間中のため、削除するものはありません(privacy.retain_until: {privacy_until})"
            f" / nothing is due before {privacy_until}"
        )
        return 0
    _print_purge(report, console)
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.app.labels import sent_dates, write_labels
    from bansou_sync.bootstrap import make_sheet
    from bansou_sync.config import load_config
    from bansou_sync.core.calendar import JST
    from bansou_sync.core.labels import A4_12, labels_due

    settings = load_config(args.config)
    ledger_path = _existing_ledger(Path(settings.state.path))
    now = args.now or datetime.now(JST)
    with Ledger.open(ledger_path) as ledger:
        state = ledger.load_state()
    run = labels_due(state.registrations.values(), sent_dates(make_sheet(settings)))
    folder = args.out or ledger_path.parent / "labels"
    files = write_labels(run, Path(folder), now.date())
    console = _console()
    console.print(f"宛名 / labels: {files.count} 件 ({A4_12.name}, {files.pages} ページ / pages)")
    console.print(f"差し込み印刷用 CSV / mail-merge CSV: {files.csv}")
    console.print(f"ラベル PDF / label sheet PDF: {files.pdf}")
    if files.no_address:
        console.print(
            f"[yellow]住所または氏名がないため除外 / left out, no address or name:[/yellow] "
            f"{', '.join(files.no_address)}"
        )
    if run.cannot_apply:
        console.print(
            "会員でも会員の紹介でもないため除外(申請できないため覚書は送りません)"
            f" / left out, neither member nor referred: {', '.join(run.cannot_apply)}"
        )
    console.print(
        "発送したら、伴走者タブの「覚書発送日」に日付を入力してください"
        " / after posting, type the date in 覚書発送日"
    )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "purge": cmd_purge,
    "labels": cmd_labels,
}
