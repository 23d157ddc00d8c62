"""The google-selftest verdict: what makes once/run refuse to start, and what does not."""

from __future__ import annotations

from pathlib import Path

from bansou_sync.setup_tools.selftest_model import (
    Verdict,
    confirmed,
    could_not_run,
    differs,
    format_report,
    from_json,
    refusal,
    to_json,
    verdict_path,
)

PAGING = differs(
    "forms.paging.application",
    "forms",
    "回答の全ページ読み込み / responses.list pages",
    "12 responses, pageSize 4, 1 page; 8 never came back",
    "responses would be missed: the daemon will not start",
    True,
)
SORT = differs("sheets.sort", "sheets", "sort", "tags stayed", "re-points the tag", False)


def test_a_fatal_difference_refuses_only_while_its_backend_is_in_use() -> None:
    verdict = Verdict("2026-12-07T12:00:00+09:00", (PAGING, SORT))
    message = refusal(verdict, {"forms", "sheets", "gmail"})
    assert message is not None
    assert "12 responses, pageSize 4, 1 page" in message
    assert "responses would be missed" in message
    assert "google-selftest --config" in message
    assert refusal(verdict, {"sheets", "gmail"}) is None  # source is no longer the Forms API


def test_differences_the_product_handles_and_checks_that_could_not_run_never_refuse() -> None:
    verdict = Verdict("t", (SORT, could_not_run("gmail.sent", "gmail", "sent", "not asked")))
    assert refusal(verdict, {"forms", "sheets", "gmail"}) is None
    assert "nothing the product cannot live with" in format_report(verdict)


def test_a_verdict_survives_its_json_file_and_names_what_it_refuses() -> None:
    verdict = Verdict("t", (PAGING, confirmed("sheets.grow", "sheets", "grow")), "stay", {"a": 1})
    text = to_json(verdict)
    assert '"refuse": [\n    "forms.paging.application"\n  ]' in text
    assert from_json(text) == verdict


def test_the_verdict_lives_beside_the_ledger() -> None:
    assert verdict_path(Path("/var/lib/bansou-sync/ledger.sqlite3")) == Path(
        "/var/lib/bansou-sync/google-selftest.json"
    )
