"""The programme's numbers, as plain data for the core (built from the config by the shell).

Every default lives here, once: ``DEFAULT`` is the programme as the announcement states
it, the configuration's sections only override it (config_sections' defaults refer to
``DEFAULT``), and the core's functions take the numbers from a ``Policy``, never from a
literal of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from bansou_sync.core.categories import DEFAULT_NATIONALITIES, NationalityMap
from bansou_sync.core.ids import APPLICATION, CLIENT, SUPPORTER, IdPattern
from bansou_sync.core.narrative import DEFAULT_KEYWORDS, KeywordMap

CapCounts = Literal["occasions", "applications"]  # rules.client_cap_counts (P5)
CutoffBasis = Literal["acceptance", "submission"]  # payments.cutoff_basis (P11)


@dataclass(frozen=True)
class Policy:
    period_start: date = date(2022, 5, 25)
    period_end: date = date(2023, 2, 28)
    intake_closes_on: date | None = None
    budget_total_yen: int = 20_000_000
    warn_ratio: float = 0.8
    close_form: bool = False
    emergency_in_budget: bool = True  # budget.emergency_in_total: grants count in P8
    auto_accept: bool = False
    client_cap_counts: CapCounts = "occasions"
    min_minutes: int = 60
    max_supporters_per_occasion: int = 2
    max_occasions_per_client: int = 5
    reply_days: int = 7
    reminder_days_before: int = 2
    reminder_hour: int = 9
    short_yen: int = 6000
    long_yen: int = 10000
    long_from_minutes: int = 180
    cutoff_basis: CutoffBasis = "acceptance"
    last_pay_date: date | None = None
    cutoff_day: int = 20
    pay_day: int = 10
    late_acceptance_business_days: int = 3
    notify_after: datetime | None = None
    digest_hour: int = 8
    staff_to: tuple[str, ...] = ()
    resubmit_url: str = ""  # forms.application.url
    resubmit_entries: dict[str, int] = field(default_factory=dict)
    supporter_ids: IdPattern = SUPPORTER
    application_ids: IdPattern = APPLICATION
    client_ids: IdPattern = CLIENT
    min_cell: int = 5
    topic_keywords: KeywordMap = DEFAULT_KEYWORDS  # 支援の内容 → categories (core/narrative)
    nationalities: NationalityMap = DEFAULT_NATIONALITIES  # 国籍 → labels (core/categories)
    after_failures: int = 3


DEFAULT = Policy()
