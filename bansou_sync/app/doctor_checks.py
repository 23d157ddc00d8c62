"""One line of ``bansou-sync doctor``, and the check that a form has the questions the
configuration relies on (shared by every source kind)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bansou_sync.adapters.form_fields import FORM_TITLES, TITLES_BY_FORM
from bansou_sync.config import Settings
from bansou_sync.core.form_questions import Question, match_fields


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""  # what to do about a failure: Japanese, then English


def format_checks(checks: Sequence[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{'OK' if check.ok else 'NG'}  {check.name}: {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"    → {check.fix}")
    return "\n".join(lines) + "\n"


def questions_check(settings: Settings, form: str, questions: list[Question], where: str) -> Check:
    mapping = dict(getattr(settings.source.mapping, form))
    titles = TITLES_BY_FORM[form]
    match = match_fields(form, questions, titles, mapping)
    name = f"質問 / questions ({FORM_TITLES[form]})"
    lost = [f for f in mapping if f not in match.found]
    missing = list(dict.fromkeys([*lost, *match.missing_required]))
    if missing:
        shown = ", ".join(f"{f} (「{mapping.get(f, titles.get(f, f))}」)" for f in missing)
        how = "questionId" if settings.source.kind == "forms_api" else "質問文 / exact title"
        return Check(
            name,
            False,
            f"{where} に見つかりません / not found: {shown}",
            f"質問文を参照フォームと同じにするか、source.mapping.{form}.<項目> に {how} を書いて"
            f"ください (bansou-sync inspect-form で一覧) / reword the question as in the "
            f"reference form or set source.mapping.{form}.<field> (see bansou-sync inspect-form)",
        )
    detail = f"{len(match.found)} 項目が見つかりました / fields found"
    optional = [f for f in match.missing_optional if f not in mapping]
    if optional:
        detail += f" (任意・空として扱います / optional, read as blank: {', '.join(optional)})"
    return Check(name, True, detail)
