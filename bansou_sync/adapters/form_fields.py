"""The reference forms of SPEC §3: which question title holds which field.

The CSV and linked-Sheet sources find answers by exact question title (compared after
NFKC and trimming); these are the defaults, so an export of the reference forms needs
no mapping in the configuration.
"""

from __future__ import annotations

from bansou_sync.core.form_questions import CONSENT_TITLE
from bansou_sync.core.reasons import APPLICATION_QUESTIONS

FORM_TITLES = {"registration": "伴走ネット登録", "application": "伴走支援申請"}


REGISTRATION_TITLES: dict[str, str] = {
    "name": "氏名",
    "kana": "ふりがな",
    "email": "メールアドレス",
    "phone": "電話番号",
    "postal_code": "郵便番号",
    "address": "住所",
    "membership": "移住連との関係",
    "referrer": "紹介者のお名前",
    "prefecture": "活動地域(都道府県)",
    "languages": "対応できる言語",
    "wants_course": "伴走支援講座の受講を希望しますか",
    "consent": CONSENT_TITLE,
}

# one list of the reference application questions: the core words its reasons with it
APPLICATION_TITLES: dict[str, str] = dict(APPLICATION_QUESTIONS)

# 緊急支援費申請 (issue 6 §5; core.emergency): no name or email, the case is named by IDs
EMERGENCY_TITLES: dict[str, str] = {
    "supporter_id": "伴走ネットID",
    "client_code": "相談者コード",
    "amount": "希望金額(円)",
    "purposes": "用途",
    "narrative": "必要な理由・状況",
    "consent": CONSENT_TITLE,
}
FORM_TITLES["emergency"] = "緊急支援費申請"

TITLES_BY_FORM: dict[str, dict[str, str]] = {
    "registration": REGISTRATION_TITLES,
    "application": APPLICATION_TITLES,
    "emergency": EMERGENCY_TITLES,
}

# Multi-choice questions: a CSV cell joins the chosen options with ", " and the core
# splits them. Consent is a single checkbox and stays plain text.
CHECKBOX_FIELDS: dict[str, frozenset[str]] = {
    "registration": frozenset({"languages"}),
    "application": frozenset({"topics", "destinations", "outcomes"}),
    "emergency": frozenset({"purposes"}),
}
