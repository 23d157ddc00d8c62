"""One line of ``bansou-sync doctor``, and the check that a form has the questions the
configuration relies on (shared by every source kind)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bansou_sync.adapters.form_fields import FORM_TITLES, TITLES_BY_FORM
from bansou_sync.config import Settings
from bansou_sync.core.form_questions import (
    Question,
    check_columns,
    column_problem,
    match_fields,
)


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
    """Every question the configuration maps, and every one the rules need, is in the form,
    and no title a field is read by is held twice: the check the source makes before a
    cycle judges anything (issue 10 §3), made beforehand."""
    mapping = dict(getattr(settings.source.mapping, form))
    titles = TITLES_BY_FORM[form]
    match = match_fields(form, questions, titles, mapping)
    check = check_columns(form, questions, TITLES_BY_FORM, mapping)
    name = f"質問 / questions ({FORM_TITLES[form]})"
    lost = [f for f in mapping if f not in match.found]
    missing = tuple(dict.fromkeys([*lost, *check.missing]))
    if missing or check.duplicated:
        how = "questionId" if settings.source.kind == "forms_api" else "質問文 / exact title"
        problem = replace(check, missing=missing)
        return Check(
            name,
            False,
            column_problem(problem, {**titles, **mapping}, where, FORM_TITLES, refused=False),
            f"質問文を参照フォームと同じにするか、source.mapping.{form}.<項目> に {how} を書いて"
            f"ください (bansou-sync inspect-form で一覧) / reword the question as in the "
            f"reference form or set source.mapping.{form}.<field> (see bansou-sync inspect-form)",
        )
    detail = f"{len(match.found)} 項目が見つかりました / fields found"
    optional = [f for f in match.missing_optional if f not in mapping]
    if optional:
        detail += f" (任意・空として扱います / optional, read as blank: {', '.join(optional)})"
    return Check(name, True, detail)
