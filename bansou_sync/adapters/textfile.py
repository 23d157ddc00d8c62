"""Reading text files that people may have re-saved with Excel on Japanese Windows."""

from __future__ import annotations

import re
from pathlib import Path

from bansou_sync.errors import BansouError, SheetFormatError

ACCEPTED = "UTF-8 (BOM あり・なし) または Shift_JIS (CP932)"

# Control characters other than tab, LF and CR: no CSV file people saved contains them.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def read_text(path: Path, *, error: type[BansouError] = SheetFormatError) -> str:
    """The text of ``path``: UTF-8 with or without BOM, else CP932.

    Anything else raises ``error`` naming the file and the accepted encodings. CP932
    decodes many byte strings, so decoded text holding control characters is refused
    too: that is a binary file, not a spreadsheet. ``OSError`` is left to the caller,
    which knows whether a missing file is a problem. Line endings are left as they are
    (the csv module handles CR LF, also inside quoted cells).
    """
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _BINARY.search(text):
            return text
    raise error(
        f"{path} は文字コードを判別できないか、テキストファイルではありません。"
        f"{ACCEPTED} の CSV として保存し直してください "
        f"(cannot read {path.name}: expected text in UTF-8 with or without BOM, or CP932)"
    )
