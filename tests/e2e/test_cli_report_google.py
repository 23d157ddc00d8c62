"""``bansou-sync report`` and the 統計 tab with the Google backends (issue 6 §2): the
reference data through the emulator's Forms API into its Sheets and Gmail, the 統計 tab
read back through gspread, and a report made from that run's ledger — the same counts as
the embedded default gives, and no personal data in it; and (issue 10 §2) one
volunteer's typed answers reach neither the tab nor the report."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from emulated import form_id, google_example_config, key_file, running_emulator
from openpyxl import load_workbook
from pypdf import PdfReader

from bansou_sync.adapters.form_fields import APPLICATION_TITLES, REGISTRATION_TITLES
from bansou_sync.adapters.google_auth import GoogleAccess
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.cli import main
from bansou_sync.core import network
from bansou_sync.core.categories import prefecture_order
from bansou_sync.core.maps import NETWORK_TITLE, SUPPORTS_TITLE
from bansou_sync.emulator.server import start_emulator

from .test_cli_report import (
    ADDRESS,
    EXTRACT,
    FRAGMENTS,
    LAWYER,
    NATIONALITY,
    OTHER_TOPIC,
    TYPED,
    html_text,
    map_alts,
    personal_values,
    tokens,
)

ROOT = Path(__file__).resolve().parents[2]
BOOK = "report-book"
NOW = "2023-03-31 12:00"


def report(config: Path, out: Path, fmt: str) -> Path:
    path = out / f"report.{fmt}"
    args = ["report", "--config", str(config), "--from", "2022-05", "--to", "2023-02"]
    assert main([*args, "--format", fmt, "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module", autouse=True)
def client_key() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:  # restored after the module
        env.setenv("BANSOU_CLIENT_KEY", "report-google-test-key")
        yield


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("embedded")
    shutil.copytree(ROOT / "reference", folder / "reference")
    config = folder / "config.yaml"
    config.write_text((ROOT / "config.example.yaml").read_text("utf-8"), encoding="utf-8")
    assert main(["once", "--config", str(config), "--now", NOW]) == 0
    text = (folder / "out" / "status" / "統計.csv").read_text("utf-8-sig")
    return {
        "stats": list(csv.reader(io.StringIO(text))),
        "xlsx": report(config, folder, "xlsx"),
        "html": report(config, folder, "html"),
    }


@pytest.fixture(scope="module")
def google(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("google")
    emu = start_emulator(ROOT / "reference")
    try:
        assert emu.sheets is not None
        emu.sheets.load_fixture({"spreadsheetId": BOOK, "title": "状況", "sheets": {}})
        key = key_file(emu, folder)
        example = google_example_config(emu, key, BOOK)
        example.pop("events", None)  # courses have forms of their own; not this test's subject
        config = folder / "config.yaml"
        config.write_text(
            yaml.safe_dump(example, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        assert main(["init-sheet", "--config", str(config)]) == 0
        assert main(["once", "--config", str(config), "--now", NOW]) == 0
        access = GoogleAccess(key, None, emu.base_url)
        scopes = ["https://www.googleapis.com/auth/spreadsheets"]
        book = gspread_client(access.credentials(scopes), emu.base_url).open_by_key(BOOK)
        stats = book.worksheet("統計").get_all_values()
        yield {
            "stats": stats,
            "supporters": book.worksheet("伴走者").get_all_records(),
            "xlsx": report(config, folder, "xlsx"),
            "html": report(config, folder, "html"),
            "pdf": report(config, folder, "pdf"),
        }
    finally:
        emu.stop()


def test_the_stats_tab_read_through_gspread_is_the_embedded_defaults(
    embedded: dict[str, Any], google: dict[str, Any]
) -> None:
    assert google["stats"] == embedded["stats"]
    sections = {row[0] for row in google["stats"][1:]}
    assert {"同行先", "支援内容の分類", "月別", "国籍"} <= sections
    assert all(v.isdigit() or v in ("<5", "秘匿") for _, _, v in google["stats"][1:])


def test_the_network_sections_read_through_gspread_are_the_embedded_defaults_in_jis_order(
    embedded: dict[str, Any], google: dict[str, Any]
) -> None:
    """Issue 15 §2: the 伴走ネット's sections follow the application sections, on both."""
    for stats in (google["stats"], embedded["stats"]):
        titles = list(dict.fromkeys(row[0] for row in stats[1:]))
        assert titles[-len(network.TITLES) :] == list(network.TITLES)
        table = {(row[0], row[1]): row[2] for row in stats[1:]}
        active = [r for r in google["supporters"] if r["状態コード"] == "active"]
        assert table[(network.NET_TOTAL, network.ACTIVE)] == str(len(active))
        places = [row[1] for row in stats[1:] if row[0] == network.NET_PREFECTURE]
        assert places == prefecture_order(places) and places[0] == "群馬県"
        tokyo = [r for r in active if r["活動地域"] == "東京都"]
        assert table[(network.NET_PREFECTURE, "東京都")] == str(len(tokyo))
        wish = [r for r in active if r["講座受講希望"] == "はい"]
        assert table[(network.NET_COURSE, "はい")] == str(len(wish))
        applied = [row[1] for row in stats[1:] if row[0] == "活動地域"]
        assert applied == prefecture_order(applied)
    assert google["stats"] == embedded["stats"]


