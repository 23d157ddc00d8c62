"""伴走ネット登録: ID assignment in submission order, P7 duplicates, needs_review, 重複解除."""

from __future__ import annotations

from dataclasses import replace

from bansou_sync.core import normalize as n
from bansou_sync.core.book import Book, identities
from bansou_sync.core.calendar import stamp, to_jst
from bansou_sync.core.model import (
    Notice,
    Problem,
    RawResponse,
    Registration,
    RegistrationStatus,
)
from bansou_sync.core.policy import Policy

MEMBERSHIPS = ("会員", "会員の紹介", "どちらでもない")
MEMBER, REFERRED = MEMBERSHIPS[0], MEMBERSHIPS[1]


def may_apply(reg: Registration) -> bool:
    """Part of P6 (``judge.supporter_reasons``): a member, or referred by one with the
    referrer named; the others may register
    (the course) but every application of theirs is refused."""
    return reg.membership == MEMBER or (reg.membership == REFERRED and bool(reg.referrer))


def read_registration(raw: RawResponse, seq: int) -> Registration:
    email = n.read_email(raw.text("email"))
    membership = n.read_choice(raw.text("membership"), MEMBERSHIPS)
    name = n.clean_text(raw.text("name"))
    phone = n.phone_digits(raw.text("phone"))
    consent = n.read_consent(raw.text("consent"))
    missing = tuple(
        f
        for f, empty in (
            ("name", not name),
            ("phone", not phone),
            ("membership", isinstance(membership, Problem)),
            ("consent", not consent),
        )
        if empty
    )
    return Registration(
        response_id=raw.response_id,
        seq=seq,
        submitted_at=to_jst(raw.submitted_at),
        last_submitted_at=to_jst(raw.last_submitted_at),
        supporter_id=None,
        status=RegistrationStatus.ACTIVE,
        name=name,
        kana=n.clean_text(raw.text("kana")),
        email=None if isinstance(email, Problem) else email,
        phone_digits=phone,
        postal_code=n.clean_text(raw.text("postal_code")),
        address=n.clean_text(raw.text("address")),
        membership="" if isinstance(membership, Problem) else membership,
        referrer=n.clean_text(raw.text("referrer")),
        prefecture=n.clean_text(raw.text("prefecture")),
        languages=n.read_checkbox_list(raw.answers.get("languages")),
        wants_course=n.clean_text(raw.text("wants_course")),
        consent=consent,
        missing=missing,
        email_typed=raw.text("email").strip(),
    )


def find_original(reg: Registration, book: Book) -> Registration | None:
    """P7 「登録は、お一人につき1回のみ」: the earliest earlier registration this one
    duplicates, if any — by normalised email, or by name (spaces removed) and phone
    digits (``book.identities``). A duplicate gets no ID; its person is re-sent the ID of
    the original (and a duplicate of a duplicate points to that same original)."""
    earlier = [
        first
        for key in identities(reg)
        if (first := book.first_by_identity.get(key)) is not None
        and first.response_id != reg.response_id
        and first.seq < reg.seq
    ]
    if not earlier:
        return None
    best = min(earlier, key=lambda r: r.seq)
    if best.status == RegistrationStatus.DUPLICATE and best.duplicate_of:
        return book.by_id.get(best.duplicate_of, best)
    return best


def confirmed_notice(reg: Registration, book: Book, event_key: str) -> Notice:
    assert reg.supporter_id
    to = book.contact_email(reg.supporter_id)
    return Notice(
        kind="registration_confirmed",
        ref=reg.supporter_id,
        to=(to,) if to else (),
        event_key=event_key,
        context={
            "name": reg.name,
            "supporter_id": reg.supporter_id,
            "registered_at": stamp(reg.submitted_at),
            "may_apply": may_apply(reg),  # no 覚書 promise to one who cannot apply
        },
    )


def assign_id(reg: Registration, book: Book, policy: Policy) -> Registration:
    pin = f"registration|{reg.response_id}"
    supporter_id = book.take_id("supporter", policy.supporter_ids, pin)
    status = RegistrationStatus.ACTIVE if reg.email else RegistrationStatus.NEEDS_REVIEW
    return replace(reg, supporter_id=supporter_id, status=status, duplicate_of=None)


