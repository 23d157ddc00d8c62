"""The configuration turned into the core's ``Policy`` (every rule's numbers and lists).

Apart from ``bootstrap`` so that the commands that only read (``status``, ``report``,
``payment-files``) get the policy without importing every adapter."""

from __future__ import annotations

from bansou_sync.config import Settings
from bansou_sync.core.categories import DEFAULT_NATIONALITIES, nationality_map
from bansou_sync.core.ids import IdPattern
from bansou_sync.core.narrative import DEFAULT_KEYWORDS, keyword_map
from bansou_sync.core.policy import Policy


def policy_from(settings: Settings) -> Policy:
    s = settings
    return Policy(
        period_start=s.period.start,
        period_end=s.period.end,
        intake_closes_on=s.intake.closes_on,
        budget_total_yen=s.budget.total_yen,
        warn_ratio=s.budget.warn_ratio,
        close_form=s.budget.close_form,
        emergency_in_budget=s.budget.emergency_in_total,
        auto_accept=s.rules.auto_accept,
        client_cap_counts=s.rules.client_cap_counts,
        min_minutes=s.rules.min_minutes,
        max_supporters_per_occasion=s.rules.max_supporters_per_occasion,
        max_occasions_per_client=s.rules.max_occasions_per_client,
        reply_days=s.rules.reply_days,
        reminder_days_before=s.rules.reminder_days_before,
        reminder_hour=s.rules.reminder_hour,
        short_yen=s.honoraria.short_yen,
        long_yen=s.honoraria.long_yen,
        long_from_minutes=s.honoraria.long_from_minutes,
        cutoff_basis=s.payments.cutoff_basis,
        last_pay_date=s.payments.last_pay_date,
        cutoff_day=s.payments.cutoff_day,
        pay_day=s.payments.pay_day,
        late_acceptance_business_days=s.payments.late_acceptance_business_days,
        notify_after=s.mail.notify_after,
        digest_hour=s.digest.hour,
        staff_to=tuple(s.mail.staff_to),
        resubmit_url=s.forms.application.url or "",
        resubmit_entries=dict(s.forms.application.entries),
        supporter_ids=IdPattern(s.ids.supporter.prefix, s.ids.supporter.digits),
        application_ids=IdPattern(s.ids.application.prefix, s.ids.application.digits),
        client_ids=IdPattern(s.ids.client.prefix, s.ids.client.digits),
        min_cell=s.privacy.min_cell,
        topic_keywords=(
            DEFAULT_KEYWORDS
            if s.privacy.topic_keywords is None
            else keyword_map(s.privacy.topic_keywords)
        ),
        nationalities=(
            DEFAULT_NATIONALITIES
            if s.privacy.nationalities is None
            else nationality_map(s.privacy.nationalities)
        ),
        after_failures=s.alerts.after_failures,
    )
