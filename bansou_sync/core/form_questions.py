"""A form's questions (from a ``forms.get`` reply) and which field each one holds.

Pure: the reference titles and the configured mapping are arguments. Titles compare
after NFKC and trimming, exactly otherwise (SPEC §3: "by exact question title"); a
mapping value matches a question by its ``questionId`` or, failing that, its title.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CONSENT_TITLE = "個人情報の取扱いに同意します"  # every form's consent question (SPEC §3)

# SPEC §3: required answers. An application also needs 相談者コード or the whole triple.
REQUIRED = {
    "registration": ("name", "email", "phone", "membership", "consent"),
    "application": (
        "supporter_id",
        "name",
        "email",
        "support_date",
        "start_time",
        "end_time",
        "topics",
        "consent",
    ),
}
CLIENT_TRIPLE = ("client_initials", "client_birth_year", "client_nationality")
# Fields the rules read though an answer may be blank: P6 reads 紹介者 for 会員の紹介, so
# without that question every referred volunteer would be judged not referred.
RULE_FIELDS = {"registration": ("referrer",)}

_KINDS = {
    "textQuestion": "text",
    "dateQuestion": "date",
    "timeQuestion": "time",
    "scaleQuestion": "scale",
    "fileUploadQuestion": "file",
    "ratingQuestion": "rating",
}


@dataclass(frozen=True)
class Question:
    question_id: str
    title: str
    kind: str  # text, paragraph, date, time, radio, checkbox, drop_down, scale, grid, …
    required: bool = False


def clean(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def questions_of(form: Mapping[str, Any]) -> list[Question]:
    """Every question of the form in order; a grid gives one question per row."""
    found: list[Question] = []
    for item in form.get("items") or []:
        title = str(item.get("title", ""))
        if "questionItem" in item:
            question = item["questionItem"].get("question") or {}
            found.append(_question(question, title))
        elif "questionGroupItem" in item:
            for question in item["questionGroupItem"].get("questions") or []:
                row = (question.get("rowQuestion") or {}).get("title", "")
                found.append(_question(question, f"{title} [{row}]", kind="grid"))
    return found


def _question(question: Mapping[str, Any], title: str, kind: str = "") -> Question:
    if not kind:
        if "choiceQuestion" in question:
            kind = str(question["choiceQuestion"].get("type", "choice")).lower()
        elif (question.get("textQuestion") or {}).get("paragraph"):
            kind = "paragraph"
        else:
            kind = next((k for key, k in _KINDS.items() if key in question), "other")
    return Question(
        str(question.get("questionId", "")), title, kind, bool(question.get("required"))
    )


def find(questions: Sequence[Question], wanted: str) -> Question | None:
    """The question whose ID is ``wanted``, else the first whose title is ``wanted``."""
    by_id = next((q for q in questions if q.question_id == wanted.strip()), None)
    return by_id or next((q for q in questions if clean(q.title) == clean(wanted)), None)


@dataclass(frozen=True)
class FieldMatch:
    found: dict[str, Question]  # field → question
    missing_required: tuple[str, ...]  # fields the daemon needs and the form lacks
    missing_optional: tuple[str, ...]  # answered as blank
    unmatched: tuple[Question, ...]  # questions no field reads


def match_fields(
    form: str,
    questions: Sequence[Question],
    titles: Mapping[str, str],
    mapping: Mapping[str, str] | None = None,
) -> FieldMatch:
    """Fields of ``form`` ("registration"/"application") found among ``questions``:
    by the configured mapping when a field has one, else by its reference title."""
    wanted = {**titles, **(mapping or {})}
    found = {f: q for f, target in wanted.items() if (q := find(questions, target)) is not None}
    required = [*REQUIRED.get(form, ()), *RULE_FIELDS.get(form, ())]
    if form == "application" and "client_code" not in found:
        required += CLIENT_TRIPLE  # without a code question, the triple identifies clients
    missing = [f for f in wanted if f not in found]
    used = {q.question_id for q in found.values()}
    return FieldMatch(
        found=found,
        missing_required=tuple(f for f in missing if f in required),
        missing_optional=tuple(f for f in missing if f not in required),
        unmatched=tuple(q for q in questions if q.question_id not in used),
    )


@dataclass(frozen=True)
class ColumnCheck:
    """Whether a form's questions (a header row, or ``forms.get``) can be judged at all."""

    missing: tuple[str, ...]  # fields the rules need that no question holds
    duplicated: tuple[str, ...]  # titles a field is read by, held by several questions
    looks_like: str | None = None  # the other form these questions belong to, if they do

    @property
    def ok(self) -> bool:
        return not self.missing and not self.duplicated


