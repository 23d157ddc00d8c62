"""``bansou-sync inspect-form FORM_ID``: a form's questions and a suggested mapping.

One ``forms.get``. The questions are listed with their ``questionId`` and type, matched
to bansou-sync's fields by the reference titles (``core.form_questions``), and a
``source:`` block for ``config.yaml`` is suggested with unknown questions commented.
"""

from __future__ import annotations

from bansou_sync.adapters import retry
from bansou_sync.adapters.form_fields import TITLES_BY_FORM
from bansou_sync.adapters.google_auth import FORMS_READ, GoogleAccess
from bansou_sync.adapters.google_discovery import error_message, http_status, service
from bansou_sync.core.form_questions import (
    Question,
    guess_form,
    mapping_yaml,
    match_fields,
    questions_of,
)
from bansou_sync.errors import SourceUnavailable


def inspect_form(access: GoogleAccess, form_id: str) -> tuple[list[Question], str]:
    """The form's questions, and the text to print: a table, then the YAML block."""
    forms = service(access, "forms", "v1", FORMS_READ).forms()
    try:
        form = retry.call(lambda: forms.get(formId=form_id).execute())
    except Exception as exc:
        status = http_status(exc)
        if status in (403, 404):
            raise SourceUnavailable(
                f"フォーム {form_id} を読めません。ID (編集画面の URL の /d/ と /edit の間) と、"
                f"フォームがサービスアカウントと共有されていることを確認してください / "
                f"cannot read form {form_id}: check the ID and that the form is shared with "
                f"the service account ({error_message(exc)})"
            ) from exc
        if status is not None or retry.is_transient(exc):
            raise SourceUnavailable(f"Google Forms: {error_message(exc)}") from exc
        raise
    questions = questions_of(form)
    kind = guess_form(form, TITLES_BY_FORM)
    title = (form.get("info") or {}).get("title", "")
    lines = [f"フォーム / form: {title} ({form_id})"]
    if kind is None:
        lines.append("参照フォームの質問が見つかりません / no reference question found")
        lines += [_row(q, "") for q in questions]
        return questions, "\n".join(lines) + "\n"
    titles = TITLES_BY_FORM[kind]
    match = match_fields(kind, questions, titles)
    field_of = {q.question_id: f for f, q in match.found.items()}
    lines.append(f"種類 / kind: {kind}")
    lines.append(f"{'questionId':<12} {'type':<10} {'field':<20} 質問 / question")
    lines += [_row(q, field_of.get(q.question_id, "")) for q in questions]
    if match.missing_required:
        lines.append(
            "必須の項目が見つかりません / required fields not found: "
            + ", ".join(match.missing_required)
        )
    lines += ["", "# config.yaml に貼り付けてください / paste into config.yaml:"]
    return questions, "\n".join(lines) + "\n" + mapping_yaml(kind, form_id, match, titles)


def _row(question: Question, field_name: str) -> str:
    mark = "*" if question.required else " "
    return (
        f"{question.question_id:<12} {question.kind:<10} {field_name or '-':<20} "
        f"{question.title}{mark}"
    )
