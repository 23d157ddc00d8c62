"""The cycle's hook for the 操作 tab (issue 13 §4): make what staff asked for.

``run_once`` calls ``run_operations`` once per cycle, after its own transaction: the
requests ticked since the last cycle (``core.operations``) are made with the commands'
own code — ``app.payment_files``, ``app.labels``, ``app.report`` — into a folder per
kind, handed to the ``OutputStore`` the shell chose (the folders themselves on the
embedded default; a Drive folder on Google, ``adapters.google_drive``), and each outcome
is recorded in the ledger (``State.flags``) in one transaction, so a re-read never
makes it again. One request that fails says why in its row; the others still run, and
so does the cycle. The rows for 操作 are returned for the cycle's sheet write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from bansou_sync.app.payment_files import Written, rows_from
from bansou_sync.core import operations as ops
from bansou_sync.core.calendar import to_jst
from bansou_sync.core.money import yen
from bansou_sync.core.payment_batches import PaymentRow
from bansou_sync.core.policy import Policy
from bansou_sync.core.state import State
from bansou_sync.core.tabs import OPERATIONS, SUPPORTERS
from bansou_sync.errors import BansouError
from bansou_sync.ports import Ledger, TabRows, WriteFile

log = logging.getLogger(__name__)

PAYMENTS, LABELS, REPORTS = "payments", "labels", "reports"  # where each kind's files go
AREA = {ops.PAYMENT_FILES: PAYMENTS, ops.LABELS: LABELS, ops.REPORT: REPORTS}


class OutputStore(Protocol):
    """Where the files staff ask for in 操作 end up: the folders they were made in (the
    embedded default) or a Drive folder the secretariat owns (Google). Payment files,
    which carry bank details, go only where the treasurer's files go."""

    def refusal(self, area: str) -> str | None:
        """Why files of ``area`` cannot be handed over (not configured), in staff
        language; None when they can."""
        ...

    def publish(self, area: str, files: Sequence[Path]) -> list[str]:
        """Hand over ``files`` (made in the area's folder); where staff find each, in
        order (a path or a link). Raises ``BansouError`` when they cannot be."""
        ...


# the payment files of one pay date made into a folder (``app.payment_files``, with the
# payer, the bank details and the bank master the shell read from the configuration)
MakePaymentFiles = Callable[[Sequence[PaymentRow], Path, date], list[Written]]


@dataclass(frozen=True)
class OperationServices:
    store: OutputStore
    folders: Mapping[str, Path]  # area → the folder its files are made in
    payment_files: MakePaymentFiles
    write: WriteFile  # atomic (adapters.atomic)


def run_operations(
    services: OperationServices | None,
    ledger: Ledger,
    state: State,
    tab_rows: Mapping[str, Sequence[Mapping[str, str]]],
    policy: Policy,
    now: datetime,
    *,
    settled: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
    dry_run: bool = False,
    problems: list[str] | None = None,
) -> list[TabRows]:
    """Make each request ticked since the last cycle; returns the rows of 操作.

    ``tab_rows``: every tab's rows as read (each key's first row); ``settled``: the same
    without keys whose rows disagree (``core.staff.settle_repeats``): those act on
    nothing until staff leave one row, but their rows are still written."""
    if services is None:
        return []
    now = to_jst(now)
    rows, unread = ops.read_rows(tab_rows.get(OPERATIONS.name, ()))
    if problems is not None:
        problems += unread
    acting = rows
    if settled is not None:
        agreed = {r.request.key for r in ops.read_rows(settled.get(OPERATIONS.name, ()))[0]}
        acting = [r for r in rows if r.request.key in agreed]
    known = ops.records(state.flags)
    plan = ops.plan_operations(acting, known)
    if dry_run:
        return [TabRows(OPERATIONS.name, ops.tab_rows(rows, known))]
    changed = dict(plan.records)
    for request in plan.to_make:
        made, result, batch = _make(services, request, state, tab_rows, policy, now, known)
        changed[request.key] = ops.outcome(made, result, now, batch)
        log.info(
            "operation %s: %s", AREA.get(request.kind, "unknown"), "done" if made else "failed"
        )
    if changed:
        new = state.copy()
        for key, record in changed.items():
            new.flags[ops.flag_name(key)] = ops.flag_value(key, record)
        with ledger.transaction():
            ledger.save_state(state, new)
    return [TabRows(OPERATIONS.name, ops.tab_rows(rows, {**known, **changed}))]


