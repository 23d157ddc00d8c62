"""The 覚書 post (issue 6 §6): who is due a label, and where each label sits on A4 12面."""

from __future__ import annotations

from dataclasses import replace

from builders import members

from bansou_sync.core.labels import (
    A4_12,
    Label,
    csv_rows,
    label_text,
    labels_due,
    place,
    postal,
    wrap,
)
from bansou_sync.core.model import RegistrationStatus


def test_only_active_registrations_without_a_memo_date_are_due_and_missing_addresses_are_listed() -> (
    None
):
    office = members(4)
    regs = {r.supporter_id: r for r in office.state.registrations.values()}
    regs["BN-0001"] = replace(
        regs["BN-0001"], postal_code="1000001", address="東京都千代田区架空町1-1"
    )
    regs["BN-0002"] = replace(regs["BN-0002"], address="大阪府大阪市架空区2-2")
    regs["BN-0003"] = replace(
        regs["BN-0003"], address="京都府京都市架空区3-3", status=RegistrationStatus.NEEDS_REVIEW
    )
    run = labels_due(regs.values(), {"BN-0002": "2022-06-01", "BN-0001": " "})
    assert run.labels == [Label("BN-0001", "伴走 1号", "100-0001", "東京都千代田区架空町1-1")]
    assert run.no_address == ["BN-0004"]


def test_postal_codes_are_written_with_a_hyphen_and_long_addresses_wrap_at_the_label_width() -> (
    None
):
    assert postal("１００－０００１") == "100-0001"
    assert postal("1000001") == "100-0001"
    assert postal("") == ""
    lines = wrap("北海道札幌市架空区架空町一丁目二番三号 架空マンション101号室")
    assert lines == ["北海道札幌市架空区架空町一丁目二番三号", "架空マンション101号室"]
    assert wrap("あ" * 80) == ["あ" * 22, "あ" * 22, "あ" * 21 + "…"]


def test_twelve_labels_fill_a_page_across_then_down_and_the_thirteenth_starts_page_two() -> None:
    assert place(0) == (0, 18.6, 21.6)
    assert place(1) == (0, 18.6 + 86.4, 21.6)
    page, left, top = place(11)
    assert (page, round(left, 1), round(top, 1)) == (0, 105.0, round(21.6 + 5 * 42.3, 1))
    assert place(12) == (1, 18.6, 21.6)
    width = 2 * A4_12.margin_mm[0] + A4_12.columns * A4_12.label_mm[0]
    height = 2 * A4_12.margin_mm[1] + A4_12.rows * A4_12.label_mm[1]
    assert (round(width, 1), round(height, 1)) == A4_12.page_mm


def test_a_label_reads_postcode_address_then_name_with_honorific_and_the_csv_matches() -> None:
    label = Label("BN-0007", "架空 花子", "100-0001", "東京都千代田区架空町1-1")
    assert label_text(label) == [
        "〒100-0001",
        "東京都千代田区架空町1-1",
        "",
        "架空 花子 様",
        "(BN-0007)",
    ]
    assert csv_rows([label]) == [
        ["伴走ネットID", "郵便番号", "住所", "氏名", "敬称"],
        ["BN-0007", "100-0001", "東京都千代田区架空町1-1", "架空 花子", "様"],
    ]