def muted(reg: Registration, policy: Policy) -> bool:
    """Submitted before ``mail.notify_after``: recorded, but not emailed (SPEC §6)."""
    return policy.notify_after is not None and reg.submitted_at < policy.notify_after


def admit(raw: RawResponse, book: Book, policy: Policy) -> list[Notice]:
    """A new registration response: a new ID, or a duplicate that re-sends the old one."""
    reg = read_registration(raw, book.state.next_number("seq"))
    original = find_original(reg, book)
    if f"registration|{raw.response_id}" in book.pins:
        original = None  # it owned an ID before the ledger was lost (e.g. after 重複解除)
    if original is not None and original.supporter_id:
        dup = replace(reg, status=RegistrationStatus.DUPLICATE, duplicate_of=original.supporter_id)
        book.put_registration(dup)
        if muted(reg, policy):
            return []
        to = book.contact_email(original.supporter_id) or reg.email
        return [
            Notice(
                kind="registration_duplicate",
                ref=original.supporter_id,
                to=(to,) if to else (),
                event_key=f"response:registration:{raw.response_id}",
                context={
                    "name": original.name or reg.name,
                    "existing_id": original.supporter_id,
                    "may_apply": may_apply(original),  # no form link to one who cannot apply
                },
            )
        ]
    reg = assign_id(reg, book, policy)
    book.put_registration(reg)
    if reg.status != RegistrationStatus.ACTIVE:
        return []
    reg = replace(reg, confirmed=True)
    book.put_registration(reg)
    if muted(reg, policy):
        # Adopted mid-programme: the volunteer already has their ID from before, so the
        # first email is skipped, but the registration counts as confirmed.
        return []
    return [confirmed_notice(reg, book, f"response:registration:{raw.response_id}")]


def edit(raw: RawResponse, old: Registration, book: Book) -> list[Notice]:
    """An edited registration response: answers updated; needs_review may become active."""
    fresh = read_registration(raw, old.seq)
    reg = replace(
        fresh,
        supporter_id=old.supporter_id,
        status=old.status,
        duplicate_of=old.duplicate_of,
        released_from=old.released_from,
        confirmed=old.confirmed,
        corrections=old.corrections,
    )
    if old.corrections:  # staff confirmed the membership (core/corrections): it stays
        reg = replace(reg, membership=old.membership, referrer=old.referrer)
    if reg.status == RegistrationStatus.NEEDS_REVIEW and reg.email:
        reg = replace(reg, status=RegistrationStatus.ACTIVE)
    book.put_registration(reg)
    return activate_if_ready(reg, book, f"edit:{raw.response_id}:{stamp(raw.last_submitted_at)}")


def activate_if_ready(reg: Registration, book: Book, event_key: str) -> list[Notice]:
    """needs_review → active once a usable address exists; the first email then goes out."""
    if not reg.supporter_id or reg.status == RegistrationStatus.DUPLICATE:
        return []
    if reg.status == RegistrationStatus.NEEDS_REVIEW and book.contact_email(reg.supporter_id):
        reg = replace(reg, status=RegistrationStatus.ACTIVE)
        book.put_registration(reg)
    if reg.status == RegistrationStatus.ACTIVE and not reg.confirmed:
        reg = replace(reg, confirmed=True)
        book.put_registration(reg)
        return [confirmed_notice(reg, book, event_key)]
    return []


def release_duplicates(original_id: str, book: Book, policy: Policy) -> list[Notice]:
    """重複解除: each duplicate of ``original_id`` becomes a registration with its own ID."""
    notices: list[Notice] = []
    dups = sorted(
        (
            r
            for r in book.state.registrations.values()
            if r.status == RegistrationStatus.DUPLICATE and r.duplicate_of == original_id
        ),
        key=lambda r: r.seq,
    )
    for dup in dups:
        reg = replace(assign_id(dup, book, policy), released_from=original_id)
        book.put_registration(reg)
        notices += activate_if_ready(reg, book, f"release:{reg.response_id}")
    return notices
