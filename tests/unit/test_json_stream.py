"""``decode_streamed`` gives what ``json.loads`` gives, however the reply is cut."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from requests.exceptions import JSONDecodeError

from bansou_sync.adapters.json_stream import decode_streamed

REPLY = {
    "spreadsheetId": "fictitious-sheet",
    "valueRanges": [
        {
            "valueRange": {
                "range": f"'申請'!A{n}:F{n}",
                "majorDimension": "ROWS",
                "values": [[f"A-{n:05d}", "承認 ✅", 12345.5, -7, True, None, 'é\\"q"']],
            },
            "dataFilters": [{"developerMetadataLookup": {"metadataId": 100000 + n}}],
        }
        for n in range(60)
    ],
    "empty": [],
    "nested": {"list": [1, 2.5e3, [], {}], "text": "  \t"},
    "count": 1234567,
}


def _cut(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), 40))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def _tagged(obj: dict[str, Any]) -> Any:
    return ("tag", obj["valueRange"]["range"]) if "valueRange" in obj else obj


@pytest.mark.parametrize("indent", [None, 2])
def test_a_reply_cut_anywhere_even_inside_a_character_decodes_as_json_loads_does(
    indent: int | None,
) -> None:
    data = json.dumps(REPLY, ensure_ascii=False, indent=indent).encode("utf-8") + b"\n"
    rng = random.Random(7)
    expected = json.loads(data, object_hook=_tagged)
    for _ in range(30):
        assert decode_streamed(_cut(data, rng), _tagged) == expected
    assert decode_streamed([data], _tagged) == expected
    assert decode_streamed([bytes([b]) for b in data[:400]] + [data[400:]], _tagged) == expected


def test_a_number_cut_at_a_chunk_end_is_read_whole() -> None:
    assert decode_streamed([b'{"count": 12', b"34}"], dict) == {"count": 1234}
    assert decode_streamed([b'{"list": [12', b"34, 5]}"], dict) == {"list": [1234, 5]}


def test_the_hook_sees_the_top_level_object_as_json_loads_does() -> None:
    seen: list[dict[str, Any]] = []

    def hook(obj: dict[str, Any]) -> Any:
        seen.append(obj)
        return len(seen)

    assert decode_streamed([b'{"a": {"b": 1}, "c": []}'], hook) == 2
    assert seen == [{"b": 1}, {"a": 1, "c": []}]
    assert decode_streamed([b" { } "], dict) == {}


@pytest.mark.parametrize(
    "text", [b"", b'{"a": [1, 2}', b'{"a": 1', b'{"a" 1}', b'{"a": 1} x', b'{"a": [1,]}']
)
def test_malformed_text_raises_the_error_requests_raises_for_bad_json(text: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)  # the standard library refuses it too
    with pytest.raises(JSONDecodeError):
        decode_streamed([text[:3], text[3:]], dict)


def test_a_reply_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(JSONDecodeError):
        decode_streamed([b"[1, 2]"], dict)
