"""The outbox token (schema 6, issue 14) names the outbox's content across processes:
every write of the outbox replaces it in the same transaction, a write rolled back
leaves it as it was, and reading never changes it. A cold start labels the メール tab
with it (``app.tabs.mail_tab_label``), so an unchanged outbox's tab is not made again."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from contract.test_ledger import T0, item

from bansou_sync.adapters.ledger import MIGRATIONS, Ledger


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "out" / "ledger.sqlite3"


def test_every_write_of_the_outbox_gives_a_new_token_and_reads_keep_it(path: Path) -> None:
    with Ledger.open(path) as ledger:
        seen = [ledger.outbox_token]
        with ledger.transaction():
            ledger.enqueue([item(1), item(2)])
        seen.append(ledger.outbox_token)
        ledger.outbox_items()
        ledger.changed_mail(ledger.watch_outbox())
        ledger.pending()
        assert ledger.outbox_token == seen[-1]  # reading is not writing
        ledger.mark_sending("<m1@bansou>")
        seen.append(ledger.outbox_token)
        ledger.mark_sent("<m1@bansou>", T0 + timedelta(minutes=1))
        seen.append(ledger.outbox_token)
        ledger.mark_review("<m2@bansou>", "宛先を確認してください")
        seen.append(ledger.outbox_token)
        ledger.scrub_outbox()
        seen.append(ledger.outbox_token)
    assert all(isinstance(token, bytes) and len(token) == 16 for token in seen)
    assert len(set(seen)) == len(seen)
    with Ledger.open(path) as again:  # the same content in another process: the same name
        assert again.outbox_token == seen[-1]


def test_a_write_rolled_back_or_dry_run_leaves_the_token_as_it_was(path: Path) -> None:
    with Ledger.open(path) as ledger:
        before = ledger.outbox_token
        with pytest.raises(RuntimeError), ledger.transaction():
            ledger.enqueue([item(1)])
            assert ledger.outbox_token != before  # inside: the content it names changed
            raise RuntimeError("the cycle failed half-way")
        assert ledger.outbox_token == before
        with ledger.transaction(commit=False):
            ledger.enqueue([item(1)])
        assert ledger.outbox_token == before
        assert ledger.outbox_items() == []


def test_a_ledger_of_schema_5_gets_an_outbox_token_that_its_writes_renew(path: Path) -> None:
    with Ledger.open(path) as ledger, ledger.transaction():
        ledger.enqueue([item(1)])
    raw = sqlite3.connect(path)
    for event in ("insert", "update", "delete"):
        raw.execute(f"DROP TRIGGER outbox_{event}_token")
    raw.execute("DROP TABLE outbox_token")
    raw.execute("PRAGMA user_version = 5")
    raw.commit()
    raw.close()
    assert len(MIGRATIONS) == 6
    with Ledger.open(path) as ledger:
        first = ledger.outbox_token
        assert isinstance(first, bytes)
        with ledger.transaction():
            ledger.enqueue([item(2)])
        assert ledger.outbox_token not in (None, first)
        assert len(ledger.outbox_items()) == 2


def test_a_ledger_opened_read_only_at_schema_5_has_no_outbox_token(path: Path) -> None:
    with Ledger.open(path):
        pass
    raw = sqlite3.connect(path)
    raw.execute("DROP TABLE outbox_token")
    raw.execute("PRAGMA user_version = 5")
    raw.commit()
    raw.close()
    with Ledger.open_readonly(path) as ledger:
        assert ledger.outbox_token is None
