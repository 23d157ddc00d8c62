"""What volunteers read (issue 13 §2), through the real CLI on the embedded default: the
.eml files in the outbox read as the volunteer would, after a season of staff work in
the status CSVs (registrations, a non-member, acceptance without the documents, a
rejection with a reason for the volunteer, a held and a released payment)."""

from __future__ import annotations

import csv
import io
import re
from email.message import EmailMessage

import pytest

from .conftest import Project, application, body, registration

PHONE, OFFICE = "03-0000-0000", "東京都台東区架空町1-2-3 架空ビル"
APPLY_URL = "https://docs.google.com/forms/d/e/APPLYFORM/viewform"
REGISTER_URL = "https://docs.google.com/forms/d/e/REGISTERFORM/viewform"
MEMBER = {"supporter_id": "BN-0001", "name": "伴走 1郎", "email": "user1@example.com"}


def people() -> list[dict[str, str]]:
    return [
        registration("2022/05/30 9:00:00", "伴走 1郎", "user1@example.com"),
        registration(
            "2022/05/30 9:10:00",
            "伴走 2郎",
            "user2@example.com",
            phone="090-0000-0002",
            membership="どちらでもない",
        ),
        registration(
            "2022/05/30 9:20:00",
            "伴走 3郎",
            "user3@example.com",
            phone="090-0000-0003",
            membership="会員の紹介",
            referrer="",
        ),
    ]


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, list]]:
    project = Project(tmp_path_factory.mktemp("emails"))
    project.write_config(
        contact={"phone": PHONE, "address": OFFICE},
        forms={"application": {"url": APPLY_URL}, "registration": {"url": REGISTER_URL}},
    )
    project.write_registrations(people())
    project.write_applications(
        [
            application("2022/06/02 9:00:00", **MEMBER, support_date="2022/06/01"),
            application(
                "2022/06/03 9:00:00", **MEMBER, support_date="2022/06/02", end_time="13:00:00"
            ),
            application(
                "2022/06/04 9:00:00", **MEMBER, support_date="2022/06/03", client_initials="BB"
            ),
        ]
    )
    mails: dict[str, list] = {}
    project.once("2022-06-10 12:00")
    mails["first"] = project.new_volunteer_emails()
    project.review("A-000001", "承認")
    project.review("A-000002", "承認")
    project.edit(
        "申請",
        "申請番号",
        "A-000003",
        審査="却下",
        審査メモ="内部の検討メモ(送らない)",
        **{"却下理由(伴走者へ)": "同じ日の同じ相談者について、別の伴走者から申請があります。"},
    )
    project.once("2022-06-13 12:00")
    mails["decided"] = project.new_volunteer_emails()
    project.once("2022-06-21 12:00")  # the first cycle after the 6/20 cutoff: held
    mails["held"] = project.new_volunteer_emails()
    project.tick("BN-0001")
    project.once("2022-06-25 12:00")
    mails["released"] = project.new_volunteer_emails()
    return project, mails


def one(messages: list[EmailMessage], kind: str, ref: str | None = None) -> EmailMessage:
    found = [
        m
        for m in messages
        if m["X-Bansou-Kind"] == kind and (ref is None or m["X-Bansou-Ref"] == ref)
    ]
    assert len(found) == 1, [(m["X-Bansou-Kind"], m["X-Bansou-Ref"]) for m in messages]
    return found[0]


def test_a_members_confirmation_asks_to_sign_and_seal_and_return_in_the_enclosed_envelope(
    season,
) -> None:
    _, mails = season
    mail = one(mails["first"], "registration_confirmed", "BN-0001")
    text = body(mail)
    assert "署名・押印" in text
    assert "同封の返信用封筒" in text and "謝金受取口座届出書" in text
    assert "郵送料" in text and "ご負担" in text
    assert "2部ともにご署名" not in text
    assert "2022年5月30日(月) 09:00" in text


