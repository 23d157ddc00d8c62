"""``bansou-sync report`` through the CLI on the embedded default with the reference data
(issue 6 §2): the three formats carry the 統計 tab's published counts, and the text of
every format holds no input name, email, phone, initials, address or narrative."""

from __future__ import annotations

import csv
import html.parser
import io
import os
import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bansou_sync.adapters.ledger import Ledger
from bansou_sync.app import report as rep
from bansou_sync.app import report_pdf
from bansou_sync.cli import main
from bansou_sync.core import network
from bansou_sync.core.calendar import JST
from bansou_sync.core.categories import prefecture_order
from bansou_sync.core.maps import NETWORK_TITLE, SUPPORTS_TITLE
from bansou_sync.core.narrative import DEFAULT_KEYWORDS
from bansou_sync.core.stats import WITHHELD

from .conftest import Project, application, registration

ROOT = Path(__file__).resolve().parents[2]
STAFF_COLUMNS = {"審査": 15}  # 申請: the 16th column


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")


def staff_accepts_and_pays(status: Path, step: str) -> None:
    """The secretariat: approve what waits, tick every supporter's documents, then pay."""
    if step == "review":
        rows = rows_of(status / "申請.csv")
        for row in rows[1:]:
            if row[10] == "pending_review":
                row[15] = "承認"
        write_rows(status / "申請.csv", rows)
        rows = rows_of(status / "伴走者.csv")
        header = rows[0]
        for row in rows[1:]:
            row[header.index("覚書受領")] = row[header.index("口座届出受領")] = "TRUE"
        write_rows(status / "伴走者.csv", rows)
    else:
        rows = rows_of(status / "支払.csv")
        header = rows[0]
        for row in rows[1:]:
            if row[header.index("状態")] == "予定":
                row[header.index("支払済")] = "TRUE"
        write_rows(status / "支払.csv", rows)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("report")
    shutil.copytree(ROOT / "reference", folder / "reference")
    config = folder / "config.yaml"
    config.write_text((ROOT / "config.example.yaml").read_text("utf-8"), encoding="utf-8")
    old = os.environ.get("BANSOU_CLIENT_KEY")
    os.environ["BANSOU_CLIENT_KEY"] = "report-test-key"
    status = folder / "out" / "status"
    assert main(["once", "--config", str(config), "--now", "2023-03-15 12:00"]) == 0
    staff_accepts_and_pays(status, "review")
    assert main(["once", "--config", str(config), "--now", "2023-03-16 12:00"]) == 0
    staff_accepts_and_pays(status, "pay")
    assert main(["once", "--config", str(config), "--now", "2023-04-11 12:00"]) == 0
    for fmt in ("html", "xlsx", "pdf"):
        args = ["report", "--config", str(config), "--from", "2022-05", "--to", "2023-02"]
        args += ["--format", fmt, "--out", str(folder / f"report.{fmt}")]
        assert main([*args, "--unmatched", str(folder / "unmatched.csv")]) == 0
    yield folder
    if old is None:
        os.environ.pop("BANSOU_CLIENT_KEY", None)
    else:
        os.environ["BANSOU_CLIENT_KEY"] = old


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts += [v for k, v in attrs if k == "alt" and v]


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "\n".join(parser.parts)


