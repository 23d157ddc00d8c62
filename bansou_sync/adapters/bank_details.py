"""The treasurer's bank-details sources: a local CSV file or a Google spreadsheet.

Both hold one table, row 1 the headers below (other columns are ignored, so the
treasurer may keep 氏名 or メモ beside them), one row per volunteer. Every cell is read
as text: codes lose their leading zeros in Excel and Sheets, and the core puts them
back. Nothing read here is logged, and errors name the file or sheet and the column,
never a value.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import google.auth.exceptions
import gspread
import requests

from bansou_sync.adapters import retry
from bansou_sync.adapters.google_auth import SHEETS, GoogleAccess
from bansou_sync.adapters.gspread_http import gspread_client
from bansou_sync.adapters.retry import RetryPolicy
from bansou_sync.adapters.textfile import read_text
from bansou_sync.core.payment_batches import BankDetails
from bansou_sync.errors import BankDetailsUnavailable

COLUMNS = {  # header → BankDetails field
    "伴走ネットID": "supporter_id",
    "銀行コード": "bank_code",
    "支店コード": "branch_code",
    "預金種目": "account_type",
    "口座番号": "account_number",
    "口座名義(カナ)": "holder",
}
OPTIONAL = {"預金種目"}  # blank or absent: 普通


def details_from_rows(rows: list[list[str]], where: str) -> list[BankDetails]:
    """The table (row 1 headers) as ``BankDetails``; a missing column is an error."""
    if not rows:
        raise BankDetailsUnavailable(f"{where}: 空です / is empty (expected a header row)")
    header = [cell.strip().lstrip("\ufeff") for cell in rows[0]]
    position: dict[str, int] = {}
    for title, field in COLUMNS.items():
        if title in header:
            position[field] = header.index(title)
        elif title not in OPTIONAL:
            raise BankDetailsUnavailable(
                f"{where}: 1行目に「{title}」列がありません / no 「{title}」 column in row 1 "
                f"(needed: {', '.join(COLUMNS)})"
            )
    found = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue  # blank lines people leave between groups

        def cell(field: str, row: list[str] = row) -> str:
            at = position.get(field)
            return row[at] if at is not None and at < len(row) else ""

        found.append(BankDetails(**{field: cell(field) for field in COLUMNS.values()}))
    return found


class CsvBankDetails:
    """A CSV file the treasurer keeps (UTF-8 with or without BOM, or CP932 from Excel)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[BankDetails]:
        where = f"payments.bank_details.path ({self.path.name})"
        try:
            text = read_text(self.path, error=BankDetailsUnavailable)
        except OSError as exc:
            raise BankDetailsUnavailable(
                f"{where}: 口座情報ファイルを読めません / cannot read the bank-details file: "
                f"{exc.strerror}"
            ) from exc
        return details_from_rows(list(csv.reader(io.StringIO(text, newline=""))), where)


class SheetBankDetails:
    """A Google spreadsheet shared with the service account (read only, through gspread)."""

    def __init__(
        self,
        access: GoogleAccess,
        spreadsheet_id: str,
        worksheet: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.access = access
        self.spreadsheet_id = spreadsheet_id
        self.worksheet = worksheet
        self.policy = policy or RetryPolicy()

    def read(self) -> list[BankDetails]:
        where = "payments.bank_details.spreadsheet_id"
        values = self._call(self._values, where)
        return details_from_rows([[str(c) for c in row] for row in values], where)

    def _values(self) -> list[list[Any]]:
        credentials = self.access.credentials([SHEETS])
        client = gspread_client(credentials, self.access.api_base, self.policy.timeout_seconds)
        book = client.open_by_key(self.spreadsheet_id)
        tab = book.worksheet(self.worksheet) if self.worksheet else book.get_worksheet(0)
        values: list[list[Any]] = tab.get_all_values()
        return values

    def _call(self, fn: Any, where: str) -> list[list[Any]]:
        try:
            result: list[list[Any]] = retry.call(fn, self.policy)
            return result
        except gspread.exceptions.SpreadsheetNotFound as exc:
            raise BankDetailsUnavailable(
                f"{where}: 口座情報シートが見つかりません / the bank-details spreadsheet was "
                "not found: check the ID between /d/ and /edit, and that it is shared with "
                "the service account"
            ) from exc
        except gspread.exceptions.WorksheetNotFound as exc:
            raise BankDetailsUnavailable(
                f"payments.bank_details.worksheet: そのタブがありません / no such tab "
                f"in the bank-details spreadsheet ({exc})"
            ) from exc
        except google.auth.exceptions.GoogleAuthError as exc:
            raise BankDetailsUnavailable(
                "Google の認証に失敗しました。google.credentials_file を確認してください / "
                "Google sign-in failed, check google.credentials_file"
            ) from exc
        except (gspread.exceptions.APIError, requests.RequestException, OSError) as exc:
            status = retry.status_and_reason(exc)[0]
            hint = {
                404: "見つかりません / not found: check the ID between /d/ and /edit",
                403: "読む権限がありません。サービスアカウントと共有してください / "
                "no access: share it with the service account (read only is enough)",
            }.get(
                status or 0, f"今は読めません / cannot read it now ({status or type(exc).__name__})"
            )
            raise BankDetailsUnavailable(f"{where}: 口座情報シートが{hint}") from exc
