"""payments.payer / payments.bank_details: validated at start-up, one line per key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bansou_sync.config import Settings, load_config
from bansou_sync.errors import ConfigError

BASE = {"source": {"kind": "csv", "registrations": "r.csv", "applications": "a.csv"}}
PAYER = {
    "client_code": 123,  # YAML read 0000000123 as a number: the digits are kept, zero-filled
    "name": "じむきょく てすと",
    "bank_code": 1,
    "branch_code": "001",
    "account_type": "当座",
    "account_number": "1234567",
}


def load(tmp_path: Path, payments: dict[str, object]) -> Settings:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(BASE | {"payments": payments}, allow_unicode=True), "utf-8")
    return load_config(path, env={})


def test_payer_settings_are_normalised_to_what_the_transfer_file_needs(tmp_path: Path) -> None:
    settings = load(tmp_path, {"payer": PAYER, "bank_details": {"kind": "csv", "path": "b.csv"}})
    payer = settings.payments.payer
    assert payer is not None
    assert (payer.client_code, payer.name, payer.bank_code, payer.account_type) == (
        "0000000123",
        "ｼﾞﾑｷﾖｸ ﾃｽﾄ",
        "0001",
        "2",
    )
    details = settings.payments.bank_details
    assert details is not None
    assert details.path == tmp_path / "b.csv"  # relative to the config file
    assert settings.payments.files_dir == tmp_path / "out" / "payments"


def test_payment_files_settings_are_optional(tmp_path: Path) -> None:
    settings = load(tmp_path, {})
    assert settings.payments.payer is None


def test_every_bad_payer_key_is_one_line_naming_it(tmp_path: Path) -> None:
    bad = PAYER | {"name": "事務局", "bank_code": "12345", "account_type": "普通預金"}
    bad |= {"account_number": "12-34"}
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"payer": bad, "bank_details": {"kind": "google"}})
    keys = sorted(problem.split(":")[0] for problem in caught.value.problems)
    assert keys == [
        "payments.bank_details",
        "payments.payer.account_number",
        "payments.payer.account_type",
        "payments.payer.bank_code",
        "payments.payer.name",
    ]
    assert all("\n" not in problem for problem in caught.value.problems)
    google = next(p for p in caught.value.problems if p.startswith("payments.bank_details"))
    assert "spreadsheet_id" in google
