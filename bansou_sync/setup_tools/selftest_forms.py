"""``google-selftest``: what the Forms source relies on, read-only on the configured forms —
``responses.list`` pages when ``pageSize`` is smaller than the number of responses, and
the ``timestamp`` filter keeps exactly the responses submitted (or edited) after T."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from bansou_sync.adapters import retry
from bansou_sync.adapters.forms_api import parse_time, rfc3339
from bansou_sync.adapters.google_auth import FORMS_READ, GoogleAccess
from bansou_sync.adapters.google_discovery import error_message, service
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.setup_tools.selftest_model import Check, confirmed, could_not_run, differs

T = TypeVar("T")
CANNOT_PAGE = (
    "回答を取りこぼすため起動しません / responses would be missed: the daemon will not start"
)
CANNOT_FILTER = (
    "新しい回答・編集された回答を取りこぼすため起動しません / new and edited responses would"
    " be missed: the daemon will not start"
)


def run_form_checks(
    access: GoogleAccess, forms: dict[str, str], policy: RetryPolicy
) -> list[Check]:
    """Two checks per configured form (``forms``: kind → form ID)."""
    api = service(access, "forms", "v1", list(FORMS_READ), policy.timeout_seconds).forms()
    checks: list[Check] = []
    for kind, form_id in forms.items():
        paging = f"回答の全ページ読み込み({kind}) / responses.list pages ({kind})"
        filtering = f"timestamp フィルタ({kind}) / the timestamp filter ({kind})"
        try:
            everything, _ = _list(api, form_id, policy, None, None)
        except Exception as exc:
            why = f"フォーム {form_id} を読めません / cannot read form {form_id}: {error_message(exc)}"
            checks += [
                could_not_run(f"forms.paging.{kind}", "forms", paging, why),
                could_not_run(f"forms.filter.{kind}", "forms", filtering, why),
            ]
            continue
        for check in (_paging, _filter):
            title = paging if check is _paging else filtering
            check_id = f"forms.{'paging' if check is _paging else 'filter'}.{kind}"
            try:
                result = check(api, form_id, policy, everything, check_id, title)
                if result.status == "differs":
                    # a respondent may have edited (or staff deleted) a response meanwhile:
                    # a difference counts only if it is seen again on a fresh listing
                    everything, _ = _list(api, form_id, policy, None, None)
                    result = check(api, form_id, policy, everything, check_id, title)
                checks.append(result)
            except Exception as exc:
                why = f"Google の応答 / Google answered: {error_message(exc)}"
                checks.append(could_not_run(check_id, "forms", title, why))
    return checks


def _list(
    api: Any, form_id: str, policy: RetryPolicy, page_size: int | None, flt: str | None
) -> tuple[dict[str, datetime], int]:
    """Every response (ID → lastSubmittedTime) over all pages, and the number of pages."""
    found: dict[str, datetime] = {}
    token: str | None = None
    pages = 0
    while True:
        query: dict[str, Any] = {"formId": form_id}
        if page_size:
            query["pageSize"] = page_size
        if flt:
            query["filter"] = flt
        if token:
            query["pageToken"] = token
        request = api.responses().list(**query)
        page = _call(request.execute, policy)
        pages += 1
        for response in page.get("responses") or []:
            found[str(response["responseId"])] = parse_time(str(response["lastSubmittedTime"]))
        token = page.get("nextPageToken")
        if not token or pages > 10_000:
            return found, pages


def _call(fn: Callable[[], T], policy: RetryPolicy) -> T:
    return retry.call(fn, policy)


def _paging(
    api: Any,
    form_id: str,
    policy: RetryPolicy,
    everything: dict[str, datetime],
    check_id: str,
    title: str,
) -> Check:
    count = len(everything)
    if count < 3:
        why = (
            f"回答が {count} 件しかなく、3ページに分けられません(回答が3件以上になってから再実行)"
            f" / only {count} responses: run again once the form has 3 or more"
        )
        return could_not_run(check_id, "forms", title, why)
    size = max(1, count // 3)
    paged, pages = _list(api, form_id, policy, size, None)
    missing = set(everything) - set(paged)
    seen = f"{count} 件を pageSize {size} で {pages} ページ / {count} responses, pageSize {size}, {pages} pages"
    if not missing and pages >= 3:
        return confirmed(check_id, "forms", title, seen)
    if not missing:
        handled = (
            "指定より多く返されても、読み込みは nextPageToken がなくなるまで続けます"
            " / more per page than asked: the reader follows nextPageToken whatever the size"
        )
        return differs(check_id, "forms", title, seen, handled, False)
    seen += f"; {len(missing)} 件が返りませんでした / {len(missing)} never came back"
    return differs(check_id, "forms", title, seen, CANNOT_PAGE, True)


def _filter(
    api: Any,
    form_id: str,
    policy: RetryPolicy,
    everything: dict[str, datetime],
    check_id: str,
    title: str,
) -> Check:
    if len(everything) < 2:
        why = (
            f"回答が {len(everything)} 件しかありません(2件以上で再実行) / only"
            f" {len(everything)} responses: run again once the form has 2 or more"
        )
        return could_not_run(check_id, "forms", title, why)
    times = sorted(everything.values())
    bound_text = rfc3339(times[len(times) // 2])  # the product's own form (whole seconds)
    bound = datetime.fromisoformat(bound_text.replace("Z", "+00:00")).astimezone(UTC)
    problems = []
    for op in (">=", ">"):
        got, _ = _list(api, form_id, policy, None, f"timestamp {op} {bound_text}")
        expected = {
            rid for rid, t in everything.items() if t > bound or (op == ">=" and t == bound)
        }
        new = set(got) - set(everything)  # submitted while the self-test ran: fine
        missing = expected - set(got)
        extra = set(got) - expected - new
        if missing or extra:
            problems.append(
                f"'timestamp {op} {bound_text}': {len(missing)} missing, {len(extra)} too many"
            )
    if not problems:
        seen = f"'timestamp >= {bound_text}' / '>': 期待どおり / as expected"
        return confirmed(check_id, "forms", title, seen)
    return differs(check_id, "forms", title, "; ".join(problems), CANNOT_FILTER, True)
