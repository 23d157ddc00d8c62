"""相談者コード: issued in order of first appearance, one per normalised triple (SPEC §3)."""

from __future__ import annotations

from builders import app, codes, members

from bansou_sync.core.model import AppStatus


def test_codes_are_issued_in_order_of_first_appearance_whatever_the_outcome() -> None:
    office = members(1)
    office.applications += [
        app(
            "2022-07-01 18:00",
            "BN-0001",
            "2022-05-01",
            initials="AA",
            birth_year="1980",
            nationality="ネパール",
        ),
        app(
            "2022-07-01 18:05",
            "BN-0001",
            "2022-07-01",
            consent="",
            initials="BB",
            birth_year="1981",
            nationality="ネパール",
        ),
        app(
            "2022-07-01 18:10",
            "BN-0001",
            "2022-07-01",
            initials="CC",
            birth_year="1982",
            nationality="ネパール",
        ),
    ]
    plan = office.cycle("2022-07-02 12:00")
    apps = [office.a(f"A-00000{i}") for i in (1, 2, 3)]
    assert [a.status for a in apps] == [
        AppStatus.INELIGIBLE,
        AppStatus.DEFICIENT,
        AppStatus.PENDING_REVIEW,
    ]
    assert [a.client_code for a in apps] == ["C-0001", "C-0002", "C-0003"]
    assert [n.context["client_code"] for n in plan.notices if n.ref.startswith("A-")] == [
        "C-0001",
        "C-0002",
        "C-0003",
    ]
    assert all(n.context.get("client_code_issued", True) for n in plan.notices)


def test_initials_are_one_client_whatever_their_punctuation_width_or_case() -> None:
    office = members(3)
    office.applications += [
        app(
            "2022-07-01 18:00",
            "BN-0001",
            "2022-07-01",
            initials="T.N.",
            birth_year="1990",
            nationality="ベトナム",
        ),
        app(
            "2022-07-01 18:05",
            "BN-0002",
            "2022-07-01",
            initials="Ｔ．Ｎ．",
            birth_year="1990",
            nationality=" ベトナム ",
        ),
        app(
            "2022-07-01 18:10",
            "BN-0003",
            "2022-07-01",
            initials="tn",
            birth_year="1990年",
            nationality="ベトナム",
        ),
    ]
    office.cycle("2022-07-02 12:00")
    assert {a.client_code for a in office.state.applications.values()} == {"C-0001"}
    assert codes(office.a("A-000003")) == ["too_many_supporters"]


def test_different_spellings_of_a_nationality_are_not_merged() -> None:
    office = members(1)
    office.applications += [
        app(
            "2022-07-01 18:00",
            "BN-0001",
            "2022-07-01",
            initials="TN",
            birth_year="1990",
            nationality="ベトナム",
        ),
        app(
            "2022-07-01 18:05",
            "BN-0001",
            "2022-07-02",
            initials="TN",
            birth_year="1990",
            nationality="Vietnam",
        ),
    ]
    office.cycle("2022-07-03 12:00")
    assert [a.client_code for a in office.state.applications.values()] == ["C-0001", "C-0002"]


def test_a_quoted_code_names_the_same_client() -> None:
    office = members(2)
    office.applications.append(app("2022-07-01 18:00", "BN-0001", "2022-07-01"))
    office.cycle("2022-07-02 12:00")
    office.applications.append(app("2022-07-03 18:00", "BN-0002", "2022-07-03", client_code="c1"))
    plan = office.cycle("2022-07-04 12:00")
    assert office.a("A-000002").client_code == "C-0001"
    assert plan.notices[0].context["client_code_issued"] is False


def test_a_well_formed_code_never_issued_is_an_unknown_client() -> None:
    office = members(1)
    office.applications.append(
        app("2022-07-01 18:00", "BN-0001", "2022-07-01", client_code="C-0009")
    )
    office.cycle("2022-07-02 12:00")
    a = office.a("A-000001")
    assert (a.status, codes(a), a.client_code) == (AppStatus.DEFICIENT, ["unknown_client"], None)
    assert office.state.clients == {}


def test_no_code_is_issued_without_a_readable_triple() -> None:
    office = members(1)
    office.applications.append(
        app("2022-07-01 18:00", "BN-0001", "2022-07-01", initials="TN", birth_year="1990")
    )
    office.cycle("2022-07-02 12:00")
    assert codes(office.a("A-000001")) == ["missing:client_nationality"]
    assert office.state.clients == {}


def test_only_a_keyed_hash_of_the_triple_is_kept() -> None:
    office = members(1)
    office.applications.append(app("2022-07-01 18:00", "BN-0001", "2022-07-01"))
    office.cycle("2022-07-02 12:00")
    (digest,) = office.state.clients
    assert len(digest) == 64
    assert "TN" not in digest and "1990" not in digest
