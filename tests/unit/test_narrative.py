"""The narrative is reduced to categories by the configurable keyword map (SPEC §8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import app, members

from bansou_sync.bootstrap import policy_from
from bansou_sync.config import load_config
from bansou_sync.core.narrative import DEFAULT_KEYWORDS, EMPTY, UNMATCHED, categories, keyword_map
from bansou_sync.core.stats import stats_rows, unmatched
from bansou_sync.errors import ConfigError

MAP = keyword_map({"医療": ["病院", "受診"], "仕事・労働": ["ハローワーク"]})
MINIMAL = "source: {kind: csv, registrations: r.csv, applications: a.csv}\n"


def test_a_narrative_counts_under_every_category_whose_keyword_it_contains() -> None:
    text = "病院の受診に同行し、ハローワークにも行きました。"
    assert categories(text, MAP) == ("医療", "仕事・労働")


def test_keywords_match_across_full_and_half_width_forms() -> None:
    assert categories("ﾊﾛｰﾜｰｸで求職登録", MAP) == ("仕事・労働",)


def test_a_narrative_matching_nothing_is_unmatched_and_a_blank_one_is_empty() -> None:
    assert categories("生活全般の相談を聞いた。", MAP) == (UNMATCHED,)
    assert categories("  \n", MAP) == (EMPTY,)


def test_the_default_map_covers_the_reference_topics() -> None:
    assert [c for c, _ in DEFAULT_KEYWORDS][:3] == ["生活保護・生活困窮", "住まい", "医療"]


def test_the_tab_counts_categories_and_staff_get_only_the_numbers_that_matched_nothing() -> None:
    office = members(7)
    narratives = ["病院に同行した。"] * 5 + ["生活全般の相談を聞いた。"] * 2
    office.applications += [
        app(
            f"2022-07-{i + 1:02d} 18:00",
            f"BN-{i + 1:04d}",
            f"2022-07-{i + 1:02d}",
            initials=f"C{i}",
            birth_year="1990",
            nationality="ネパール",
            narrative=text,
        )
        for i, text in enumerate(narratives)
    ]
    office.cycle("2022-07-09 07:00")
    rows = stats_rows(office.state, 5, MAP)
    table = {(section, item): value for section, item, value in rows}
    assert table[("支援内容の分類", "医療")] == 5
    assert table[("支援内容の分類", UNMATCHED)] == "<5"
    assert not any("病院に" in str(cell) or "相談を聞" in str(cell) for row in rows for cell in row)
    listed = unmatched(office.state, MAP)
    assert len(listed) == 2 and all(no.startswith("A-") for no in listed)


def test_the_keyword_map_is_read_from_privacy_topic_keywords(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        MINIMAL + "privacy: {topic_keywords: {医療: [病院], 住まい: 家賃}}\n", encoding="utf-8"
    )
    policy = policy_from(load_config(path, env={}))
    assert policy.topic_keywords == (("医療", ("病院",)), ("住まい", ("家賃",)))


@pytest.mark.parametrize("bad", ["{医療: []}", "[病院]", '{医療: [""]}'])
def test_a_bad_keyword_map_is_a_one_line_problem_naming_the_key(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(MINIMAL + f"privacy: {{topic_keywords: {bad}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert all("\n" not in p for p in caught.value.problems)
    assert any("privacy.topic_keywords" in p for p in caught.value.problems), caught.value.problems


def test_the_example_config_shows_the_built_in_map() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    assert policy_from(load_config(example, env={})).topic_keywords == DEFAULT_KEYWORDS
