from __future__ import annotations

import email
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from bansou_sync.app.render import (
    CONTEXT_KEYS,
    KINDS,
    OPTIONAL_KEYS,
    STAFF_KINDS,
    Letterhead,
    Renderer,
    default_templates_dir,
    jdate,
    message_id,
)
from bansou_sync.errors import ConfigError, PermanentMailError

NOW = datetime(2022, 7, 1, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
REASONS = [
    {"code": "missing:end_time", "text": "終了時刻が記入されていません"},
    {"code": "future_date", "text": "支援実施日が申請日より後の日付になっています"},
]

# kind -> (context, ref, strings the body must contain)
SAMPLES: dict[str, tuple[dict[str, Any], str, list[str]]] = {
    "registration_confirmed": (
        {"name": "山田 花子", "supporter_id": "BN-0007", "registered_at": "2022-06-30 21:05"},
        "BN-0007",
        ["山田 花子 様", "BN-0007", "覚書", "2部", "謝金受取口座届出書", "郵送"],
    ),
    "registration_duplicate": (
        {"name": "山田 花子", "existing_id": "BN-0007"},
        "BN-0007",
        ["山田 花子 様", "BN-0007", "1回"],
    ),
    "application_received": (
        {
            "name": "山田 花子",
            "app_no": "A-000012",
            "supporter_id": "BN-0007",
            "client_code": "C-0003",
            "client_code_issued": True,
            "support_date": "2022-06-28",
            "minutes": 150,
        },
        "A-000012",
        ["A-000012", "BN-0007", "C-0003", "2022年6月28日(火)", "150分", "相談者コード」欄", "審査"],
    ),
    "application_deficient": (
        {
            "name": "山田 花子",
            "app_no": "A-000013",
            "client_code": "C-0003",
            "support_date": "2022-06-28",
            "reasons": REASONS,
            "reply_deadline": "2022-07-08",
            "resubmit_url": "https://docs.google.com/forms/d/e/XYZ/viewform?usp=pp_url&entry.1=A-000013",
            "returned": False,
        },
        "A-000013",
        ["A-000013", "終了時刻が記入されていません", "2022年7月8日(金) まで", "entry.1=A-000013"],
    ),
    "deficiency_reminder": (
        {
            "name": "山田 花子",
            "app_no": "A-000013",
            "reasons": REASONS,
            "reply_deadline": "2022-07-08",
            "resubmit_url": "",
        },
        "A-000013",
        ["A-000013", "2022年7月8日(金)", "再提出の場合、元の申請番号", "支援実施日が申請日より後"],
    ),
    "deficiency_expired": (
        {"name": "山田 花子", "app_no": "A-000013", "reply_deadline": "2022-07-08"},
        "A-000013",
        ["A-000013", "2022年7月8日(金)", "期限切れ"],
    ),
    "application_ineligible": (
        {
            "name": "山田 花子",
            "app_no": "A-000014",
            "reasons": [
                {
                    "code": "too_many_supporters",
                    "text": "この支援には、すでに伴走者2名の申請があります",
                }
            ],
            "cap_hint": True,
        },
        "A-000014",
        ["A-000014", "すでに伴走者2名", "別の方", "ご返信"],
    ),
    "application_accepted": (
        {
            "name": "山田 花子",
            "app_no": "A-000012",
            "amount": 6000,
            "amount_text": "6,000円",
            "cutoff": "2022-07-20",
            "pay_date": "2022-08-10",
        },
        "A-000012",
        ["A-000012", "6,000円", "2022年7月20日(水)", "2022年8月10日(水)"],
    ),
    "application_rejected": (
        {"name": "山田 花子", "app_no": "A-000015"},
        "A-000015",
        ["山田 花子 様", "A-000015", "承認に至りませんでした"],
    ),
    "payment_held": (
        {
            "name": "山田 花子",
            "supporter_id": "BN-0007",
            "cutoff": "2022-07-20",
            "missing": ["覚書", "謝金受取口座届出書"],
        },
        "2022-07-20|BN-0007",
        ["BN-0007", "2022年7月20日(水)", "・覚書", "・謝金受取口座届出書", "保留"],
    ),
    "payment_released": (
        {
            "name": "山田 花子",
            "supporter_id": "BN-0007",
            "cutoff": "2022-08-20",
            "pay_date": "2022-09-09",
            "count": 2,
            "amount_text": "16,000円",
        },
        "2022-08-20|BN-0007",
        ["BN-0007", "2022年8月20日(土)", "2022年9月9日(金)", "2件", "16,000円"],
    ),
    "staff_digest": (
        {
            "date": "2022-07-01",
            "pending": [
                {
                    "app_no": "A-000012",
                    "supporter_id": "BN-0007",
                    "submitted_at": "2022-06-30 21:10",
                }
            ],
            "near_deadline": [{"app_no": "A-000013", "reply_deadline": "2022-07-03"}],
            "held": [],
            "needs_review": [{"supporter_id": "BN-0009"}],
            "duplicates": [{"response_id": "2022/06/30 10:00:00#1", "existing_id": "BN-0007"}],
            "problems": ["申請 A-000010: 受付完了の申請が編集されました"],
            "budget": {"total_yen": 20_000_000, "committed_yen": 1_234_000, "ratio_percent": 6.2},
            "overrides": [],
        },
        "2022-07-01",
        ["A-000012", "A-000013", "BN-0009", "BN-0007", "20,000,000円", "1,234,000円", "6.2%"],
    ),
    "budget_warning": (
        {
            "total_yen": 20_000_000,
            "committed_yen": 16_000_000,
            "ratio_percent": 80,
            "remaining_yen": 4_000_000,
        },
        "budget-80",
        ["80%", "20,000,000円", "16,000,000円", "4,000,000円"],
    ),
    "form_close_request": (
        {
            "form_title": "伴走支援申請",
            "remaining_yen": 4_000,
            "reason": "予算の残額が謝金の最低額未満",
        },
        "application",
        ["伴走支援申請", "4,000円", "回答を受け付ける"],
    ),
    "sync_failure": (
        {
            "failures": 3,
            "last_error": "SourceUnavailable: app.csv がありません",
            "since": "2022-07-01 06:00",
        },
        "sync",
        ["3 回", "app.csv がありません", "2022年7月1日(金) 06:00"],
    ),
    "surge_held": (
        {"count": 1203, "limit": 1000, "held": 1180, "since": "2022-07-01 06:00"},
        "2022-07-01T06:00",
        ["1203 件", "1180 通", "一斉送信を許可", "release-surge", "2022-07-01 06:00"],
    ),
    "emergency_request": (
        {
            "request_no": "E-0001",
            "supporter_id": "BN-0007",
            "client_code": "C-0003",
            "cases": ["A-000012"],
            "requested_yen": 30_000,
            "status_label": "審査待ち",
            "reasons": [],
        },
        "E-0001",
        ["E-0001", "BN-0007", "C-0003", "A-000012", "30,000円", "決定", "金額"],
    ),
}


# courses and events (issue 6 §1): one context shape for every event kind
EVENT_CONTEXT: dict[str, Any] = {
    "name": "山田 花子",
    "receipt": "course-2022-08/003",
    "event_title": "第1回 伴走支援講座",
    "event_kind": "伴走支援講座",
    "starts_at": "2022-08-20 13:30",
    "place": "オンライン",
    "supporter_id": "BN-0007",
    "position": 2,
    "reasons": ["この伴走ネットIDは登録されていません"],
    "requires_id": True,
}
EVENT_EXPECTED = {
    "event_confirmed": ["お席をご用意しました", "キャンセルする"],
    "event_waitlisted": ["キャンセル待ち", "2番目"],
    "event_moved_up": ["お席が空きました"],
    "event_reminder": ["明日の開催"],
    "event_cancelled": ["キャンセルを承りました"],
    "event_refused": ["この伴走ネットIDは登録されていません", "伴走ネットID(例: BN-0001)"],
    "event_closed": ["受付は開始時刻まで", "キャンセル待ちにもなっておりません"],
}
EVENT_SAMPLES = {
    kind: (
        EVENT_CONTEXT,
        "course-2022-08/003",
        ["第1回 伴走支援講座", "2022年8月20日(土) 13:30", *words],
    )
    for kind, words in EVENT_EXPECTED.items()
}
SAMPLES.update(EVENT_SAMPLES)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(default_templates_dir(), sender="jimukyoku@example.org")


def build(renderer: Renderer, kind: str, **changes: Any) -> EmailMessage:
    context, ref, _ = SAMPLES[kind]
    return renderer.build_message(
        kind=kind,
        ref=ref,
        to=["hanako@example.com"],
        event_key=f"{kind}|resp-1",
        context={**context, **changes},
        sent_on="2022-07-01",
        now=NOW,
    )


def round_trip(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_every_kind_has_a_sample_and_exactly_the_declared_keys() -> None:
    assert set(SAMPLES) == set(KINDS) == set(CONTEXT_KEYS)
    # SPEC §6's 15, emergency_request, surge_held (issue 10 §5), events
    assert len(KINDS) == 17 + len(EVENT_SAMPLES)
    assert set(STAFF_KINDS) <= set(KINDS)
    for kind, (context, _, _) in SAMPLES.items():
        assert CONTEXT_KEYS[kind] <= set(context), kind
        assert set(context) <= CONTEXT_KEYS[kind] | set(OPTIONAL_KEYS.get(kind, {})), kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_a_message_that_round_trips_with_its_key_values(
    renderer: Renderer, kind: str
) -> None:
    _, ref, expected = SAMPLES[kind]
    parsed = round_trip(build(renderer, kind))

    subject = str(parsed["Subject"])
    assert subject and "\n" not in subject
    assert parsed["From"].addresses[0].addr_spec == "jimukyoku@example.org"
    assert parsed["From"].addresses[0].display_name == "移住連 事務局"
    assert str(parsed["To"]) == "hanako@example.com"
    assert parsed["Date"].datetime == NOW
    assert str(parsed["Message-ID"]) == message_id(kind, f"{kind}|resp-1", "example.org")
    assert parsed["X-Bansou-Kind"] == kind
    assert parsed["X-Bansou-Ref"] == ref
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed["Content-Transfer-Encoding"] == "8bit"

    body = parsed.get_content()
    for value in expected:
        assert value in body, (kind, value)
    assert "移住連 事務局" in body
    assert "\n\n\n" not in body
    if kind not in STAFF_KINDS:
        assert body.startswith("山田 花子 様")
        assert "jimukyoku@example.org" in body


def test_subjects_name_the_record(renderer: Renderer) -> None:
    assert (
        "BN-0007"
        in renderer.render("registration_confirmed", SAMPLES["registration_confirmed"][0])[0]
    )
    for kind in ("application_received", "application_deficient", "application_accepted"):
        context, ref, _ = SAMPLES[kind]
        assert ref in renderer.render(kind, context)[0]


def test_staff_mail_names_nobody(renderer: Renderer) -> None:
    body = round_trip(build(renderer, "staff_digest")).get_content()
    assert "山田" not in body and "hanako" not in body
    assert "事務局 各位" in body


def test_staff_digest_omits_sections_with_nothing_in_them(renderer: Renderer) -> None:
    _, body = renderer.render("staff_digest", SAMPLES["staff_digest"][0])
    assert "謝金の保留" not in body
    assert "上書き" not in body
    assert "審査待ち 1件" in body


def test_deficiency_without_form_url_says_how_to_resubmit(renderer: Renderer) -> None:
    context = {**SAMPLES["application_deficient"][0], "resubmit_url": ""}
    _, body = renderer.render("application_deficient", context)
    assert "「再提出の場合、元の申請番号」欄に A-000013 とご記入ください" in body
    assert "https://" not in body


def test_a_staff_return_reads_as_the_secretariats_request(renderer: Renderer) -> None:
    returned = [{"code": "returned", "text": "差戻し: 実施時間を確認してください"}]
    context = {**SAMPLES["application_deficient"][0], "returned": True, "reasons": returned}
    _, body = renderer.render("application_deficient", context)
    assert "事務局で申請内容を確認しました" in body
    assert "実施時間を確認してください" in body


def test_received_mentions_a_new_client_code_only_when_one_was_issued(renderer: Renderer) -> None:
    context = {**SAMPLES["application_received"][0], "client_code_issued": False, "minutes": None}
    _, body = renderer.render("application_received", context)
    assert "発行しました" not in body
    assert "実施時間" not in body


def test_ineligible_without_cap_hint_does_not_offer_the_client_check(renderer: Renderer) -> None:
    context = {**SAMPLES["application_ineligible"][0], "cap_hint": False}
    _, body = renderer.render("application_ineligible", context)
    assert "別の方だった場合" not in body


def test_a_missing_context_key_raises(renderer: Renderer) -> None:
    context = dict(SAMPLES["application_accepted"][0])
    del context["pay_date"]
    with pytest.raises(UndefinedError, match="pay_date"):
        renderer.render("application_accepted", context)


def test_strict_undefined_raises_inside_a_template(renderer: Renderer) -> None:
    context = {**SAMPLES["application_ineligible"][0], "reasons": [{"code": "x"}]}
    with pytest.raises(UndefinedError):
        renderer.render("application_ineligible", context)


def test_an_unknown_kind_is_refused(renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="unknown email kind"):
        renderer.render("application_lost", {})


def test_a_name_with_a_line_break_cannot_add_a_header(renderer: Renderer) -> None:
    evil = "山田 花子\r\nBcc: evil@example.com\r\n\r\nX-Injected: 1"
    message = build(renderer, "application_deficient", name=evil)
    raw = message.as_bytes(policy=policy.SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"Bcc" not in head and b"X-Injected" not in head
    parsed = round_trip(message)
    assert parsed["Bcc"] is None
    assert parsed["X-Injected"] is None
    assert str(parsed["To"]) == "hanako@example.com"
    # the body shows the text on one line, so it cannot fake a paragraph either
    assert parsed.get_content().splitlines()[0].startswith("山田 花子 Bcc: evil@example.com")


@pytest.mark.parametrize(
    "address",
    [
        "hanako@example.com\r\nBcc: evil@example.com",
        "hanako@example.com, evil@example.com",
        "Hanako <hanako@example.com>",
        "hanako@localhost",
        "hanako＠example.com",
        "",
    ],
)
def test_a_recipient_that_is_not_a_plain_address_is_refused(
    renderer: Renderer, address: str
) -> None:
    context, ref, _ = SAMPLES["application_rejected"]
    with pytest.raises(PermanentMailError):
        renderer.build_message(
            kind="application_rejected",
            ref=ref,
            to=[address],
            event_key="e",
            context=context,
            sent_on="2022-07-01",
            now=NOW,
        )


def test_no_recipient_is_refused(renderer: Renderer) -> None:
    context, ref, _ = SAMPLES["application_rejected"]
    with pytest.raises(PermanentMailError):
        renderer.build_message(
            kind="application_rejected",
            ref=ref,
            to=(),
            event_key="e",
            context=context,
            sent_on="2022-07-01",
        )


def test_a_ref_with_a_line_break_is_refused(renderer: Renderer) -> None:
    context, _, _ = SAMPLES["application_rejected"]
    with pytest.raises(PermanentMailError):
        renderer.build_message(
            kind="application_rejected",
            ref="A-000015\r\nBcc: evil@example.com",
            to=["hanako@example.com"],
            event_key="e",
            context=context,
            sent_on="2022-07-01",
        )


def test_several_staff_recipients_share_one_message_without_repeats(renderer: Renderer) -> None:
    context, ref, _ = SAMPLES["sync_failure"]
    message = renderer.build_message(
        kind="sync_failure",
        ref=ref,
        to=["jimukyoku@example.org", "kaikei@example.org", "Jimukyoku@example.org"],
        event_key="sync|1",
        context=context,
        sent_on="2022-07-01",
    )
    assert [a.addr_spec for a in message["To"].addresses] == [
        "jimukyoku@example.org",
        "kaikei@example.org",
    ]


def test_message_id_is_stable_and_depends_on_kind_and_event() -> None:
    first = message_id("application_received", "resp-1", "example.org")
    assert first == message_id("application_received", "resp-1", "example.org")
    assert first.startswith("<") and first.endswith("@example.org>")
    assert len(first.split("@")[0]) == 33
    assert first != message_id("application_received", "resp-2", "example.org")
    assert first != message_id("application_deficient", "resp-1", "example.org")


def test_a_body_line_too_long_for_smtp_is_sent_as_base64(renderer: Renderer) -> None:
    url = "https://docs.google.com/forms/d/e/XYZ/viewform?usp=pp_url&" + "entry.1=x&" * 120
    message = build(renderer, "application_deficient", resubmit_url=url)
    assert message["Content-Transfer-Encoding"] == "base64"
    assert url.strip() in round_trip(message).get_content()


def test_a_sender_that_is_not_an_address_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"mail\.from"):
        Renderer(default_templates_dir(), sender="jimukyoku")


def test_a_templates_folder_without_the_templates_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"registration_confirmed\.subject\.j2"):
        Renderer(tmp_path, sender="jimukyoku@example.org")


# --- issue 13 §2: what volunteers read ---------------------------------------------------

LETTERHEAD = Letterhead(
    phone="03-0000-0000",
    address="東京都台東区架空町1-2-3",
    support="設定担当 架空 太郎 090-0000-0009",
    application_url="https://docs.google.com/forms/d/e/APPLY/viewform",
    registration_url="https://docs.google.com/forms/d/e/REGISTER/viewform",
)


def with_letterhead(letterhead: Letterhead) -> Renderer:
    return Renderer(default_templates_dir(), sender="jimukyoku@example.org", letterhead=letterhead)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("2022-06-17", "2022年6月17日(金)"),
        ("2022-10-10", "2022年10月10日(月)"),
        ("2022-06-30 21:05", "2022年6月30日(木) 21:05"),
        ("", ""),
        ("先日のメールでお知らせした期限", "先日のメールでお知らせした期限"),
        ("2022-02-30", "2022-02-30"),
    ],
)
def test_dates_are_written_as_people_write_them(value: str, written: str) -> None:
    assert jdate(value) == written


