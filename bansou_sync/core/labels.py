"""The 覚書 post (issue 6 §6): who still needs the memorandum, and the label sheet layout.

A label is due for every active registration that owns a 伴走ネットID, may apply (a
member, or referred by one: P6 — no 覚書 goes to one who cannot apply) and whose
覚書発送日 (staff column of 伴走者) is blank. The layout is the common A4 12面 sheet:
2 columns × 6 rows of 86.4 × 42.3 mm labels, no gaps, 18.6 mm side and 21.6 mm
top/bottom margins (2 × 86.4 + 2 × 18.6 = 210; 6 × 42.3 + 2 × 21.6 = 297).
Everything here is pure: plain data in, text and millimetre positions out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bansou_sync.core.model import Registration, RegistrationStatus
from bansou_sync.core.registrations import may_apply


@dataclass(frozen=True)
class SheetLayout:
    name: str
    page_mm: tuple[float, float]  # width, height
    columns: int
    rows: int
    label_mm: tuple[float, float]  # width, height
    margin_mm: tuple[float, float]  # left, top
    padding_mm: float = 5.0  # text inset inside a label

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


A4_12 = SheetLayout(
    name="A4 12面 (86.4×42.3mm, 2列×6段)",
    page_mm=(210.0, 297.0),
    columns=2,
    rows=6,
    label_mm=(86.4, 42.3),
    margin_mm=(18.6, 21.6),
)

ADDRESS_WIDTH = 22.0  # full-width characters per address line at the label's font size
ADDRESS_LINES = 3


@dataclass(frozen=True)
class Label:
    supporter_id: str
    name: str
    postal_code: str
    address: str


@dataclass(frozen=True)
class LabelRun:
    labels: list[Label]
    no_address: list[str]  # IDs due a 覚書 whose registration has no usable address
    cannot_apply: list[str] = field(default_factory=list)  # neither member nor referred


def postal(raw: str) -> str:
    """``1000001`` / ``１００－０００１`` → ``100-0001``; anything else as typed (trimmed)."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", raw) if ch.isdigit())
    if len(digits) == 7:
        return f"{digits[:3]}-{digits[3:]}"
    return unicodedata.normalize("NFKC", raw).strip()


def labels_due(registrations: Iterable[Registration], sent_on: Mapping[str, str]) -> LabelRun:
    """Active registrations with an ID that may apply and have no 覚書発送日, in order."""
    labels: list[Label] = []
    no_address: list[str] = []
    cannot_apply: list[str] = []
    for reg in sorted(registrations, key=lambda r: r.seq):
        if reg.status != RegistrationStatus.ACTIVE or not reg.supporter_id:
            continue
        if sent_on.get(reg.supporter_id, "").strip():
            continue
        if not may_apply(reg):
            cannot_apply.append(reg.supporter_id)
            continue
        address = " ".join(unicodedata.normalize("NFKC", reg.address).split())
        if not address or not reg.name.strip():
            no_address.append(reg.supporter_id)
            continue
        labels.append(Label(reg.supporter_id, reg.name.strip(), postal(reg.postal_code), address))
    return LabelRun(labels, no_address, cannot_apply)


def _width(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def wrap(text: str, width: float = ADDRESS_WIDTH, lines: int = ADDRESS_LINES) -> list[str]:
    """Break ``text`` into lines of at most ``width`` (full-width = 1, others 0.5); a space
    is preferred as a break; beyond ``lines`` the last line ends with …"""
    out: list[str] = []
    rest = text.strip()
    while rest:
        used, cut = 0.0, len(rest)
        for i, ch in enumerate(rest):
            used += _width(ch)
            if used > width:
                cut = i
                break
        if cut < len(rest):
            space = rest.rfind(" ", 0, cut)
            if space > cut // 2:
                cut = space
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if len(out) > lines:
        out = [*out[: lines - 1], out[lines - 1][:-1] + "…"]
    return out


def label_text(label: Label) -> list[str]:
    """The lines printed on one label, top to bottom."""
    return [
        f"〒{label.postal_code}" if label.postal_code else "",
        *wrap(label.address),
        "",
        f"{label.name} 様",
        f"({label.supporter_id})",
    ]


def place(index: int, layout: SheetLayout = A4_12) -> tuple[int, float, float]:
    """(page, left mm, top mm) of label ``index``: across, then down, then next page."""
    page, slot = divmod(index, layout.per_page)
    row, column = divmod(slot, layout.columns)
    left = layout.margin_mm[0] + column * layout.label_mm[0]
    top = layout.margin_mm[1] + row * layout.label_mm[1]
    return page, left, top


def csv_rows(labels: Iterable[Label]) -> list[list[str]]:
    """The mail-merge table: header, then one row per label."""
    header = ["伴走ネットID", "郵便番号", "住所", "氏名", "敬称"]
    return [header, *([x.supporter_id, x.postal_code, x.address, x.name, "様"] for x in labels)]