def test_every_volunteer_email_ends_with_the_secretariats_phone_and_address(season) -> None:
    _, mails = season
    everything = [m for step in mails.values() for m in step]
    assert len(everything) >= 9
    for mail in everything:
        lines = body(mail).splitlines()
        rules = [i for i, line in enumerate(lines) if line and set(line) == {"─"}]
        tail = "\n".join(lines[rules[-2] : rules[-1]])  # the signature, between its rules
        assert PHONE in tail and OFFICE in tail, mail["X-Bansou-Kind"]
        assert "jimukyoku@example.org" in tail


def test_a_members_confirmation_links_the_application_form(season) -> None:
    _, mails = season
    assert APPLY_URL in body(one(mails["first"], "registration_confirmed", "BN-0001"))


@pytest.mark.parametrize("supporter_id", ["BN-0002", "BN-0003"])
def test_one_who_is_neither_member_nor_referred_is_told_how_to_become_eligible_and_no_memo(
    season, supporter_id: str
) -> None:
    _, mails = season
    text = body(one(mails["first"], "registration_confirmed", supporter_id))
    assert supporter_id in text
    assert "会員" in text and "紹介" in text and "事務局までご連絡ください" in text
    assert "申請をお受けすることができません" in text
    assert "覚書" not in text and "返信用封筒" not in text
    assert APPLY_URL not in text


def test_the_labels_command_leaves_out_those_who_cannot_apply(season) -> None:
    project, _ = season
    result = project.cli(
        "labels", "--config", str(project.config_path), "--out", "lbl", "--now", "2022-06-10 13:00"
    )
    assert "1 件" in result.stdout
    assert "BN-0002, BN-0003" in result.stdout  # named as left out, by ID only
    table = (project.root / "lbl" / "memo-labels-2022-06-10.csv").read_text("utf-8-sig")
    ids = [row[0] for row in csv.reader(io.StringIO(table))][1:]
    assert ids == ["BN-0001"]


def test_the_receipt_says_received_and_awaiting_review_never_accepted(season) -> None:
    _, mails = season
    mail = one(mails["first"], "application_received", "A-000001")
    text, subject = body(mail), str(mail["Subject"])
    assert "受け付けました" not in text + subject
    assert "受付完了" not in subject
    assert "受信しました" in text and "審査" in text
    assert "2022年6月1日(水)" in text
    assert "A-000001" in subject


def test_subjects_carry_the_number_the_volunteer_can_quote_and_no_opaque_token(season) -> None:
    _, mails = season
    for mail in (m for step in mails.values() for m in step):
        subject = str(mail["Subject"])
        assert re.search(r"A-\d{6}|BN-\d{4}", subject), subject
        assert "No." not in subject
        assert not re.search(r"[0-9a-f]{8}", subject), subject


def test_acceptance_is_called_受付完了_in_the_email_and_the_sheet(season) -> None:
    project, mails = season
    mail = one(mails["decided"], "application_accepted", "A-000001")
    assert "受付完了" in str(mail["Subject"]) and "受付完了" in body(mail)
    assert project.app("A-000001")["判定"] == "受付完了"


def test_acceptance_without_the_documents_names_them_and_promises_no_pay_date(season) -> None:
    _, mails = season
    text = body(one(mails["decided"], "application_accepted", "A-000001"))
    assert "6,000円" in text and "2022年6月20日(月)" in text  # amount and cutoff
    assert "2022年7月8日" not in text  # the pay date it knows will be held
    assert "覚書" in text and "謝金受取口座届出書" in text and "署名・押印" in text


def test_a_rejection_carries_the_reason_for_the_volunteer_and_never_the_internal_memo(
    season,
) -> None:
    project, mails = season
    text = body(one(mails["decided"], "application_rejected", "A-000003"))
    assert "別の伴走者から申請があります" in text
    assert "内部の検討メモ" not in text
    assert project.app("A-000003")["却下理由(伴走者へ)"].startswith("同じ日の")