def _make(
    services: OperationServices,
    request: ops.Request,
    state: State,
    tab_rows: Mapping[str, Sequence[Mapping[str, str]]],
    policy: Policy,
    now: datetime,
    known: Mapping[ops.Key, ops.Record],
) -> tuple[bool, str, str]:
    """(made, what the row says, the pay date of payment files made): one request never
    stops the others or the cycle."""
    if request.problem:
        return False, request.problem, ""
    area = AREA[request.kind]
    refused = services.store.refusal(area)
    if refused:
        return False, refused, ""
    try:
        if request.kind == ops.PAYMENT_FILES:
            return (True, *_payment_files(services, request, state, known))
        if request.kind == ops.LABELS:
            return True, _labels(services, request, state, tab_rows, now), ""
        return True, _report(services, request, state, policy, now), ""
    except BansouError as exc:
        return False, f"作成できませんでした / could not be made: {exc}", ""
    except OSError as exc:
        why = exc.strerror or exc
        return False, f"ファイルを書き込めません / cannot write the files: {why}", ""
    except Exception as exc:  # one request must not stop the cycle (logged with its type)
        log.exception("operation %s failed unexpectedly", area)
        return (
            False,
            (
                f"予期しないエラーで作成できませんでした({type(exc).__name__})。事務局の IT 担当に"
                f"ご連絡ください / an unexpected error stopped this request"
            ),
            "",
        )


def _where(services: OperationServices, area: str, named: Sequence[tuple[str, Path]]) -> str:
    places = services.store.publish(area, [path for _, path in named])
    return "\n".join(f"{label}: {place}" for (label, _), place in zip(named, places, strict=True))


def _payment_files(
    services: OperationServices,
    request: ops.Request,
    state: State,
    known: Mapping[ops.Key, ops.Record],
) -> tuple[str, str]:
    assert request.day is not None  # core.operations: 振込ファイル needs 対象日
    rows = rows_from(state)
    pay_date = ops.pay_date_for(request.day, ((r.pay_date, r.cutoff) for r in rows))
    if isinstance(pay_date, str):
        raise BansouError(pay_date)
    before = ops.made_before(known, pay_date)
    written = services.payment_files(rows, services.folders[PAYMENTS], pay_date)
    lines = []
    for result in written:
        batch = result.batch
        held = len(batch.held)
        files = [("事務局用一覧 / staff CSV", result.staff_csv)]
        if result.transfer is not None:
            files.append(("総合振込ファイル / transfer file", result.transfer))
        lines.append(
            f"支払予定日 {batch.pay_date.isoformat()}: 振込 {len(batch.transfers)} 件 "
            f"{yen(batch.total)}、保留 {held} 件 / transfers {len(batch.transfers)}, held {held}"
        )
        if result.transfer is None:
            lines.append("振込対象がないため総合振込ファイルはありません / nothing to transfer")
        if result.again or before:
            lines.append(
                "注意: この支払予定日のファイルは以前にも作成しています。二重振込にご注意ください"
                " / files of this pay date were made before: beware of paying twice"
            )
        lines.append(_where(services, PAYMENTS, files))
    return "\n".join(lines), pay_date.isoformat()


def _labels(
    services: OperationServices,
    request: ops.Request,
    state: State,
    tab_rows: Mapping[str, Sequence[Mapping[str, str]]],
    now: datetime,
) -> str:
    from bansou_sync.app.labels import write_labels  # matplotlib: only when asked for
    from bansou_sync.core.labels import labels_due

    sent = {
        row.get("伴走ネットID", ""): row.get("覚書発送日", "")
        for row in tab_rows.get(SUPPORTERS.name, ())
    }
    run = labels_due(state.registrations.values(), sent)
    files = write_labels(run, services.folders[LABELS], request.day or now.date())
    lines = [
        f"宛名 {files.count} 件({files.pages} ページ)/ {files.count} labels",
        _where(
            services,
            LABELS,
            [
                ("ラベルPDF / label PDF", files.pdf),
                ("差し込み印刷用CSV / mail-merge CSV", files.csv),
            ],
        ),
    ]
    if files.no_address:
        lines.append(f"住所または氏名がないため除外 / no address: {', '.join(files.no_address)}")
    if run.cannot_apply:
        lines.append(
            f"会員でも会員の紹介でもないため除外 / neither member nor referred: "
            f"{', '.join(run.cannot_apply)}"
        )
    lines.append(
        "発送したら、伴走者タブの「覚書発送日」に日付を入力してください"
        " / after posting, type the date in 覚書発送日"
    )
    return "\n".join(lines)


def _report(
    services: OperationServices,
    request: ops.Request,
    state: State,
    policy: Policy,
    now: datetime,
) -> str:
    from bansou_sync.app import report as rep  # jinja2, matplotlib: only when asked for

    start = request.start or policy.period_start.strftime("%Y-%m")
    end = request.end or policy.period_end.strftime("%Y-%m")
    span = rep.period(start, end)
    report = rep.build(
        state, policy.topic_keywords, policy.min_cell, span, now.date(), policy.nationalities
    )
    fmt = request.fmt if request.fmt in rep.FORMATS else "html"
    folder = services.folders[REPORTS]
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"report_{start}_{end}.{fmt}"
    rep.write(report, fmt, out, services.write)
    return f"報告書({span.label}、{fmt})/ report\n" + _where(
        services, REPORTS, [("報告書 / report", out)]
    )
