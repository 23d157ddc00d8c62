"""Responses from the Google Forms API (``source: forms_api``, SPEC §4 "Edits", §7).

Each form is read with ``forms.responses.list``: every page (``pageSize`` 5,000,
``nextPageToken``), with ``filter=timestamp >= T`` when the app asks for what changed
since ``T`` (Google compares it with ``lastSubmittedTime``, so edits come back too).
Google does not sort responses; nothing here relies on an order.

Which question holds which field is learnt from ``forms.get`` — once per process, or from
the copy kept beside the ledger (``adapters.form_layouts``: a new process per cycle does
not ask again) —: by the
configured mapping (a ``questionId`` or an exact title) else by the reference title
(``core.form_questions``). Answers of questions no field reads are ignored. Text answers
stay as Google gives them (dates ``YYYY-MM-DD``, times ``HH:MM``: the core normalises);
a CHECKBOX question gives a tuple, one value per ticked option; every answer goes through
``core.untrusted.clean_answer`` (controls removed, an oversized answer cut and flagged).
A form that lacks a question the rules need, or where a title the configuration reads
by is held by two questions, is refused before any response is read (issue 10 §3).

Every call goes through ``retry.call`` with an explicit timeout; a 404 or 403 is a
``SourceUnavailable`` naming the likely fix (wrong form ID, form not shared).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import google.auth.exceptions

from bansou_sync.adapters import retry
from bansou_sync.adapters.form_fields import FORM_TITLES, TITLES_BY_FORM
from bansou_sync.adapters.form_layouts import LAYOUTS_FILE, LayoutFile, Learnt, label, stale
from bansou_sync.adapters.form_rows import clean_answers
from bansou_sync.adapters.google_auth import GoogleAccess, forms_scopes, token_error_text
from bansou_sync.adapters.google_discovery import error_message, http_status, service
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.core.form_questions import (
    check_columns,
    column_problem,
    match_fields,
    questions_of,
)
from bansou_sync.core.model import Answer, RawResponse
from bansou_sync.errors import SourceUnavailable
from bansou_sync.ports import ResponseSource

log = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_POLICY = RetryPolicy()
PAGE_SIZE = 5000


@dataclass(frozen=True)
class FormLayout:
    """What ``forms.get`` taught: the field of each mapped question, and which are checkboxes."""

    fields: Mapping[str, str]  # questionId → field name
    checkboxes: frozenset[str]  # questionIds of CHECKBOX questions
    known: frozenset[str]  # every questionId of the form, mapped or not
    problem: str | None = None  # why the form cannot be judged (a needed question missing)


def layout_of(form: str, reply: Mapping[str, Any], mapping: Mapping[str, str] | None) -> FormLayout:
    questions = questions_of(reply)
    match = match_fields(form, questions, TITLES_BY_FORM.get(form, {}), mapping)
    check = check_columns(form, questions, TITLES_BY_FORM, mapping)
    where = f"フォーム「{FORM_TITLES.get(form, form)}」"
    return FormLayout(
        fields={q.question_id: name for name, q in match.found.items()},
        checkboxes=frozenset(q.question_id for q in questions if q.kind == "checkbox"),
        known=frozenset(q.question_id for q in questions),
        problem=None
        if check.ok
        else column_problem(check, TITLES_BY_FORM.get(form, {}), where, FORM_TITLES),
    )


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC, whole seconds rounded down (the filter only gets wider)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """A Forms API timestamp (``2022-06-25T15:30:00.123456Z``) as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)  # 3.11 reads the ``Z`` itself


def to_raw(form: str, response: Mapping[str, Any], layout: FormLayout) -> RawResponse:
    fields, checkboxes = layout.fields, layout.checkboxes  # once, not per answer
    answers: dict[str, Answer] = {}
    for key, answer in (response.get("answers") or {}).items():
        question_id = str(answer.get("questionId") or key)
        name = fields.get(question_id)
        if name is None:
            continue
        given: Any = (answer.get("textAnswers") or {}).get("answers") or ()
        if question_id in checkboxes:
            answers[name] = tuple([str(a.get("value", "")) for a in given])
        elif len(given) == 1:  # nearly every text answer: no list, no join
            answers[name] = str(given[0].get("value", ""))
        else:
            answers[name] = ", ".join([str(a.get("value", "")) for a in given])
    created = parse_time(str(response["createTime"]))
    submitted = response.get("lastSubmittedTime")
    cleaned, cut = clean_answers(answers)
    if cut:
        log.warning("%s: response %s: answers cut: %s", form, response["responseId"], cut)
    return RawResponse(
        form=form,
        response_id=str(response["responseId"]),
        submitted_at=created,
        last_submitted_at=parse_time(str(submitted)) if submitted else created,
        answers=cleaned,
        cut=cut,
    )


