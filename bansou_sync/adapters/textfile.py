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
    return decode_text(path.read_bytes(), path, error=error)


def decode_text(data: bytes, path: Path, *, error: type[BansouError] = SheetFormatError) -> str:
    """``read_text`` of bytes already read from ``path``."""
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


# Form answers may carry a stray control character (a vertical tab pasted from Word, a
# NUL) or, rarely, a byte that is not UTF-8: one such character must not refuse the
# whole export (issue 10 §3). The answer is cleaned later (core.untrusted); only a file
# where such characters are common is taken for a binary file.
_STRAY_SHARE = 0.01
_STRAY_BYTES = 16


def read_export_text(path: Path, *, error: type[BansouError] = SheetFormatError) -> tuple[str, int]:
    """The text of a form export and how many undecodable bytes were replaced by U+FFFD.

    As ``read_text``, but a few control characters are accepted, and a UTF-8 file with a
    few bytes that are not UTF-8 is read with those bytes replaced (the caller names the
    rows holding them). A CP932 file read as UTF-8 fails on its header row alone (dozens
    of Japanese characters), far beyond ``_STRAY_BYTES``."""
    return decode_export(path.read_bytes(), path, error=error)


def decode_export(
    data: bytes, path: Path, *, error: type[BansouError] = SheetFormatError
) -> tuple[str, int]:
    """``read_export_text`` of bytes already read from ``path``."""
    limit = max(1, int(len(data) * _STRAY_SHARE))
    text: str | None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
        replaced = text.count("\ufffd") - data.decode("utf-8-sig", "ignore").count("\ufffd")
        if replaced > _STRAY_BYTES:
            try:
                text, replaced = data.decode("cp932"), 0
            except UnicodeDecodeError:
                text = None
    else:
        replaced = 0
    if text is not None and len(_BINARY.findall(text)) <= limit:
        return text, replaced
    raise error(
        f"{path} は文字コードを判別できないか、テキストファイルではありません。"
        f"{ACCEPTED} の CSV として保存し直してください "
        f"(cannot read {path.name}: expected text in UTF-8 with or without BOM, or CP932)"
    )
