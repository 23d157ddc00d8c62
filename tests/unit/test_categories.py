"""The closed lists a published label comes from (SPEC §8, issue 10 §2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import app, member, members

from bansou_sync.bootstrap import policy_from
from bansou_sync.config import load_config
from bansou_sync.core.categories import (
    DEFAULT_NATIONALITIES,
    FORM_OPTIONS,
    PREFECTURES,
    nationality,
    nationality_map,
    options,
    prefecture,
)
from bansou_sync.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = "source: {kind: csv, registrations: r.csv, applications: a.csv}\n"


def test_the_fixed_options_are_the_reference_forms_checkbox_options() -> None:
    form = json.loads((ROOT / "reference" / "forms" / "application.form.json").read_text("utf-8"))
    titles = {"相談内容": "topics", "同行先": "destinations", "つながった公的支援": "outcomes"}
    for item in form["items"]:
        if item["title"] in titles:
            choice = item["questionItem"]["question"]["choiceQuestion"]
            assert FORM_OPTIONS[titles[item["title"]]] == tuple(
                o["value"] for o in choice["options"]
            )


def test_text_typed_in_the_other_option_counts_as_other_and_blank_as_unknown() -> None:
    assert options("topics", ["住まい", "山田花子さんの件", "ｲﾘｮｳ", "医療"]) == [
        "住まい",
        "その他",
        "医療",
    ]
    assert options("destinations", ["山田法律事務所"]) == ["その他"]
    assert options("topics", []) == ["不明"] and options("outcomes", [" "]) == ["なし"]


def test_there_are_forty_seven_prefectures() -> None:
    assert len(set(PREFECTURES)) == 47


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("東京都", "東京都"),
        ("東京", "東京都"),
        ("とうきょう", "東京都"),
        ("トウキョウト", "東京都"),
        ("Tokyo", "東京都"),
        ("TOKYO-TO", "東京都"),
        ("Tōkyō", "東京都"),
        ("ｵｵｻｶ", "大阪府"),
        ("京都", "京都府"),
        ("Hokkaido", "北海道"),
        ("東京都新宿区西新宿2-8-1 ハイツ101", "東京都"),
        ("神奈川県 横浜市", "神奈川県"),
        ("東京都、神奈川県", "その他"),  # two prefectures: neither
        ("大阪市北区", "その他"),  # no prefecture named in full
        ("関東", "その他"),
        ("山田方", "その他"),
        ("", "不明"),
        ("  ", "不明"),
    ],
)
def test_a_prefecture_answer_is_one_of_the_47_when_unambiguous(typed: str, label: str) -> None:
    assert prefecture(typed) == label


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("ベトナム", "ベトナム"),
        ("ﾍﾞﾄﾅﾑ", "ベトナム"),
        ("Viet Nam", "ベトナム"),
        ("vietnamese", "ベトナム"),
        ("ベトナム人", "ベトナム"),
        ("韓国籍", "韓国"),
        ("Philippines", "フィリピン"),
        ("Türkiye", "トルコ"),
        ("ベトナム(グエン・ヴァン・アン)", "その他"),  # a name beside it: not published
        ("山田花子", "その他"),
        ("コンゴ", "その他"),  # which Congo? not guessed
        ("不明", "不明"),
        ("", "不明"),
    ],
)
def test_a_nationality_answer_is_a_configured_label_when_unambiguous(
    typed: str, label: str
) -> None:
    assert nationality(typed, DEFAULT_NATIONALITIES) == label


def test_a_spelling_two_labels_claim_belongs_to_neither() -> None:
    known = nationality_map({"A国": ["Alpha"], "B国": ["Alpha", "Beta"]})
    assert nationality("Alpha", known) == "その他"
    assert nationality("beta", known) == "B国"


def test_the_nationalities_are_read_from_privacy_nationalities(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        MINIMAL
        + "privacy: {nationalities: {ベトナム: [Vietnam], 'ロヒンギャ': null, 台湾: 臺灣}}\n",
        encoding="utf-8",
    )
    policy = policy_from(load_config(path, env={}))
    assert policy.nationalities == (
        ("ベトナム", ("Vietnam",)),
        ("ロヒンギャ", ()),
        ("台湾", ("臺灣",)),
    )
    assert (
        policy_from(load_config(_minimal(tmp_path), env={})).nationalities == DEFAULT_NATIONALITIES
    )


def _minimal(tmp_path: Path) -> Path:
    path = tmp_path / "minimal.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    return path


@pytest.mark.parametrize("bad", ["[ベトナム]", '{ベトナム: [""]}', "{ベトナム: 3}"])
def test_a_bad_nationality_list_is_a_one_line_problem_naming_the_key(
    tmp_path: Path, bad: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(MINIMAL + f"privacy: {{nationalities: {bad}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert all("\n" not in p for p in caught.value.problems)
    assert any("privacy.nationalities" in p for p in caught.value.problems), caught.value.problems


def test_the_ledger_keeps_the_clients_nationality_and_prefecture_only_as_labels() -> None:
    office = members(0)
    office.registrations.append(member(1, prefecture="東京都新宿区西新宿2-8-1"))
    office.cycle("2022-06-01 09:00")
    office.applications += [
        app(
            "2022-06-02 18:00",
            "BN-0001",
            "2022-06-01",
            initials="TN",
            birth_year="1990",
            nationality="ベトナム(グエン)",
        ),
        app(
            "2022-06-02 18:01",
            "BN-0001",
            "2022-06-02",
            initials="TN",
            birth_year="1990",
            nationality="vietnam",
        ),
    ]
    office.cycle("2022-06-03 09:00")
    kept = sorted(office.state.applications.values(), key=lambda a: a.app_no)
    assert [(a.nationality, a.prefecture) for a in kept] == [
        ("その他", "東京都"),
        ("ベトナム", "東京都"),
    ]
    # the spelling still tells clients apart (SPEC §3): the hash sees the answer
    assert kept[0].client_code != kept[1].client_code