def xlsx_text(path: Path) -> str:
    book = load_workbook(path)
    return "\n".join(
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


EXTRACT = {"html": html_text, "xlsx": xlsx_text, "pdf": pdf_text}


def personal_values() -> set[str]:
    """Every name, email, phone, address, initials and narrative in the reference input."""
    values: set[str] = set()
    for row in csv.DictReader(
        io.StringIO((ROOT / "reference" / "registrations.csv").read_text("utf-8"))
    ):
        for column in ("氏名", "ふりがな", "メールアドレス", "電話番号", "住所", "紹介者のお名前"):
            values.add(row[column])
            values.update(row[column].split())
    for row in csv.DictReader(
        io.StringIO((ROOT / "reference" / "applications.csv").read_text("utf-8"))
    ):
        values.update((row["氏名"], *row["氏名"].split(), row["メールアドレス"]))
        initials = row["相談者のイニシャル"]
        values.update((initials, re.sub(r"[^A-Za-z]", "", initials)))
        narrative = row["支援の内容"]
        values.add(narrative)
        values.update(s for s in re.split(r"[。\n]", narrative) if s)
    return {v.strip() for v in values if len(v.strip()) >= 2}


def tokens(text: str) -> set[str]:
    """Whole tokens: runs between spaces, line breaks and punctuation."""
    return {t for t in re.split(r"[\s,;:()/<>「」『』、。・〜“”\"']+", text) if t}


@pytest.mark.parametrize("fmt", ["html", "xlsx", "pdf"])
def test_no_name_email_phone_initials_or_narrative_appears_in_any_format(
    reference_run: Path, fmt: str
) -> None:
    text = EXTRACT[fmt](reference_run / f"report.{fmt}")
    found = tokens(text)
    personal = personal_values()
    assert not (personal & found)
    # longer values (narratives, addresses, emails) not even inside a token
    assert [v for v in personal if len(v) >= 8 and v in text] == []


@pytest.mark.parametrize("fmt", ["html", "xlsx", "pdf"])
def test_every_format_carries_the_published_counts(reference_run: Path, fmt: str) -> None:
    text = EXTRACT[fmt](reference_run / f"report.{fmt}")
    for label in ("申請件数", "謝金支払額(円)", "月別", "活動地域", "相談内容", "同行先"):
        assert label in text
    for label in ("つながった公的支援", "支援内容の分類", "国籍", "判定", "2022-05 〜 2023-02"):
        assert label in text
    assert "<5" in text and "秘匿" in text


def test_the_xlsx_has_the_same_rows_as_the_published_counts(reference_run: Path) -> None:
    sheet = load_workbook(reference_run / "report.xlsx")["統計"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    start = values.index(["区分", "項目", "件数"]) + 1
    table = {(s, i): v for s, i, v in values[start:]}
    assert isinstance(table[("合計", "申請件数")], int) and table[("合計", "申請件数")] > 200
    assert (
        isinstance(table[("合計", "謝金支払額(円)")], int) and table[("合計", "謝金支払額(円)")] > 0
    )
    months = [i for s, i in table if s == "月別"]
    assert months == [f"2022-{m:02d}" for m in range(5, 13)] + ["2023-01", "2023-02"]
    assert all(isinstance(v, int) or v in ("<5", "秘匿") for v in table.values())


def test_the_network_sections_reach_the_tab_and_every_format_in_jis_order(
    reference_run: Path,
) -> None:
    """Issue 15 §2 on the embedded default: every volunteer accepted and paid, so the
    table of those who worked is published too; prefectures in JIS code order."""
    sheet = load_workbook(reference_run / "report.xlsx")["統計"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    rows = values[values.index(["区分", "項目", "件数"]) + 1 :]
    for title in network.TITLES:
        assert title in [r[0] for r in rows]
        for fmt in ("html", "pdf"):
            assert title in EXTRACT[fmt](reference_run / f"report.{fmt}")
    table = {(s, i): v for s, i, v in rows}
    supporters = rows_of(reference_run / "out" / "status" / "伴走者.csv")
    active = [r for r in supporters[1:] if r[supporters[0].index("状態コード")] == "active"]
    assert table[(network.NET_TOTAL, network.ACTIVE)] == len(active)
    worked = [(i, v) for s, i, v in rows if s == network.NET_WORKED]
    assert worked and worked[0][0] != WITHHELD
    for title in (network.NET_PREFECTURE, network.NET_WORKED, "活動地域"):
        places = [i for s, i, _ in rows if s == title and i != network.HIDDEN_AREAS]
        assert places == prefecture_order(places), title
    tab = rows_of(reference_run / "out" / "status" / "統計.csv")
    assert [r for r in tab[1:] if r[0].startswith("伴走ネット")]
    # people are counted as people: the network's tables say 人数, the others 件数
    page = (reference_run / "report.html").read_text("utf-8")
    network_table = page.split(f"<h2>{network.NET_PREFECTURE}</h2>", 1)[1]
    assert network_table.index("<th>人数</th>") < network_table.index("</table>")
    assert page.split("<h2>活動地域</h2>", 1)[1].index("<th>件数</th>") < 40


def test_the_supporters_tab_shows_languages_and_course_wish_for_staff(
    reference_run: Path,
) -> None:
    tab = rows_of(reference_run / "out" / "status" / "伴走者.csv")
    assert tab[0][-2:] == ["対応できる言語", "講座受講希望"]
    first = dict(zip(tab[0], next(r for r in tab[1:] if r[0] == "BN-0001"), strict=True))
    assert (first["対応できる言語"], first["講座受講希望"]) == ("日本語、ネパール語", "いいえ")


def test_the_html_embeds_charts_as_png_and_loads_nothing_from_outside(reference_run: Path) -> None:
    page = (reference_run / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') >= 3
    assert "http://" not in page and "https://" not in page


def test_staff_get_the_unmatched_narratives_as_application_numbers_only(
    reference_run: Path,
) -> None:
    rows = rows_of(reference_run / "unmatched.csv")
    assert rows[0] == ["申請番号"] and len(rows) > 1
    assert all(re.fullmatch(r"A-\d{6}", r[0]) for r in rows[1:])


class _Images(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img" and str(found.get("src", "")).startswith("data:image/png;base64,"):
            self.alts.append(found.get("alt") or "")


def image_alts(path: Path) -> list[str]:
    parser = _Images()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.alts


def map_alts(path: Path) -> list[str]:
    return [a for a in image_alts(path) if a.endswith("。") and "の地図" in a]


def test_the_html_shows_both_maps_with_their_prefectures_in_words_and_a_legend(
    reference_run: Path,
) -> None:
    path = reference_run / "report.html"
    network, supports = map_alts(path)
    assert network.startswith(f"{NETWORK_TITLE}の地図") and "東京都" in network
    assert supports.startswith(f"{SUPPORTS_TITLE}の地図")
    # the reference network has prefectures of fewer than five volunteers: hidden, named so
    assert "非公開(<5・秘匿): " in network and "福岡県" in network.split("非公開")[1]
    text = html_text(path)
    assert text.count("非公開(<5・秘匿): 少数、または逆算を防ぐため") == 2  # each map's legend
    assert "5〜9人" in text and "0(なし)/ none" in text


def test_the_pdf_is_an_a4_handout_numbered_with_the_period_and_date_on_every_page(
    reference_run: Path,
) -> None:
    pages = PdfReader(reference_run / "report.pdf").pages
    made_on = datetime.now(JST).date().isoformat()
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        text = page.extract_text()
        assert f"{number} / {len(pages)}" in text
        assert "2022-05 〜 2023-02" in text and made_on in text
    maps = pages[1].extract_text()
    assert NETWORK_TITLE in maps and SUPPORTS_TITLE in maps and "非公開(<5・秘匿)" in maps
    assert "件数" in pages[2].extract_text()  # the tables' header row


def test_the_maps_page_shown_in_the_docs_is_the_one_the_report_draws(reference_run: Path) -> None:
    """docs/report-example-maps.png is current: regenerate it with
    scripts/render_report_example.py (the same programme, period and date)."""
    with Ledger.open_readonly(reference_run / "out" / "ledger.sqlite3") as ledger:
        state = ledger.load_state()
    report = rep.build(
        state, DEFAULT_KEYWORDS, 5, rep.period("2022-05", "2023-02"), date(2023, 4, 12)
    )
    page = rep.page_pngs(report, dpi=72)[report_pdf.maps_page(report)]
    assert page == (ROOT / "docs" / "report-example-maps.png").read_bytes(), (
        "docs/report-example-maps.png is not current: run scripts/render_report_example.py"
    )


# Issue 10 §2: what one volunteer types freely, as the issue found it published
ADDRESS = "東京都新宿区西新宿2-8-1 ハイツ西新宿101号"
OTHER_TOPIC = "山田花子さんの家賃滞納"  # a client's name in the 「その他」 text
NATIONALITY = "ベトナム(グエン・ヴァン・アン)"  # a nationality written with a name
LAWYER = "弁護士法人さくら綜合法律事務所"  # a lawyer's office as 同行先
TYPED = (ADDRESS, OTHER_TOPIC, NATIONALITY, LAWYER)
FRAGMENTS = ("西新宿", "ハイツ", "山田", "花子", "滞納", "グエン", "さくら", "綜合", "弁護士")


def typed_applications(supporters: list[int], count: int) -> list[dict[str, str]]:
    return [
        application(
            f"2022/06/{d + 2:02d} 18:00:00",
            supporter_id=f"BN-{supporters[d % len(supporters)]:04d}",
            email=f"user{supporters[d % len(supporters)]}@example.com",
            support_date=f"2022/06/{d + 1:02d}",
            client_initials=f"Q{d}",
            client_nationality=NATIONALITY,
            topics=f"住まい, {OTHER_TOPIC}",
            destinations=f"病院, {LAWYER}",
        )
        for d in range(count)
    ]


def published_texts(project: Project, tmp_path: Path) -> dict[str, str]:
    """The 統計 tab and the three report formats, as text a reader would get."""
    texts = {"統計": project.tab_path("統計").read_text(encoding="utf-8-sig")}
    for fmt in ("html", "xlsx", "pdf"):
        out = tmp_path / f"r.{fmt}"
        args = ("report", "--config", str(project.config_path), "--from", "2022-06")
        project.cli(*args, "--to", "2022-06", "--format", fmt, "--out", str(out))
        texts[fmt] = EXTRACT[fmt](out)
    return texts


def test_one_volunteers_typed_answers_appear_in_no_tab_or_report(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config()
    project.write_registrations(
        [registration("2022/06/01 9:00:00", "伴走 一郎", "user1@example.com", prefecture=ADDRESS)]
    )
    project.write_applications(typed_applications([1], 5))
    project.once("2022-06-10 12:00")
    texts = published_texts(project, tmp_path)
    for where, text in texts.items():
        assert [t for t in (*TYPED, *FRAGMENTS) if t in text] == [], where
    # five applications of one volunteer: not even their number is published
    table = {(r["区分"], r["項目"]): r["件数"] for r in project.tab("統計")}
    assert table[("合計", "申請件数")] == "秘匿"
    totals = ("合計", network.NET_TOTAL)
    assert {i for s, i in table if s not in totals} == {"(少数のため非公開)"}
    assert table[(network.NET_TOTAL, network.ACTIVE)] == "<5"  # one volunteer
    # staff still see what was typed, in the staff tabs
    assert project.supporter("BN-0001")["活動地域"] == ADDRESS


def test_typed_answers_count_as_other_however_many_volunteers_type_them(tmp_path: Path) -> None:
    """Five volunteers type the same words: counted under その他 and 東京都, never named;
    a category staff named like a formula stays text in the XLSX, quote-prefixed."""
    project = Project(tmp_path)
    keywords = {"=医療": ["病院"], "-住まい": ["家賃"], "+仕事": ["仕事"], "@在留": ["入管"]}
    project.write_config(privacy={"topic_keywords": keywords})
    project.write_registrations(
        [
            registration(
                f"2022/06/01 9:0{i}:00",
                f"伴走 {i}郎",
                f"user{i}@example.com",
                phone=f"090-0000-{i:04d}",
                prefecture=ADDRESS,
            )
            for i in range(1, 6)
        ]
    )
    project.write_applications(typed_applications([1, 2, 3, 4, 5], 5))
    project.once("2022-06-10 12:00")
    texts = published_texts(project, tmp_path)
    for where, text in texts.items():
        assert [t for t in (*TYPED, *FRAGMENTS) if t in text] == [], where
    table = {(r["区分"], r["項目"]): r["件数"] for r in project.tab("統計")}
    assert table[("活動地域", "東京都")] == "5"
    assert table[("国籍", "その他")] == "5"
    assert table[("相談内容", "その他")] == table[("同行先", "その他")] == "5"
    cells = [c for row in load_workbook(tmp_path / "r.xlsx")["統計"].iter_rows() for c in row]
    formula_like = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert "=医療" in [c.value for c in formula_like]
    assert all(c.data_type == "s" and c.quotePrefix for c in formula_like)


def test_markup_in_a_category_name_stays_text_in_the_html(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write_config(privacy={"topic_keywords": {"<b>医療</b>": ["病院"]}})
    project.register(5)
    project.write_applications(
        [
            application(
                f"2022/06/{d + 2:02d} 18:00:00",
                supporter_id=f"BN-{d + 1:04d}",
                email=f"user{d + 1}@example.com",
                support_date=f"2022/06/{d + 1:02d}",
                client_initials=f"Q{d}",
            )
            for d in range(5)
        ]
    )
    project.once("2022-06-10 12:00")
    out = tmp_path / "r.html"
    args = ("report", "--config", str(project.config_path), "--from", "2022-06", "--to", "2022-06")
    project.cli(*args, "--format", "html", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "<b>" not in page and "&lt;b&gt;医療&lt;/b&gt;" in page


def test_a_bad_period_is_one_line_naming_the_option(project: Project) -> None:
    project.write_config()
    result = project.cli("report", "--from", "2022-13", "--format", "html", check=False)
    assert result.returncode == 2 and "--from" in result.stderr and "Traceback" not in result.stderr
    project.register(1)
    project.once("2022-06-10 12:00")
    result = project.cli("report", "--from", "2023-01", "--to", "2022-06", check=False)
    assert result.returncode == 1 and "--from" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
