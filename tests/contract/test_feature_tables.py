"""The ledger tables of issue 6's staff tools, on a real SQLite ledger."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bansou_sync.adapters.ledger import Ledger, OutboxItem

NOW = datetime(2023, 9, 1, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_tombstones_and_the_purge_record_survive_reopening_the_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger.open(path) as ledger, ledger.transaction():
        ledger.add_tombstones(["registration|r1", "application|a1"], NOW)
        ledger.add_tombstones(["registration|r1"], NOW)  # twice is once
        ledger.record_purge(NOW, "privacy", {"registration": 1}, {"registration": ["BN-0001"]})
    with Ledger.open(path) as ledger:
        assert ledger.tombstones() == {"registration|r1", "application|a1"}
        [record] = ledger.purges()
        assert (record["scope"], record["counts"], record["ids"]) == (
            "privacy",
            {"registration": 1},
            {"registration": ["BN-0001"]},
        )


def test_the_outbox_scrub_removes_recipients_and_context_and_stops_unsent_mail(
    tmp_path: Path,
) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        ledger.enqueue(
            [
                OutboxItem(
                    "<m1@x>",
                    "registration_confirmed",
                    "BN-0001",
                    ("a@example.com",),
                    "e1",
                    {"name": "架空 花子"},
                    NOW,
                ),
                OutboxItem(
                    "<m2@x>",
                    "application_received",
                    "A-000001",
                    ("b@example.com",),
                    "e2",
                    {"name": "架空 次郎"},
                    NOW,
                ),
            ]
        )
        ledger.mark_sent("<m1@x>", NOW)
        assert ledger.outbox_with_personal() == 2
        assert ledger.scrub_outbox() == 2
        items = {i.message_id: i for i in ledger.outbox_items()}
        assert {(i.to, json.dumps(i.context)) for i in items.values()} == {((), "{}")}
        assert (items["<m1@x>"].status, items["<m2@x>"].status) == ("sent", "failed")
        assert ledger.outbox_with_personal() == 0


def test_event_sign_ups_lose_their_name_and_email_but_stay(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        with ledger.writing("seed") as conn:
            conn.execute(
                "INSERT INTO event_signups (event_id, response_id, payload) VALUES (?, ?, ?)",
                (
                    "course-1",
                    "r9",
                    json.dumps({"name": "架空 花子", "email": "h@example.com", "number": 3}),
                ),
            )
        assert ledger.event_signups_with_personal(scrub=False) == ["course-1/r9"]
        assert ledger.event_signups_with_personal(scrub=True) == ["course-1/r9"]
        assert ledger.event_signups_with_personal(scrub=False) == []
        with ledger.writing("read") as conn:
            payload = json.loads(conn.execute("SELECT payload FROM event_signups").fetchone()[0])
        assert payload == {"name": "", "email": "", "number": 3}
