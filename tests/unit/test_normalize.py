"""The readers of messy answers (SPEC §3): what they accept, what they refuse."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bansou_sync.core.model import MISSING, UNREADABLE, Problem
from bansou_sync.core.normalize import (
    clean_text,
    initials_key,
    is_ticked,
    nationality_key,
    phone_digits,
    read_checkbox_list,
    read_choice,
    read_consent,
    read_date,
    read_email,
    read_tick,
    read_time,
    read_year,
)

MAY_26 = date(2022, 5, 26)


# --- dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2022-05-26",
        "2022/5/26",
        "2022/05/26",
        "2022.5.26",
        "2022年5月26日",
        "2022 年 5 月 26 日",
        "２０２２／５／２６",
        "２０２２－０５－２６",
        "2022−05−26",
        " 2022/5/26 ",
        "2022年5月26日(木)",
        "2022/5/26（木曜日）",
    ],
)
def test_gregorian_date_is_read_in_any_common_spelling(raw: str) -> None:
    assert read_date(raw) == MAY_26


@pytest.mark.parametrize(
    "raw",
    [
        "令和4年5月26日",
        "R4.5.26",
        "R4/5/26",
        "r4-5-26",
        "Ｒ４．５．２６",
        "㋿4年5月26日",
        "令和4.5.26",
    ],
)
def test_reiwa_date_is_read_as_gregorian(raw: str) -> None:
    assert read_date(raw) == MAY_26


def test_csv_export_date_is_read() -> None:
    assert read_date("2022/06/01") == date(2022, 6, 1)


def test_first_year_of_an_era_may_be_written_gan() -> None:
    assert read_date("令和元年5月1日") == date(2019, 5, 1)
    assert read_date("令和1年5月1日") == date(2019, 5, 1)


def test_last_days_of_heisei_are_read() -> None:
    assert read_date("平成31年4月30日") == date(2019, 4, 30)
    assert read_date("H31.4.30") == date(2019, 4, 30)
    assert read_date("平成元年1月8日") == date(1989, 1, 8)


def test_showa_date_is_read() -> None:
    assert read_date("昭和60年4月1日") == date(1985, 4, 1)
    assert read_date("S64.1.7") == date(1989, 1, 7)


@pytest.mark.parametrize(
    "raw",
    ["平成31年5月1日", "令和元年4月30日", "H1.1.7", "S64.1.8", "令和0年5月1日", "平成32年1月1日"],
)
def test_era_date_outside_its_era_is_unreadable(raw: str) -> None:
    assert read_date(raw) is UNREADABLE


@pytest.mark.parametrize(
    "raw",
    [
        "2023-02-29",  # no such day
        "2022-13-01",
        "0000-01-01",
        "22/5/26",  # two-digit year
        "5/26",  # no year
        "5月26日",
        "26/5/2022",  # day first
        "2022/5-26",  # mixed separators
        "2022 5 26",
        "2022/5/26 10:00",
        "2022年5月26日(金)",  # the 26th was a Thursday
        "昨日",
        "R.4",
        "2O22/5/26",  # letter O
    ],
)
def test_date_that_cannot_be_read_without_guessing_is_unreadable(raw: str) -> None:
    assert read_date(raw) is UNREADABLE


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "\u200b"])
def test_blank_date_is_missing(raw: str | None) -> None:
    assert read_date(raw) is MISSING


# --- times ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10:00", time(10, 0)),
        ("9:05", time(9, 5)),
        ("10:00:00", time(10, 0)),
        ("１０：３０", time(10, 30)),
        ("10 : 30", time(10, 30)),
        ("10時", time(10, 0)),
        ("10時半", time(10, 30)),
        ("10時30分", time(10, 30)),
        ("10時5分", time(10, 5)),
        ("午後3時", time(15, 0)),
        ("午後 3時半", time(15, 30)),
        ("午前10時半", time(10, 30)),
        ("午後0時", time(12, 0)),
        ("午前0時", time(0, 0)),
        ("PM 3:00", time(15, 0)),
        ("3:00 PM", time(15, 0)),
        ("3:00pm", time(15, 0)),
        ("3 p.m.", time(15, 0)),
        ("11 AM", time(11, 0)),
        ("23:59", time(23, 59)),
        ("0:00", time(0, 0)),
    ],
)
def test_time_is_read_in_any_common_spelling(raw: str, expected: time) -> None:
    assert read_time(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "24:00",
        "25:00",
        "10:60",
        "10:00:60",
        "10",  # an hour without 時 or AM/PM could be anything
        "10.30",
        "1 0:30",
        "午後12時",  # read as noon by some, midnight by others
        "12 AM",
        "12:30 PM",
        "午後15時",
        "午後3時PM",
        "10時61分",
        "朝",
        "10:5",
    ],
)
def test_time_that_cannot_be_read_without_guessing_is_unreadable(raw: str) -> None:
    assert read_time(raw) is UNREADABLE


def test_blank_time_is_missing() -> None:
    assert read_time(" ") is MISSING
    assert read_time(None) is MISSING


# --- email and phone -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "Taro@Example.com ",
        "taro@example.com",
        "TARO＠EXAMPLE.COM",
        "taro @ example. com",
        "taro\u3000@example.com",
        "<taro@example.com>",
        "mailto:taro@example.com",
        "<MAILTO:Taro@Example.com>",
        "taro\u200b@example.com",
    ],
)
def test_email_is_normalised_to_lower_case_without_spaces(raw: str) -> None:
    assert read_email(raw) == "taro@example.com"


def test_old_japanese_mobile_address_with_dots_before_the_at_is_kept() -> None:
    assert read_email("taro..@example.jp") == "taro..@example.jp"


@pytest.mark.parametrize(
    "raw",
    [
        "taro",
        "taro@",
        "@example.com",
        "taro@example",
        "taro@@example.com",
        "taro@ex@ample.com",
        "taro@example.com.",
        "taro@-example.com",
        "taro@exa_mple.com",
        "太郎@example.com",
        "Taro <taro@example.com>",
        "taro@example.com, hanako@example.com",
    ],
)
def test_email_that_is_not_one_plain_address_is_unreadable(raw: str) -> None:
    assert read_email(raw) is UNREADABLE


def test_blank_email_is_missing() -> None:
    assert read_email("  ") is MISSING


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("090-0000-0001", "09000000001"),
        ("０９０ー００００ー０００１", "09000000001"),
        ("＋81 90-0000-0001", "819000000001"),
        ("(03) 1234 5678", "0312345678"),
        ("なし", ""),
        (None, ""),
    ],
)
def test_phone_keeps_only_its_digits(raw: str | None, expected: str) -> None:
    assert phone_digits(raw) == expected


# --- client identity -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1985", 1985),
        ("１９８５", 1985),
        ("1985年", 1985),
        ("1985年生まれ", 1985),
        ("昭和60年", 1985),
        ("S60", 1985),
        ("s60", 1985),
        ("平成2年", 1990),
        ("H2", 1990),
        ("平成元年", 1989),
        ("令和元年", 2019),
        ("大正15年", 1926),
        ("1985/4/1", 1985),
    ],
)
def test_birth_year_is_read_as_gregorian(raw: str, expected: int) -> None:
    assert read_year(raw) == expected


@pytest.mark.parametrize(
    "raw", ["85", "85年", "1899", "2101", "H32", "S65", "昭和", "十九八五", "1985-86", "40歳"]
)
def test_birth_year_that_is_short_implausible_or_vague_is_unreadable(raw: str) -> None:
    assert read_year(raw) is UNREADABLE


def test_blank_birth_year_is_missing() -> None:
    assert read_year("") is MISSING


@pytest.mark.parametrize("raw", ["T.N.", "Ｔ．Ｎ．", "tn", "T N", "t・n"])
def test_initials_in_any_spelling_are_one_key(raw: str) -> None:
    assert initials_key(raw) == "TN"


def test_initials_with_no_letters_are_unreadable_and_blank_ones_missing() -> None:
    assert initials_key("..") is UNREADABLE
    assert initials_key("  ") is MISSING


def test_nationality_ignores_spacing_and_case_but_not_spelling() -> None:
    assert nationality_key(" Viet Nam ") == nationality_key("VIETNAM") == "vietnam"
    assert nationality_key("ベトナム") != nationality_key("Vietnam")
    assert nationality_key("ﾍﾞﾄﾅﾑ") == "ベトナム"
    assert nationality_key("") is MISSING


# --- free text and choices -----------------------------------------------------------


def test_clean_text_trims_and_collapses_spaces() -> None:
    assert clean_text("  山田\u3000 太郎\n ") == "山田 太郎"
    assert clean_text("ﾔﾏﾀﾞ") == "ヤマダ"
    assert clean_text(None) == ""


MEMBERSHIP = ("会員", "会員の紹介", "どちらでもない")


def test_choice_matches_an_option_exactly_after_normalising() -> None:
    assert read_choice(" 会員の紹介 ", MEMBERSHIP) == "会員の紹介"
    assert read_choice("会員", MEMBERSHIP) == "会員"


def test_choice_that_is_not_an_option_is_unreadable_and_blank_is_missing() -> None:
    assert read_choice("会員です", MEMBERSHIP) is UNREADABLE
    assert read_choice("", MEMBERSHIP) is MISSING


def test_choice_returns_the_option_as_configured() -> None:
    assert read_choice("Yes", ("ＹＥＳ", "No")) is UNREADABLE  # case is not folded
    assert read_choice("YES", ("ＹＥＳ", "No")) == "ＹＥＳ"


def test_checkbox_list_from_a_csv_export_is_split_cleaned_and_deduplicated() -> None:
    raw = "住まい, 医療 ,  住まい, 在留資格"
    assert read_checkbox_list(raw) == ("住まい", "医療", "在留資格")


def test_checkbox_list_from_the_forms_api_is_already_split() -> None:
    assert read_checkbox_list((" 医療", "", "仕事・労働", "医療")) == ("医療", "仕事・労働")
    assert read_checkbox_list(None) == ()
    assert read_checkbox_list("") == ()


@pytest.mark.parametrize(
    "raw", ["TRUE", "true", " True ", "1", "１", "はい", "✓", "○", "◯", "〇", "済"]
)
def test_staff_checkbox_marks_read_as_ticked(raw: str) -> None:
    assert is_ticked(raw)


@pytest.mark.parametrize("raw", [None, "", "FALSE", "false", "0", "いいえ", "×", "未"])
def test_anything_else_in_a_staff_checkbox_is_not_ticked(raw: str | None) -> None:
    assert not is_ticked(raw)


@pytest.mark.parametrize("raw", ["✔", "レ", "×", "=TRUE()", "x", "済み?", "2022-07-01"])
def test_a_mark_not_in_specs_list_is_neither_ticked_nor_unticked(raw: str) -> None:
    assert read_tick(raw) is None
    assert not is_ticked(raw)


@pytest.mark.parametrize("raw", [None, "", " ", "FALSE", "false", "0", "０", "いいえ", "未"])
def test_blank_false_zero_and_no_read_as_unticked(raw: str | None) -> None:
    assert read_tick(raw) is False


def test_consent_is_given_by_any_answer() -> None:
    assert read_consent("同意します")
    assert not read_consent("  ")
    assert not read_consent(None)


# --- properties ----------------------------------------------------------------------

READERS = [read_date, read_time, read_email, read_year, initials_key, nationality_key]


@pytest.mark.parametrize("reader", READERS)
@given(raw=st.one_of(st.none(), st.text()))
def test_readers_never_raise_and_give_a_value_or_a_problem(reader, raw) -> None:  # type: ignore[no-untyped-def]
    result = reader(raw)
    assert result is not None
    if raw is None or not raw.strip():
        assert result is MISSING


@given(raw=st.one_of(st.none(), st.text()))
def test_plain_helpers_never_raise(raw: str | None) -> None:
    assert phone_digits(raw).isdigit() or phone_digits(raw) == ""
    assert phone_digits(raw).isascii()
    assert isinstance(clean_text(raw), str)
    assert isinstance(is_ticked(raw), bool)
    assert isinstance(read_consent(raw), bool)
    assert isinstance(read_checkbox_list(raw), tuple)
    assert isinstance(read_choice(raw, MEMBERSHIP), str | Problem)


DATE_TEXT = st.one_of(
    st.text(),
    st.from_regex(r"(令和|平成|昭和|[RHSrhs])(元|[0-9]{1,2})[年./-][0-9]{1,2}[月./-][0-9]{1,2}日?"),
    st.from_regex(r"[0-9０-９]{4}[/.年-][0-9]{1,2}[/.月-][0-9]{1,2}日?", fullmatch=True),
)


@given(raw=DATE_TEXT)
def test_a_date_read_once_reads_the_same_from_its_iso_form(raw: str) -> None:
    day = read_date(raw)
    if isinstance(day, date):
        assert read_date(day.isoformat()) == day


@given(day=st.dates(min_value=date(1000, 1, 1)))
def test_an_iso_date_is_read_as_itself(day: date) -> None:
    assert read_date(day.isoformat()) == day


TIME_TEXT = st.one_of(
    st.text(),
    st.from_regex(
        r"(午前|午後|AM|PM)?\s?[0-9]{1,2}(:[0-9]{2}|時半?|時[0-9]{1,2}分)", fullmatch=True
    ),
)


@given(raw=TIME_TEXT)
def test_a_time_read_once_reads_the_same_from_its_hh_mm_form(raw: str) -> None:
    moment = read_time(raw)
    if isinstance(moment, time):
        assert read_time(moment.strftime("%H:%M")) == moment


@given(moment=st.times())
def test_an_hh_mm_time_is_read_as_itself(moment: time) -> None:
    minute = moment.replace(second=0, microsecond=0)
    assert read_time(minute.strftime("%H:%M")) == minute
    assert read_time(minute.strftime("%H:%M:%S")) == minute


@given(raw=st.one_of(st.text(), st.emails().map(lambda e: f" {e.upper()} ")))
def test_an_email_read_once_reads_as_itself(raw: str) -> None:
    email = read_email(raw)
    if isinstance(email, str):
        assert read_email(email) == email


@given(email=st.emails())
def test_a_canonical_email_is_read_as_itself(email: str) -> None:
    assert read_email(email.lower()) == email.lower()


@given(raw=st.text())
def test_phone_digits_of_phone_digits_are_the_same(raw: str) -> None:
    assert phone_digits(phone_digits(raw)) == phone_digits(raw)


@given(
    raw=st.one_of(st.text(), st.from_regex(r"(昭和|平成|令和|[SHR])?[0-9]{1,4}年?", fullmatch=True))
)
def test_a_birth_year_read_once_reads_the_same_from_its_digits(raw: str) -> None:
    year = read_year(raw)
    if isinstance(year, int):
        assert read_year(str(year)) == year


@given(year=st.integers(1900, 2100))
def test_a_four_digit_birth_year_is_read_as_itself(year: int) -> None:
    assert read_year(str(year)) == year


@pytest.mark.parametrize("key", [initials_key, nationality_key])
@given(raw=st.text())
def test_a_client_key_is_its_own_key(key, raw: str) -> None:  # type: ignore[no-untyped-def]
    result = key(raw)
    if isinstance(result, str):
        assert key(result) == result


@given(initials=st.from_regex(r"[A-Z0-9]{1,4}", fullmatch=True))
def test_canonical_initials_are_their_own_key(initials: str) -> None:
    assert initials_key(initials) == initials


@given(raw=st.text())
def test_clean_text_is_idempotent(raw: str) -> None:
    assert clean_text(clean_text(raw)) == clean_text(raw)


@given(raw=st.text(), options=st.lists(st.text(min_size=1), max_size=4))
def test_a_chosen_option_is_read_as_itself(raw: str, options: list[str]) -> None:
    choice = read_choice(raw, options)
    if isinstance(choice, str):
        assert read_choice(choice, options) == choice


@given(raw=st.one_of(st.text(), st.lists(st.sampled_from(["住まい", "医療", " 医療 ", "a,b"]))))
def test_a_checkbox_list_reads_the_same_from_its_csv_form(raw: str | list[str]) -> None:
    items = read_checkbox_list(raw if isinstance(raw, str) else tuple(raw))
    assert read_checkbox_list(", ".join(items)) == items
    assert read_checkbox_list(items) == items