def check_columns(
    form: str,
    questions: Sequence[Question],
    titles_by_form: Mapping[str, Mapping[str, str]],
    mapping: Mapping[str, str] | None = None,
) -> ColumnCheck:
    """Issue 10 §3: before anything is judged, every question the rules need is there,
    and no question a field is read by (by its title) shares that title with another —
    otherwise every response would be judged on a blank or on the wrong column."""
    titles = titles_by_form.get(form, {})
    match = match_fields(form, questions, titles, mapping)
    counts = Counter(clean(q.title) for q in questions)
    wanted = {**titles, **(mapping or {})}
    duplicated = tuple(
        dict.fromkeys(
            clean(q.title)
            for f, q in match.found.items()
            if counts[clean(q.title)] > 1 and clean(wanted[f]) == clean(q.title)
        )
    )
    looks_like = None
    if match.missing_required:
        for other, other_titles in titles_by_form.items():
            if other != form and other in REQUIRED:
                theirs = match_fields(other, questions, other_titles)
                if not theirs.missing_required:
                    looks_like = other
                    break
    return ColumnCheck(match.missing_required, duplicated, looks_like)


def column_problem(
    check: ColumnCheck,
    titles: Mapping[str, str],
    where: str,
    form_titles: Mapping[str, str],
    *,
    refused: bool = True,
) -> str:
    """One line for staff naming what is missing or duplicated (Japanese, then English);
    ``refused``: said by the cycle that refused to judge, else by a check beforehand."""
    ja: list[str] = []
    en: list[str] = []
    if check.missing:
        shown = ", ".join(f"「{titles.get(f, f)}」({f})" for f in check.missing)
        ja.append(f"必要な質問の列がありません: {shown}")
        en.append(f"missing questions: {', '.join(check.missing)}")
    if check.duplicated:
        shown = ", ".join(f"「{t}」" for t in check.duplicated)
        ja.append(f"同じ見出しの列が複数あります: {shown}")
        en.append(f"duplicated headers: {', '.join(check.duplicated)}")
    if check.looks_like is not None:
        other = form_titles.get(check.looks_like, check.looks_like)
        ja.append(f"これは「{other}」の回答のようです")
        en.append(f"this looks like the {check.looks_like} responses")
    if refused:
        return (
            f"{where}: {'。'.join(ja)}。今回は何も判定・送信していません。列を直すか設定を確認"
            f"してください / {'; '.join(en)}: nothing was judged or sent this cycle"
        )
    return (
        f"{where}: {'。'.join(ja)}。このままでは同期は判定せずに止まります / {'; '.join(en)}: "
        f"cycles will refuse to judge until this is fixed"
    )


def guess_form(
    form: Mapping[str, Any], titles_by_form: Mapping[str, Mapping[str, str]]
) -> str | None:
    """Which of the forms this is: the one with the most reference titles in the form."""
    questions = questions_of(form)
    scores = {
        name: sum(1 for t in titles.values() if find(questions, t) is not None)
        for name, titles in titles_by_form.items()
    }
    best = max(scores, key=lambda name: scores[name], default=None)
    return best if best is not None and scores[best] > 0 else None


def mapping_yaml(form: str, form_id: str, match: FieldMatch, titles: Mapping[str, str]) -> str:
    """The ``source:`` block for the config, questions unknown to bansou-sync commented."""
    lines = [
        "source:",
        "  kind: forms_api",
        f"  {form}_form_id: {form_id}",
        "  mapping:",
        f"    {form}:",
    ]
    for field_name in titles:
        question = match.found.get(field_name)
        if question is not None:
            lines.append(f"      {field_name}: {_quoted(question.question_id)}  # {question.title}")
        else:
            why = "必須 / required" if field_name in match.missing_required else "任意 / optional"
            lines.append(
                f"      # {field_name}: <questionId>  # 「{titles[field_name]}」が見つかりません"
                f" / not found ({why})"
            )
    for question in match.unmatched:
        lines.append(
            f"      # ?: {_quoted(question.question_id)}  # {question.title} (使われません / unused)"
        )
    return "\n".join(lines) + "\n"


def _quoted(question_id: str) -> str:
    """IDs like ``12345678`` or ``1e10`` would be read as numbers by YAML."""
    return f'"{question_id}"'
