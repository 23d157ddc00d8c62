"""The bundled reference programme (``reference/``), replayed as the secretariat runs it.

A deterministic member of staff works in the status tabs (the local backend's CSV
files) before each cycle: reviews on Mondays, documents received two weeks after
registration (later for some supporters, so payments are held and released), transfers
ticked on pay day. The golden test (tests/e2e/test_reference_golden.py) replays every
day of the programme; ``scripts/demo`` replays fewer days (``demo_days``) so a preview
takes under a minute, and leaves some documents unreturned so held payments show.

Fictitious data only; the cycles go through the real CLI (in-process, for speed).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import sys
from collections.abc import Collection, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

FIRST, LAST = date(2022, 5, 25), date(2023, 3, 31)
NOON = 12


def read_tab(folder: Path, tab: str) -> list[dict[str, str]]:
    path = folder / f"{tab}.csv"
    if not path.exists():
        return []
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_tab(folder: Path, tab: str, rows: list[dict[str, str]]) -> None:
    if not rows:
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    (folder / f"{tab}.csv").write_text(buffer.getvalue(), encoding="utf-8-sig")


def number(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


def staff_work(status: Path, today: date, unreturned: Collection[str] = ()) -> None:
    """What the secretariat does on ``today`` before the noon cycle.

    ``unreturned``: 伴走ネットID whose 覚書 and 口座届出書 never come back (the demo)."""
    supporters = read_tab(status, "伴走者")
    for row in supporters:
        if row["伴走ネットID"] in unreturned:
            continue  # papers never returned (the demo)
        registered = date.fromisoformat(row["登録日時"][:10])
        late = number(row["伴走ネットID"]) % 7 == 0  # their documents come back late
        if today >= registered + timedelta(days=45 if late else 14):
            row["覚書受領"] = row["口座届出受領"] = "TRUE"
    write_tab(status, "伴走者", supporters)
    if today.weekday() == 0:
        applications = read_tab(status, "申請")
        for row in applications:
            received = date.fromisoformat(row["受信日時"][:10])
            if row["状態コード"] != "pending_review" or today < received + timedelta(days=2):
                continue
            n = number(row["申請番号"])
            if n % 29 == 0:
                row["審査"] = "却下"
                row["却下理由(伴走者へ)"] = (
                    "同じ支援について、すでに別の申請を受付完了としています。"
                )
            elif n % 17 == 0 and not row["審査"]:
                row["審査"], row["審査メモ"] = "差戻し", "同行先の記載をお願いします"
            else:
                row["審査"] = "承認"
        write_tab(status, "申請", applications)
    payments = read_tab(status, "支払")
    for row in payments:
        if (
            row["状態"] == "予定"
            and row["支払予定日"]
            and date.fromisoformat(row["支払予定日"]) <= today
        ):
            row["支払済"] = "TRUE"
    write_tab(status, "支払", payments)


def every_day(first: date = FIRST, last: date = LAST) -> Iterator[date]:
    today = first
    while today <= last:
        yield today
        today += timedelta(days=1)


def demo_days(first: date = FIRST, last: date = LAST) -> Iterator[date]:
    """The first day, each Monday (the scripted staff's review day; pay days and
    cutoffs have passed by the next one) and the last day: every step of the season
    shows, in few cycles."""
    return (d for d in every_day(first, last) if d.weekday() == 0 or d in (first, last))


def prepare(folder: Path, root: Path) -> Path:
    """``folder`` with a copy of the reference data and ``config.example.yaml`` as its
    ``config.yaml`` (relative paths then point into ``folder``)."""
    shutil.copytree(root / "reference", folder / "reference")
    config = (root / "config.example.yaml").read_text(encoding="utf-8")
    (folder / "config.yaml").write_text(config, encoding="utf-8")
    return folder / "config.yaml"


def replay(
    folder: Path,
    root: Path,
    days: Iterable[date] | None = None,
    key: str = "golden-test-key",
    unreturned: Collection[str] = (),
    *,
    quiet: bool = False,
) -> Path:
    """The reference programme in ``folder``, one noon cycle per day of ``days`` (every
    day by default) with the scripted staff before each; returns ``folder``.
    ``quiet``: log warnings and errors only (the demo)."""
    from bansou_sync.cli import main  # the real CLI, in-process

    config = prepare(folder, root)
    if quiet:
        settings = yaml.safe_load(config.read_text(encoding="utf-8"))
        settings.setdefault("logging", {})["level"] = "WARNING"
        config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    os.environ["BANSOU_CLIENT_KEY"] = key
    status = folder / "out" / "status"
    for today in every_day() if days is None else days:
        if status.exists():
            staff_work(status, today, unreturned)
        moment = datetime(today.year, today.month, today.day, NOON).isoformat(sep=" ")[:16]
        if main(["once", "--config", str(config), "--now", moment]) != 0:
            raise RuntimeError(f"the cycle of {moment} failed")
    return folder


# --- scripts/demo ----------------------------------------------------------------------

DEMO_KEY = "demo-only-key-for-fictitious-data"  # a real installation keeps its own secret
# their 覚書 and 口座届出書 never come back in the demo, so held payments show at the end
DEMO_UNRETURNED = frozenset({"BN-0055", "BN-0057"})


def demo(folder: Path, root: Path) -> dict[str, Path]:
    """The season in a fresh ``folder`` (removed first: running twice gives the same),
    then the monthly outputs staff ask for; returns where each output is."""
    from bansou_sync.cli import main

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with contextlib.redirect_stdout(io.StringIO()):  # one summary per cycle: too many
        replay(folder, root, demo_days(), DEMO_KEY, DEMO_UNRETURNED, quiet=True)
    config, out = str(folder / "config.yaml"), folder / "out"
    coming = next_pay_date(out / "status")
    end = f"{LAST.isoformat()} {NOON:02d}:00"
    steps = [
        ["payment-files", "--config", config, *(["--batch", coming] if coming else [])],
        ["labels", "--config", config, "--now", end],
        ["report", "--config", config, "--out", str(out / "reports" / "report.html")],
    ]
    for argv in steps:
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
        if code != 0:
            raise RuntimeError(f"bansou-sync {argv[0]} failed ({code})")
    return {
        "status": out / "status",
        "outbox": out / "outbox",
        "ledger": out / "ledger.sqlite3",
        "payments": out / "payments",
        "labels": out / "labels",
        "report": out / "reports" / "report.html",
    }


def next_pay_date(status: Path) -> str:
    """The earliest 支払予定日 of the 支払 rows still 予定 (not ticked), "" when none."""
    dates = [r["支払予定日"] for r in read_tab(status, "支払") if r["状態"] == "予定"]
    return min((d for d in dates if d), default="")


def counts(status: Path) -> dict[str, int]:
    """How the season ends: applications accepted (to be paid), held, paid."""
    rows = read_tab(status, "申請")
    return {
        "accepted": sum(r["状態コード"] == "accepted" and bool(r["支払予定日"]) for r in rows),
        "held": sum(r["状態コード"] == "accepted" and "payment_held" in r["理由"] for r in rows),
        "paid": sum(r["状態コード"] == "paid" for r in rows),
    }


def report_lines(where: dict[str, Path], ended: dict[str, int]) -> list[str]:
    """What the demo prints: how the season ended and where each output is."""
    return [
        "",
        f"{_japanese(FIRST)}から{_japanese(LAST)}までを、事務局の作業を台本どおりに"
        "行いながら再現しました(架空データ)。",
        f"The season {FIRST} to {LAST} was replayed with a scripted member of staff"
        " (fictitious data).",
        f"  申請: 受付完了・支払予定 {ended['accepted']}件 / 保留(書類未着) {ended['held']}件"
        f" / 支払済 {ended['paid']}件",
        f"  applications: accepted, to be paid {ended['accepted']} / held {ended['held']}"
        f" / paid {ended['paid']}",
        "",
        "結果 / results:",
        f"  状況シート(タブごとのCSV、Excelで開けます) / status tabs:  {where['status']}",
        f"  送信メール(.eml) / emails sent:                  {where['outbox']}",
        f"  振込ファイル(全銀協)と支払一覧 / payment files:  {where['payments']}",
        f"  覚書の宛名ラベル(CSV・PDF) / 覚書 labels:        {where['labels']}",
        f"  匿名統計レポート / anonymised report:           {where['report']}",
        f"  台帳 / ledger (SQLite):                        {where['ledger']}",
    ]


def _japanese(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def main(argv: list[str] | None = None) -> int:
    """``python -m bansou_sync.season FOLDER ROOT``: the demo (scripts/demo)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("使い方 / usage: python -m bansou_sync.season FOLDER REPOSITORY", file=sys.stderr)
        return 2
    folder, root = Path(args[0]).resolve(), Path(args[1]).resolve()
    try:
        where = demo(folder, root)
    except RuntimeError as exc:  # the CLI has already said why on stderr
        print(f"デモを完了できませんでした / the demo stopped: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report_lines(where, counts(where["status"]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
