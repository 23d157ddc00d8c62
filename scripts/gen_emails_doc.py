#!/usr/bin/env python3
"""Write docs/emails.md: every email kind as the volunteer or staff member reads it.

    .venv/bin/python scripts/gen_emails_doc.py [--outbox DIR] [--check]

The emails are those of the reference programme (``reference/``) replayed with
``config.example.yaml`` and the scripted member of staff of the golden test
(``bansou_sync.season``, about two minutes), read back from the outbox: for each
kind, the first message of each distinct shape (its ■ headings), at most three.
Kinds the reference season never sends (the staff alerts, the emergency grant,
courses and events) are rendered from fictitious samples written below, so the
secretariat can proofread every word. ``--outbox DIR`` reads an outbox already
replayed; ``--check`` exits 1 when docs/emails.md is not current (the golden test runs
the same check on its own replay).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import sys
import tempfile
from collections.abc import Iterable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "emails.md"
sys.path.insert(0, str(ROOT))

from bansou_sync.app.render import (  # noqa: E402  (the path above first)
    STAFF_KINDS,
    Letterhead,
    Renderer,
    default_templates_dir,
)
from bansou_sync.config import load_config  # noqa: E402

SENT_ON = "2022-07-01"
MAX_SHAPES = 3

# kind → what it is, Japanese first (the order of this table is the order of the doc)
KINDS: dict[str, str] = {
    "registration_confirmed": "伴走ネット登録の完了(伴走ネットIDと覚書の手続き) / registration confirmed",
    "registration_duplicate": "二重登録(登録済みのIDを再送) / duplicate registration",
    "application_received": "申請の受信(審査待ち) / application received, awaiting review",
    "application_deficient": "不備・差戻し(再提出のお願い) / corrections needed",
    "deficiency_reminder": "再提出期限の前のお知らせ / reminder before the reply deadline",
    "deficiency_expired": "再提出の期限切れ / reply deadline passed",
    "application_ineligible": "対象外 / not eligible",
    "application_accepted": "受付完了(謝金と支払予定日) / accepted",
    "application_rejected": "却下 / rejected",
    "payment_held": "謝金の保留(書類が未着) / payment held",
    "payment_released": "保留の解除(お振込予定日) / payment released",
    "event_confirmed": "講座・イベント: 参加確定 / event: place confirmed",
    "event_waitlisted": "講座・イベント: キャンセル待ち / event: waiting list",
    "event_moved_up": "講座・イベント: 繰り上げ / event: moved up",
    "event_reminder": "講座・イベント: 前日のご案内 / event: reminder",
    "event_cancelled": "講座・イベント: キャンセル受付 / event: cancelled",
    "event_refused": "講座・イベント: 受付不可 / event: refused",
    "event_closed": "講座・イベント: 受付終了後に届いた申込 / event: sign-up period over",
    "staff_digest": "事務局ダイジェスト(毎朝) / daily staff digest",
    "budget_warning": "予算の警告 / budget warning",
    "form_close_request": "フォームを手動で締め切る依頼 / close the form by hand",
    "sync_failure": "同期の失敗・認証情報の警告 / sync failure",
    "emergency_request": "緊急支援費の申請 / emergency grant request",
}

EVENT: dict[str, Any] = {
    "name": "架空 花子",
    "receipt": "course-2022-08/003",
    "event_title": "第1回 伴走支援講座",
    "event_kind": "伴走支援講座",
    "starts_at": "2022-08-20 13:30",
    "place": "オンライン (Zoom)",
    "supporter_id": "BN-0007",
    "position": 2,
    "reasons": ["この伴走ネットIDは登録されていません"],
    "requires_id": True,
}
# fictitious contexts of the kinds the reference season never sends
SAMPLES: dict[str, dict[str, Any]] = {
    **{
        kind: EVENT
        for kind in (
            "event_confirmed",
            "event_waitlisted",
            "event_moved_up",
            "event_reminder",
            "event_cancelled",
            "event_refused",
            "event_closed",
        )
    },
    "budget_warning": {
        "total_yen": 20_000_000,
        "committed_yen": 16_000_000,
        "ratio_percent": 80,
        "remaining_yen": 4_000_000,
    },
    "form_close_request": {
        "form_title": "伴走支援申請",
        "remaining_yen": 4_000,
        "reason": "予算の残額が謝金の最低額未満",
    },
    "sync_failure": {
        "failures": 3,
        "last_error": "SourceUnavailable: app.csv がありません / app.csv is missing",
        "since": "2022-07-01 06:00",
    },
    "emergency_request": {
        "request_no": "E-0001",
        "supporter_id": "BN-0007",
        "client_code": "C-0003",
        "cases": ["A-000012"],
        "requested_yen": 30_000,
        "status_label": "審査待ち",
        "reasons": [],
    },
}


def parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def shape(text: str) -> tuple[str, ...]:
    return tuple(line for line in text.splitlines() if line.startswith("■"))


def from_outbox(outbox: Path) -> dict[str, list[tuple[str, str]]]:
    """kind → (subject, body) of the first message of each shape, in sending order."""
    found: dict[str, dict[tuple[str, ...], tuple[str, str]]] = {}
    for path in sorted(outbox.glob("*.eml")):
        message = parse(path)
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        text = str(part.get_content()).replace("\r\n", "\n")
        shapes = found.setdefault(str(message["X-Bansou-Kind"]), {})
        if len(shapes) < MAX_SHAPES:
            shapes.setdefault(shape(text), (str(message["Subject"]), text))
    return {kind: list(shapes.values()) for kind, shapes in found.items()}


def renderer() -> Renderer:
    """The renderer the reference run used (config.example.yaml's sender and contact)."""
    settings = load_config(ROOT / "config.example.yaml", env={})
    from bansou_sync.bootstrap import letterhead

    return Renderer(
        default_templates_dir(),
        sender=settings.mail.from_address,
        sender_name=settings.mail.from_name,
        letterhead=letterhead(settings),
    )


def sampled(kinds: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    r = renderer()
    return {kind: [r.render(kind, SAMPLES[kind], sent_on=SENT_ON)] for kind in kinds}


def english_example() -> tuple[str, str]:
    base = renderer()
    head = Letterhead(**{**vars(base.letterhead), "english_summary": True})
    r = Renderer(
        default_templates_dir(), sender=base.sender, sender_name=base.sender_name, letterhead=head
    )
    return r.render("payment_released", _released(), sent_on=SENT_ON)


def _released() -> dict[str, Any]:
    return {
        "name": "架空 花子",
        "supporter_id": "BN-0007",
        "cutoff": "2022-08-20",
        "pay_date": "2022-09-09",
        "count": 2,
        "amount_text": "16,000円",
        "items": [
            {"app_no": "A-000012", "support_date": "2022-07-18", "amount_text": "6,000円"},
            {"app_no": "A-000019", "support_date": "2022-07-25", "amount_text": "10,000円"},
        ],
    }


def document(outbox: Path) -> str:
    mails = from_outbox(outbox)
    mails |= sampled(k for k in SAMPLES if k not in mails)
    lines = [
        "# メールの文面 / Email wording",
        "",
        "<!-- 生成ファイル: 手で編集しないでください。scripts/gen_emails_doc.py が作ります。",
        "     generated by scripts/gen_emails_doc.py; tests check that it is current. -->",
        "",
        "bansou-sync が送るメールを、種類ごとに実際の文面で示します。事務局で文面を",
        "確認・承認するための資料です。参照データ(`reference/`)の一年間を",
        "`config.example.yaml` の設定で動かして実際に送られたメールから、種類ごとに",
        "形(■の見出し)の違うものを最大3通ずつ載せています。参照データで送られない",
        "種類(事務局あての警告、緊急支援費、講座・イベント)は架空の例で示します。",
        "氏名・メールアドレスはすべて架空です。文面は `templates/emails/` にあります。",
        "",
        "This page shows every email bansou-sync sends, as its reader sees it, for the",
        "secretariat to proofread and approve: the emails of the reference season",
        "(`reference/` run with `config.example.yaml`), up to three of each kind where",
        "their sections differ; kinds that season never sends are rendered from",
        "fictitious samples. The wording lives in `templates/emails/`.",
        "",
    ]
    groups = (
        ("伴走者あて / to volunteers", [k for k in KINDS if k not in STAFF_KINDS]),
        ("事務局あて / to staff", [k for k in KINDS if k in STAFF_KINDS]),
    )
    for title, kinds in groups:
        lines += [f"## {title}", ""]
        for kind in kinds:
            examples = mails.get(kind, [])
            source = "架空の例 / fictitious sample" if kind in SAMPLES else "参照データ / reference"
            lines += [f"### `{kind}` — {KINDS[kind]}", "", f"({source})", ""]
            for subject, text in examples:
                lines += [f"件名 / Subject: **{subject}**", "", "```text", text.rstrip(), "```", ""]
    subject, text = english_example()
    lines += [
        "## 英語の要約 / English summary (`mail.english_summary: true`)",
        "",
        "設定で有効にすると、伴走者あてのメールの日本語本文の下(署名の前)に短い英語の",
        "要約が付きます(既定はオフ)。例 / example (架空 / fictitious):",
        "",
        f"件名 / Subject: **{subject}**",
        "",
        "```text",
        text.rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def replayed_outbox(folder: Path) -> Path:
    from bansou_sync import season

    return season.replay(folder, ROOT) / "out" / "outbox"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outbox", type=Path, help="an outbox of the reference replay")
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        outbox = args.outbox or replayed_outbox(Path(tmp))
        text = document(outbox)
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is not current: run scripts/gen_emails_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
