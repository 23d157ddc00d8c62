"""The course survey (アンケート), published only as counts (SPEC §8).

A survey response is linked to the course by the 伴走ネットID it quotes: only responses
whose ID holds a confirmed seat count, one per ID (the latest). Each choice question is
published as counts per option — plus 未回答 — so the options partition the respondents,
and ``stats.suppress`` hides every count below ``privacy.min_cell`` with complementary
suppression (no hidden cell can be worked out from the published 回答数). Free-text
answers are never published. Names and IDs never leave this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bansou_sync.core.event_model import Signup, SignupStatus
from bansou_sync.core.stats import suppress

SURVEY_TAB = "アンケート"
SURVEY_HEADERS = ("講座ID", "区分", "項目", "件数")
UNANSWERED = "未回答"
OTHER = "その他"

# field → (the reference question title, its options in form order)
SURVEY_QUESTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "satisfaction": ("講座の満足度", ("とても満足", "満足", "ふつう", "不満")),
    "will_accompany": ("今後、伴走支援をしてみたいですか", ("はい", "いいえ", "わからない")),
}


@dataclass(frozen=True)
class SurveyAnswer:
    response_id: str
    submitted_at: datetime
    supporter_id: str  # canonical, or "" when blank or unreadable
    choices: Mapping[str, str]  # field → the chosen option as typed


def survey_rows(
    event_id: str,
    signups: Iterable[Signup],
    attended: frozenset[str],
    answers: Sequence[SurveyAnswer],
    min_cell: int,
) -> list[list[str | int]]:
    """The course's rows of the アンケート tab."""
    seated = {
        s.supporter_id: s for s in signups if s.status is SignupStatus.CONFIRMED and s.supporter_id
    }
    latest: dict[str, SurveyAnswer] = {}
    unlinked = 0
    for answer in sorted(answers, key=lambda a: (a.submitted_at, a.response_id)):
        if answer.supporter_id in seated:
            latest[answer.supporter_id] = answer
        else:
            unlinked += 1
    present = sum(1 for s in seated.values() if s.receipt in attended)
    rows: list[list[str | int]] = [
        [event_id, "概要", "参加確定", len(seated)],
        [event_id, "概要", "出席", present],
        [event_id, "概要", "回答数", len(latest)],
        [event_id, "概要", "紐付けできない回答", unlinked],
    ]
    for field_name, (title, options) in SURVEY_QUESTIONS.items():
        counts = dict.fromkeys((*options, OTHER, UNANSWERED), 0)
        for answer in latest.values():
            counts[_bucket(answer.choices.get(field_name, ""), options)] += 1
        shown = suppress(counts, min_cell, complementary=True)
        # every option, zeros too: when suppress withholds them all, a missing row would tell
        rows += [[event_id, title, option, shown[option]] for option in counts]
    return rows


def _bucket(raw: str, options: Sequence[str]) -> str:
    text = raw.strip()
    if not text:
        return UNANSWERED
    return text if text in options else OTHER
