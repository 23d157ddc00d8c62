"""The ``payments.payer`` and ``payments.bank_details`` keys (payment files, issue 6).

Kept apart from ``config`` so the treasurer's settings read as one piece; ``config``
imports these models into ``PaymentsSettings``. Checks here are about form (digits,
kana, which keys a kind needs); whether a bank or branch code exists is checked against
the zengin-code master data when ``payment-files`` runs (``app.payment_files``), still
as a one-line error naming the key.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from bansou_sync import config_errors as check
from bansou_sync.core.zengin import ACCOUNT_TYPES, to_zengin_kana

BankDetailsKind = Literal["csv", "google"]


def _digits(width: int) -> Callable[[Any], str]:
    """At most ``width`` digits, zero-filled (YAML reads an unquoted 0001 as 1)."""

    def check_digits(value: Any) -> str:
        text = str(value).strip() if isinstance(value, (str, int)) else ""
        text = unicodedata.normalize("NFKC", text)
        if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or len(text) > width:
            check.fail(
                f"{width}桁以内の数字を指定してください", f"must be up to {width} digits", value
            )
        return text.zfill(width)

    return check_digits


def _kana(value: Any) -> str:
    converted = to_zengin_kana(value) if isinstance(value, str) else None
    if converted is None:
        check.fail(
            "カナ(全角・半角・ひらがな)、英大文字、数字で指定してください",
            "must be kana, capital letters or digits (what a bank transfer allows)",
            value,
        )
    return converted


def _account_type(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text not in ACCOUNT_TYPES or isinstance(value, bool):
        check.fail(
            "普通・当座・貯蓄 のいずれかを指定してください", "must be 普通, 当座 or 貯蓄", value
        )
    return ACCOUNT_TYPES[text]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", validate_default=True)


class PayerSettings(_Section):
    """The 依頼人: the secretariat's own account the transfers are paid from."""

    client_code: Annotated[str, BeforeValidator(_digits(10))]  # 依頼人コード (from the bank)
    name: Annotated[str, BeforeValidator(_kana)]  # 依頼人名, stored as half-width kana
    bank_code: Annotated[str, BeforeValidator(_digits(4))]  # 仕向銀行番号
    branch_code: Annotated[str, BeforeValidator(_digits(3))]  # 仕向支店番号
    account_type: Annotated[str, BeforeValidator(_account_type)] = "1"  # 預金種目: 普通
    account_number: Annotated[str, BeforeValidator(_digits(7))]


class BankDetailsSettings(_Section):
    """Where the treasurer keeps the volunteers' bank details (never the status sheet)."""

    kind: Annotated[BankDetailsKind, BeforeValidator(check.choice(*get_args(BankDetailsKind)))]
    path: Annotated[Path, BeforeValidator(check.path)] | None = None  # kind: csv
    spreadsheet_id: Annotated[str, BeforeValidator(check.text)] | None = None  # kind: google
    worksheet: Annotated[str, BeforeValidator(check.text)] | None = None  # None: the first tab

    @model_validator(mode="after")
    def _kind_needs(self) -> BankDetailsSettings:
        needed = {"csv": "path", "google": "spreadsheet_id"}[self.kind]
        if getattr(self, needed) is None:
            raise PydanticCustomError(
                "bansou",
                "{text}",
                {
                    "text": f"kind: {self.kind} のときは {needed} が必須です / "
                    f"{needed} is required when kind is {self.kind}"
                },
            )
        return self