def test_a_held_payment_lists_the_applications_with_their_dates_amounts_and_the_total(
    season,
) -> None:
    _, mails = season
    text = body(one(mails["held"], "payment_held"))
    assert "A-000001" in text and "2022年6月1日(水)" in text and "6,000円" in text
    assert "A-000002" in text and "2022年6月2日(木)" in text and "10,000円" in text
    assert "16,000円" in text and "2022年6月20日(月)" in text
    assert "同封の返信用封筒" in text and "署名・押印" in text


def test_a_released_payment_lists_the_applications_and_the_new_pay_date(season) -> None:
    _, mails = season
    mail = one(mails["released"], "payment_released")
    text = body(mail)
    assert "A-000001" in text and "A-000002" in text and "16,000円" in text
    assert "2022年8月10日(水)" in text and "BN-0001" in str(mail["Subject"])


def test_an_expiry_sent_with_the_late_resubmission_says_what_happens_to_it(
    project: Project,
) -> None:
    project.add_registrations(registration("2022/05/30 9:00:00", "伴走 1郎", "user1@example.com"))
    june_3 = {"support_date": "2022/06/03", "client_initials": "AA"}
    project.add_applications(application("2022/07/01 10:00:00", **MEMBER, **june_3, end_time=""))
    project.once("2022-07-01 12:00")  # deficient; reply deadline 7/08
    project.new_emails()
    project.add_applications(
        application("2022/07/09 10:00:00", **MEMBER, **june_3, resubmission_of="A-000001")
    )
    project.once("2022-07-09 12:00")
    mails = project.new_volunteer_emails()
    text = body(one(mails, "deficiency_expired", "A-000001"))
    assert "2022年7月8日(金)" in text
    assert "A-000002" in text and "新しい申請として審査します" in text
    assert project.app("A-000002")["状態コード"] == "ineligible"  # late by its own date
    one(mails, "application_ineligible", "A-000002")


def test_an_expiry_without_a_resubmission_mentions_none(project: Project) -> None:
    project.add_registrations(registration("2022/05/30 9:00:00", "伴走 1郎", "user1@example.com"))
    project.add_applications(
        application("2022/07/01 10:00:00", **MEMBER, support_date="2022/06/03", end_time="")
    )
    project.once("2022-07-01 12:00")
    project.once("2022-07-09 12:00")
    text = body(one(project.emails(), "deficiency_expired", "A-000001"))
    assert "期限後にお送りいただいた申請" not in text


def test_a_config_with_only_the_spec_keys_sends_no_contact_lines_and_no_english(
    project: Project,
) -> None:
    project.add_registrations(registration("2022/05/30 9:00:00", "伴走 1郎", "user1@example.com"))
    project.once("2022-06-01 12:00")
    text = body(one(project.emails(), "registration_confirmed", "BN-0001"))
    assert "電話" not in text and "住所  :" not in text
    assert "jimukyoku@example.org" in text
    assert "[English summary]" not in text
    assert "EXAMPLE" not in text  # the example's form URL is not a link to show


def test_with_english_summary_on_a_volunteer_reads_a_short_english_summary(
    project: Project,
) -> None:
    project.write_config(mail={"english_summary": True})
    project.add_registrations(registration("2022/05/30 9:00:00", "伴走 1郎", "user1@example.com"))
    project.add_applications(application("2022/06/02 9:00:00", **MEMBER))
    project.once("2022-06-03 12:00")
    mails = project.emails()
    confirmed = body(one(mails, "registration_confirmed", "BN-0001"))
    assert "[English summary]" in confirmed and "sign and seal" in confirmed
    assert confirmed.index("■ 今後のお手続き") < confirmed.index("[English summary]")
    received = body(one(mails, "application_received", "A-000001"))
    assert "It is not accepted yet" in received
    digest = [m for m in mails if m["X-Bansou-Kind"] == "staff_digest"]
    assert digest and all("[English summary]" not in body(m) for m in digest)