class FormsApiSource(ResponseSource):
    """``ResponseSource`` over the Google Forms API, one form ID per form."""

    incremental = True

    def __init__(
        self,
        access: GoogleAccess,
        form_ids: Mapping[str, str],
        mapping: Mapping[str, Mapping[str, str]] | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        can_close: bool = False,
        page_size: int = PAGE_SIZE,
        layouts_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.access = access
        self.form_ids = dict(form_ids)
        self.mapping = {form: dict(m) for form, m in (mapping or {}).items()}
        self.policy = policy
        self.can_close = can_close
        self.page_size = page_size
        self.scopes = list(forms_scopes(can_close))
        self._forms: Any = None
        self._layouts: dict[str, FormLayout] = {}
        self._problems: dict[str, list[str]] = {}
        self.clock = clock
        self._kept: LayoutFile | None = None
        if layouts_dir is not None:  # beside the ledger: the forms' questions, no answers
            labels = {
                form: label(form, form_id, self.mapping.get(form, {}), TITLES_BY_FORM.get(form, {}))
                for form, form_id in self.form_ids.items()
                if form_id
            }
            self._kept = LayoutFile(layouts_dir / LAYOUTS_FILE, labels)
        self._learnable: dict[str, Learnt] | None = None  # kept entries this process may use

    @property
    def problems(self) -> list[str]:
        """Responses skipped by the latest ``fetch`` of each form, for the 同期 tab."""
        return [p for form in self._problems for p in self._problems[form]]

    def fetch(self, form: str, since: datetime | None = None) -> list[RawResponse]:
        form_id = self._form_id(form)
        with _collector_paused():
            return self._fetch(form, form_id, since)

    def _fetch(self, form: str, form_id: str, since: datetime | None) -> list[RawResponse]:
        refreshed = False
        while True:
            layout = self._layout(form, form_id)
            responses: list[RawResponse] = []
            problems: list[str] = []
            # page by page: the API's JSON of a response is many times the size of its
            # RawResponse, so a backfill of 60,000 must not hold every page (issue 5)
            for page in self._pages(form, form_id, since):
                unknown = {q for r in page for q in r.get("answers") or {} if q not in layout.known}
                if unknown and not refreshed:
                    # the form gained questions since forms.get: learn them once more and
                    # read again, so every response is read with the same layout
                    self._layout(form, form_id, refresh=True)
                    refreshed = True
                    break
                if unknown:  # answers to deleted questions: not asked about again
                    layout = self._layouts[form] = replace(layout, known=layout.known | unknown)
                    self._keep_unknown(form, unknown)
                for response in page:
                    try:
                        responses.append(to_raw(form, response, layout))
                    except (KeyError, TypeError, ValueError):
                        problems.append(
                            f"{FORM_TITLES.get(form, form)}: 読めない回答を読み飛ばしました / "
                            f"skipped an unreadable response "
                            f"({str(response.get('responseId', '?'))[:16]}…)"
                        )
                # read: let this page go before the next one arrives, not after (two
                # 5,000-response pages held at once were a backfill's peak, issue 5)
                page.clear()
            else:
                self._problems[form] = problems
                return responses

    def close_form(self, form: str) -> bool:
        """Stop accepting responses; False when not allowed (``budget.close_form`` off) or
        when Google refuses (legacy forms have no publish settings): staff are asked."""
        if not self.can_close:
            return False
        form_id = self._form_id(form)
        body = {
            "publishSettings": {
                "publishState": {"isPublished": True, "isAcceptingResponses": False}
            },
            "updateMask": "publishState.isAcceptingResponses",
        }
        try:
            self._call(lambda: self._api().setPublishSettings(formId=form_id, body=body).execute())
        except Exception as exc:  # any refusal means: ask staff to close it by hand
            log.warning("could not close form %s: %s", form, _describe(exc))
            return False
        return True

    # -- internals ----------------------------------------------------------------------

    def _form_id(self, form: str) -> str:
        form_id = self.form_ids.get(form)
        if not form_id:
            raise SourceUnavailable(
                f"source.{form}_form_id が設定されていません / source.{form}_form_id is not set"
            )
        return form_id

    def _api(self) -> Any:
        if self._forms is None:
            timeout = self.policy.timeout_seconds
            self._forms = service(self.access, "forms", "v1", self.scopes, timeout).forms()
        return self._forms

    def _layout(self, form: str, form_id: str, refresh: bool = False) -> FormLayout:
        if not refresh and form not in self._layouts:
            kept = self._kept_entries().pop(form, None)
            layout = layout_of(form, kept.reply, self.mapping.get(form)) if kept else None
            if kept is not None and layout is not None and layout.problem is None:
                self._layouts[form] = replace(layout, known=layout.known | kept.unknown)
        if refresh or form not in self._layouts:
            reply = self._read(form, form_id, self._api().get(formId=form_id).execute)
            self._layouts[form] = layout_of(form, reply, self.mapping.get(form))
            if self._kept is not None and form in self._kept.labels:
                good = self._layouts[form].problem is None
                self._kept.put(form, Learnt(reply, self.clock()) if good else None)
        layout = self._layouts[form]
        if layout.problem is not None:
            self._layouts.pop(form)  # learnt again next cycle: staff may fix the form
            raise SourceUnavailable(layout.problem)
        return layout

    def _kept_entries(self) -> dict[str, Learnt]:
        """The kept layouts this process may still use: read once; the oldest one that is
        due to be re-learnt (``form_layouts.stale``) left out, so it is asked for."""
        if self._learnable is None:
            self._learnable = self._kept.load() if self._kept is not None else {}
            due = stale(self._learnable, self.clock())
            if due is not None:
                del self._learnable[due]
        return self._learnable

    def _keep_unknown(self, form: str, unknown: set[str]) -> None:
        entry = self._kept.entries.get(form) if self._kept is not None else None
        if self._kept is not None and entry is not None and not unknown <= entry.unknown:
            self._kept.put(form, replace(entry, unknown=entry.unknown | unknown))

    def _pages(
        self, form: str, form_id: str, since: datetime | None
    ) -> Iterator[list[dict[str, Any]]]:
        query: dict[str, Any] = {"formId": form_id, "pageSize": self.page_size}
        if since is not None:
            query["filter"] = f"timestamp >= {rfc3339(since)}"
        token: str | None = None
        while True:
            request = (
                self._api().responses().list(**query, **({"pageToken": token} if token else {}))
            )
            page = self._read(form, form_id, request.execute)
            responses, token = list(page.get("responses") or []), page.get("nextPageToken")
            del page  # not kept while the next page is read (see ``fetch``)
            yield responses
            if not token:
                return

    def _call(self, fn: Callable[[], T]) -> T:
        return retry.call(fn, self.policy)

    def _read(self, form: str, form_id: str, fn: Callable[[], T]) -> T:
        try:
            return self._call(fn)
        except google.auth.exceptions.GoogleAuthError as exc:
            raise SourceUnavailable(
                f"Google の認証に失敗しました。google.credentials_file を確認してください / "
                f"Google sign-in failed, check google.credentials_file: {token_error_text(exc) or exc}"
            ) from exc
        except Exception as exc:
            status = http_status(exc)
            if status is None and not retry.is_transient(exc):
                raise
            raise SourceUnavailable(_unavailable(form, form_id, status, exc)) from exc


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the pages are decoded and converted.

    A page's JSON is a tree (five containers per answer: a 5,000-response page is
    ≈ 400,000), freed by reference counting as soon as it is converted, and a
    ``RawResponse`` holds no cycle: the collector has nothing to find there, yet its
    allocation-driven passes walked each page several times, ≈ 70 % of the time
    ``json`` took to decode it. Switched back on (when it was on) however the read
    ends; what the read kept is then walked once. The process's own setting
    (``bansou_sync.heap.tune_collector``, the shell's) makes those passes rarer; this
    pause still saves ≈ 25 % of a read (docs/benchmarks.md, third pass), and it is
    scoped to the one step whose every object is known to be acyclic."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _unavailable(form: str, form_id: str, status: int | None, exc: BaseException) -> str:
    key = f"source.{form}_form_id"
    title = FORM_TITLES.get(form, form)
    if status == 404:
        return (
            f"フォーム「{title}」({form_id}) が見つかりません。{key} を確認してください / "
            f"form not found: check {key} (the part between /d/ and /edit of its edit URL)"
        )
    if status == 403:
        return (
            f"フォーム「{title}」({form_id}) を読む権限がありません。フォームをサービスアカウントと"
            f"共有してください / no access to the form: share it with the service account "
            f"({_describe(exc)})"
        )
    if status == 401:
        return (
            f"Google の認証が通りません。google.credentials_file を確認してください / "
            f"credentials rejected: check google.credentials_file ({_describe(exc)})"
        )
    return (
        f"フォーム「{title}」の回答を読めません(時間をおいて再試行します) / cannot read the "
        f"responses of form {form_id} now: {_describe(exc)}"
    )


def _describe(exc: BaseException) -> str:
    return error_message(exc).replace("\n", " ")[:300]
