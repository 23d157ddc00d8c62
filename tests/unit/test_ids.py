"""伴走ネットID, 申請番号 and 相談者コード: formatting and reading them back (SPEC §3, §5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bansou_sync.core.ids import APPLICATION, CLIENT, SUPPORTER, IdPattern
from bansou_sync.core.model import MISSING, UNREADABLE


def test_ids_are_zero_padded_to_their_pattern() -> None:
    assert IdPattern("BN-", 4).format(7) == "BN-0007"
    assert APPLICATION.format(1) == "A-000001"
    assert CLIENT.format(1) == "C-0001"


def test_numbers_grow_past_the_padding() -> None:
    assert SUPPORTER.format(12345) == "BN-12345"
    assert SUPPORTER.parse("BN-12345") == "BN-12345"


@pytest.mark.parametrize(
    "raw",
    [
        "BN-0007",
        "bn-0007",
        "ＢＮ－０００７",
        "BN7",
        "BN 07",
        "bn_0007",
        " Bn-7 ",
        "BN‐0007",
        "BN−0007",
        "BNー0007",
        "BNｰ0007",
        "BN–0007",
        "BN—0007",
        "BN - 0007",
        "BN\u3000007",
    ],
)
def test_supporter_id_typed_sloppily_is_read_as_canonical(raw: str) -> None:
    assert SUPPORTER.parse(raw) == "BN-0007"
    assert SUPPORTER.parse_number(raw) == 7


@pytest.mark.parametrize(
    "raw",
    [
        "BM-0007",  # wrong letters
        "B-0007",
        "0007",  # no letters
        "BN-",  # no digits
        "BN",
        "BN-0007番",  # trailing text
        "BN-7 BN-8",
        "ID: BN-0007",
        "BN-0000",  # there is no number 0
        "BN-0.7",
        "BN-" + "9" * 30,
    ],
)
def test_supporter_id_that_is_not_exactly_an_id_is_unreadable(raw: str) -> None:
    assert SUPPORTER.parse(raw) is UNREADABLE
    assert SUPPORTER.parse_number(raw) is UNREADABLE


@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000"])
def test_blank_id_is_missing(raw: str | None) -> None:
    assert SUPPORTER.parse(raw) is MISSING


def test_application_and_client_numbers_are_read_the_same_way() -> None:
    assert APPLICATION.parse("a-12") == "A-000012"
    assert CLIENT.parse("ｃ１") == "C-0001"
    assert CLIENT.parse("A-0001") is UNREADABLE


def test_a_configured_prefix_without_separator_works() -> None:
    pattern = IdPattern("BN", 3)
    assert pattern.format(7) == "BN007"
    assert pattern.parse("bn-7") == "BN007"


PATTERNS = [SUPPORTER, APPLICATION, CLIENT, IdPattern("BN", 3), IdPattern("ＸＹ_", 2)]


@pytest.mark.parametrize("pattern", PATTERNS)
@given(raw=st.one_of(st.none(), st.text(), st.from_regex(r"(bn|BN|a|C)[-_ ー]?[0-9]{1,8}")))
def test_parsing_never_raises_and_a_parsed_id_parses_to_itself(
    pattern: IdPattern, raw: str | None
) -> None:
    parsed = pattern.parse(raw)
    if isinstance(parsed, str):
        assert pattern.parse(parsed) == parsed


@pytest.mark.parametrize("pattern", [SUPPORTER, APPLICATION, CLIENT, IdPattern("BN", 3)])
@given(n=st.integers(1, 10**12))
def test_a_formatted_id_is_read_as_itself(pattern: IdPattern, n: int) -> None:
    assert pattern.parse(pattern.format(n)) == pattern.format(n)
    assert pattern.parse_number(pattern.format(n)) == n