def test_a_config_without_contact_keys_adds_no_contact_lines(renderer: Renderer) -> None:
    _, body = renderer.render("application_received", SAMPLES["application_received"][0])
    assert "電話" not in body and "住所" not in body and "フォーム:" not in body
    assert "jimukyoku@example.org" in body


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in STAFF_KINDS])
def test_every_volunteer_email_ends_with_the_secretariats_phone_and_address(kind: str) -> None:
    _, body = with_letterhead(LETTERHEAD).render(kind, SAMPLES[kind][0])
    signature = body.split("─" * 28)[-2]
    assert "03-0000-0000" in signature and "東京都台東区架空町1-2-3" in signature
    assert "架空 太郎" not in body  # the technical contact is for staff alerts only


def test_the_example_configs_form_url_is_never_shown_as_a_link() -> None:
    example = Letterhead(application_url="https://docs.google.com/forms/d/e/EXAMPLE/viewform")
    _, body = with_letterhead(example).render(
        "registration_confirmed", SAMPLES["registration_confirmed"][0]
    )
    assert "EXAMPLE" not in body
    _, body = with_letterhead(LETTERHEAD).render(
        "registration_confirmed", SAMPLES["registration_confirmed"][0]
    )
    assert "伴走支援申請フォーム: https://docs.google.com/forms/d/e/APPLY/viewform" in body


