"""Render docs/labels-example.png: page 1 of the 覚書 label sheet, with fictitious people.

.venv/bin/python scripts/render_label_example.py [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

from bansou_sync.app.labels import write_preview_png
from bansou_sync.core.labels import Label

PEOPLE = (  # all fictitious: names from the reference generator's syllables, 架空 addresses
    ("架空 花子", "東京都千代田区架空町1-1-1 架空ハイツ101"),
    ("Dolor Fakerova", "大阪府大阪市架空区試験町2-3-4"),
    ("試野 太郎", "北海道札幌市架空区架空町一丁目二番三号 架空マンション1203号室"),
    ("Nguyen Van Gia", "愛知県名古屋市架空区仮野町5-6"),
    ("仮野 次郎", "福岡県福岡市架空区例町7-8-9"),
    ("Maria Ficticia", "神奈川県横浜市架空区見本町10-11"),
    ("想定寺 みどり", "京都府京都市架空区想定町12"),
)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "docs/labels-example.png"
    labels = [
        Label(f"BN-{i:04d}", name, "100-0001", address)
        for i, (name, address) in enumerate(PEOPLE, start=1)
    ]
    write_preview_png(labels, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
