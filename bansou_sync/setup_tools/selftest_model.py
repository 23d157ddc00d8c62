"""What ``google-selftest`` found, and what the daemon does about it (pure, no I/O).

Each check ends as one ``Check``: **confirmed** (Google behaves as the product assumes),
**differs** (what was seen instead) or **could not run** (why). A difference carries
what the product does about it: either it is safe anyway (``consequence``), or it is a
behaviour the product cannot live with (``fatal``): then the verdict, stored beside the
ledger, makes ``once`` and ``run`` refuse to start until a new self-test passes.
No verdict file: no refusal (a self-test is recommended, not required).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

Status = Literal["confirmed", "differs", "could_not_run"]
Backend = Literal["sheets", "forms", "gmail"]
VERDICT_FILE = "google-selftest.json"
LABELS: dict[str, str] = {
    "confirmed": "確認済み / confirmed",
    "differs": "相違あり / differs",
    "could_not_run": "実行できず / could not run",
}


@dataclass(frozen=True)
class Check:
    """One line of the report. ``title``/``seen``/``consequence`` are "日本語 / English"."""

    id: str
    backend: Backend
    title: str
    status: Status
    seen: str = ""
    consequence: str = ""
    fatal: bool = False  # differs in a way the product cannot live with: refuse to start


@dataclass(frozen=True)
class Verdict:
    ran_at: str
    checks: tuple[Check, ...]
    row_metadata_on_sort: str | None = None  # "move" | "stay" | None (not seen)
    scope: dict[str, Any] = field(default_factory=dict)  # spreadsheet, forms, mailbox

    @property
    def refusals(self) -> list[Check]:
        return [c for c in self.checks if c.status == "differs" and c.fatal]


def confirmed(id: str, backend: Backend, title: str, seen: str = "") -> Check:
    return Check(id, backend, title, "confirmed", seen)


def differs(
    id: str, backend: Backend, title: str, seen: str, consequence: str, fatal: bool
) -> Check:
    return Check(id, backend, title, "differs", seen, consequence, fatal)


def could_not_run(id: str, backend: Backend, title: str, why: str) -> Check:
    return Check(id, backend, title, "could_not_run", why)


def format_report(verdict: Verdict) -> str:
    lines = ["Google 動作確認 / Google self-test", ""]
    for check in verdict.checks:
        lines.append(f"[{LABELS[check.status]}] {check.title}")
        if check.seen:
            lines.append(f"    {check.seen}")
        if check.consequence:
            mark = "起動を拒否します / refuses to start" if check.fatal else "対応 / handled"
            lines.append(f"    → {mark}: {check.consequence}")
    counts = {s: sum(c.status == s for c in verdict.checks) for s in LABELS}
    lines += [
        "",
        f"確認済み {counts['confirmed']} · 相違 {counts['differs']} · 実行できず "
        f"{counts['could_not_run']} / confirmed {counts['confirmed']}, differs "
        f"{counts['differs']}, could not run {counts['could_not_run']}",
    ]
    if verdict.refusals:
        lines.append(
            "この結果では once / run は起動しません。上の相違を解決し、google-selftest を"
            "もう一度実行してください / once and run will refuse to start until a new"
            " google-selftest passes."
        )
    else:
        lines.append(
            "製品が前提とする動作で、受け入れられないものはありませんでした"
            " / nothing the product cannot live with."
        )
    return "\n".join(lines)


def verdict_path(ledger_path: Path) -> Path:
    """Beside the ledger: it belongs to this installation, as the ledger does."""
    return Path(ledger_path).with_name(VERDICT_FILE)


def to_json(verdict: Verdict) -> str:
    body = asdict(verdict)
    body["version"] = 1
    body["refuse"] = [c.id for c in verdict.refusals]
    return json.dumps(body, ensure_ascii=False, indent=2)


def from_json(text: str) -> Verdict:
    data = json.loads(text)
    checks = tuple(Check(**c) for c in data.get("checks") or [])
    return Verdict(
        str(data.get("ran_at", "")),
        checks,
        data.get("row_metadata_on_sort"),
        dict(data.get("scope") or {}),
    )


def refusal(verdict: Verdict, backends_in_use: set[str]) -> str | None:
    """The message ``once``/``run`` stop with, or None: only differences on a backend the
    configuration still uses count."""
    blocking = [c for c in verdict.refusals if c.backend in backends_in_use]
    if not blocking:
        return None
    lines = [
        f"google-selftest ({verdict.ran_at}) で、製品が前提とする Google の動作との相違が"
        "見つかったため起動しません / google-selftest found Google behaving in a way the"
        " product cannot work with, so it will not start:"
    ]
    for check in blocking:
        lines.append(f"  - {check.title}: {check.seen}")
        lines.append(f"    {check.consequence}")
    lines.append(
        "解決後に bansou-sync google-selftest --config … を再実行してください"
        " / fix it, then run bansou-sync google-selftest --config … again."
    )
    return "\n".join(lines)


def now_text(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