def test_the_supporters_tab_read_through_gspread_shows_languages_and_course_wish(
    google: dict[str, Any],
) -> None:
    first = next(r for r in google["supporters"] if r["伴走ネットID"] == "BN-0001")
    assert (first["対応できる言語"], first["講座受講希望"]) == ("日本語、ネパール語", "いいえ")
    assert list(google["supporters"][0])[-2:] == ["対応できる言語", "講座受講希望"]


def test_a_report_from_the_google_runs_ledger_has_the_embedded_defaults_counts(
    embedded: dict[str, Any], google: dict[str, Any]
) -> None:
    def table(path: Path) -> list[list[Any]]:
        rows = [[c.value for c in r] for r in load_workbook(path)["統計"].iter_rows()]
        return rows[rows.index(["区分", "項目", "件数"]) :]

    assert table(google["xlsx"]) == table(embedded["xlsx"])
    assert len(table(google["xlsx"])) > 50


def test_the_google_runs_report_draws_the_embedded_defaults_maps_in_html_and_pdf(
    embedded: dict[str, Any], google: dict[str, Any]
) -> None:
    """Issue 15 §2 on the Google backends: the same two maps, in words (the images' alt
    text) as the embedded default draws them, and a PDF page holding both."""
    alts = map_alts(google["html"])
    assert len(alts) == 2 and alts == map_alts(embedded["html"])
    assert alts[0].startswith(NETWORK_TITLE) and alts[1].startswith(SUPPORTS_TITLE)
    pages = [page.extract_text() for page in PdfReader(google["pdf"]).pages]
    assert [i for i, t in enumerate(pages) if NETWORK_TITLE in t and SUPPORTS_TITLE in t] == [1]
    assert all(f"{n} / {len(pages)}" in t for n, t in enumerate(pages, start=1))


def test_the_google_runs_report_holds_no_personal_data(google: dict[str, Any]) -> None:
    assert not personal_values() & tokens(html_text(google["html"]))


def test_one_volunteers_typed_answers_reach_no_google_tab_or_report(tmp_path: Path) -> None:
    """Issue 10 §2 on the Google backends: the answers come through the Forms API, the
    統計 tab is read back through gspread, and the report is made from that ledger."""
    with running_emulator("registration", "application") as emu:
        assert emu.sheets is not None
        emu.sheets.load_fixture({"spreadsheetId": BOOK, "title": "状況", "sheets": {}})
        key = key_file(emu, tmp_path)
        example = google_example_config(emu, key, BOOK)
        example.pop("events", None)
        config = tmp_path / "config.yaml"
        config.write_text(
            yaml.safe_dump(example, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        registration = {
            "name": "伴走 一郎",
            "email": "user1@example.com",
            "phone": "090-0000-0001",
            "membership": "会員",
            "prefecture": ADDRESS,
            "consent": ["同意します"],
        }
        emu.forms.add_responses(
            form_id("registration"),
            [
                {
                    "createTime": "2022-06-01T01:00:00.000Z",
                    "answers": {REGISTRATION_TITLES[k]: v for k, v in registration.items()},
                }
            ],
        )
        applications = [
            {
                "supporter_id": "BN-0001",
                "name": "伴走 一郎",
                "email": "user1@example.com",
                "support_date": f"2022-06-{d + 1:02d}",
                "start_time": "10:00",
                "end_time": "12:00",
                "client_initials": f"Q{d}",
                "client_birth_year": "1985",
                "client_nationality": NATIONALITY,
                "topics": ["住まい", OTHER_TOPIC],
                "destinations": ["病院", LAWYER],
                "consent": ["同意します"],
            }
            for d in range(5)
        ]
        emu.forms.add_responses(
            form_id("application"),
            [
                {
                    "createTime": f"2022-06-{d + 2:02d}T09:00:00.000Z",
                    "answers": {APPLICATION_TITLES[k]: v for k, v in a.items()},
                }
                for d, a in enumerate(applications)
            ],
        )
        assert main(["init-sheet", "--config", str(config)]) == 0
        assert main(["once", "--config", str(config), "--now", "2022-06-10 12:00"]) == 0
        access = GoogleAccess(key, None, emu.base_url)
        scopes = ["https://www.googleapis.com/auth/spreadsheets"]
        book = gspread_client(access.credentials(scopes), emu.base_url).open_by_key(BOOK)
        stats = book.worksheet("統計").get_all_values()
        supporters = book.worksheet("伴走者").get_all_records()
    texts = {"統計": "\n".join(",".join(row) for row in stats)}
    for fmt in ("html", "xlsx", "pdf"):
        args = ["report", "--config", str(config), "--from", "2022-06", "--to", "2022-06"]
        assert main([*args, "--format", fmt, "--out", str(tmp_path / f"r.{fmt}")]) == 0
        texts[fmt] = EXTRACT[fmt](tmp_path / f"r.{fmt}")
    for where, text in texts.items():
        assert [t for t in (*TYPED, *FRAGMENTS) if t in text] == [], where
    table = {(row[0], row[1]): row[2] for row in stats[1:]}
    assert table[("合計", "申請件数")] == "秘匿"  # five applications, one volunteer
    assert supporters[0]["活動地域"] == ADDRESS  # staff still see what was typed