def test_staff_alerts_say_what_it_means_for_volunteers_what_to_do_and_whom_to_call() -> None:
    _, body = with_letterhead(LETTERHEAD).render("sync_failure", SAMPLES["sync_failure"][0])
    for heading in ("■ 何が起きたか", "■ 伴走者の方への影響", "■ 事務局でしていただくこと"):
        assert heading in body
    assert "失われません" in body and "設定担当 架空 太郎 090-0000-0009" in body
    assert "docs/" not in body


def test_a_subject_is_the_templates_subject_with_no_token_added(renderer: Renderer) -> None:
    message = build(renderer, "application_accepted")
    assert message["Subject"] == "【伴走支援申請】受付完了のお知らせ(申請番号 A-000012)"


def test_a_notice_queued_by_an_older_version_still_renders(renderer: Renderer) -> None:
    old = {k: v for k, v in SAMPLES["payment_held"][0].items() if k in CONTEXT_KEYS["payment_held"]}
    _, body = renderer.render("payment_held", old)
    assert "・覚書" in body and "保留している申請" not in body


def test_the_english_summary_is_off_by_default_and_under_the_japanese_when_on(
    renderer: Renderer,
) -> None:
    context = SAMPLES["application_received"][0]
    assert "[English summary]" not in renderer.render("application_received", context)[1]
    _, body = with_letterhead(Letterhead(english_summary=True)).render(
        "application_received", context
    )
    summary = body.index("[English summary] We have received your application A-000012")
    assert body.index("■ 今後の流れ") < summary < body.index("────────")
    _, staff = with_letterhead(Letterhead(english_summary=True)).render(
        "sync_failure", SAMPLES["sync_failure"][0]
    )
    assert "[English summary]" not in staff


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in STAFF_KINDS])
def test_every_volunteer_kind_has_an_english_summary(kind: str) -> None:
    _, body = with_letterhead(Letterhead(english_summary=True)).render(kind, SAMPLES[kind][0])
    assert "[English summary]" in body
