"""The one sanitiser for text typed into the public forms (core/untrusted.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bansou_sync.core.untrusted import CUT_MARKER, cell_text, clean_answer, one_line

_FORBIDDEN_IN_A_CELL = {
    chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]
}
_BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def test_a_cell_keeps_line_breaks_and_tabs_but_loses_nul_vertical_tab_and_next_line() -> None:
    assert cell_text("一行目\r\n二行目\x0b\x00\u0085\t終わり") == "一行目\n二行目\t終わり"


def test_bidi_overrides_are_removed_from_a_cell_and_from_one_line() -> None:
    assert cell_text("abc\u202etxt.exe") == "abctxt.exe"
    assert one_line("abc\u2066def\u2069") == "abc def"


def test_one_line_turns_every_break_into_one_space() -> None:
    assert one_line(" 件名\r\nBcc: x@example.com\u2028終わり ") == "件名 Bcc: x@example.com 終わり"


def test_an_answer_over_the_limit_is_cut_with_a_visible_marker_and_flagged() -> None:
    text, cut = clean_answer("あ" * 30, limit=10)
    assert cut and text == "あ" * 10 + CUT_MARKER
    assert clean_answer("あ" * 10, limit=10) == ("あ" * 10, False)


@given(st.text())
def test_no_control_or_bidi_character_survives_a_cell(text: str) -> None:
    clean = cell_text(text)
    assert not (set(clean) & (_FORBIDDEN_IN_A_CELL | _BIDI | {"\r", "\u2028", "\u2029"}))


@given(st.text())
def test_one_line_has_no_control_break_or_bidi_character(text: str) -> None:
    clean = one_line(text)
    assert not (set(clean) & (_FORBIDDEN_IN_A_CELL | _BIDI | {"\n", "\t", "\u2028", "\u2029"}))
