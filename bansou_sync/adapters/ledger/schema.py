"""The ledger file's schema, its migrations, and how SQLite errors are told to people.

Schema changes are steps in ``MIGRATIONS``, applied in order by ``PRAGMA user_version``
when a ledger is opened; ``APPLICATION_ID`` in the file header marks the file as ours.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from bansou_sync.errors import LedgerError

APPLICATION_ID = 0x42534E43  # "BSNC" in the file header: this SQLite file is a ledger
RECOVER_HINT = "run `bansou-sync recover` to rebuild it from the status Sheet"

# the tables of ``core.state.State`` (state_store.py): their writes change ``state_token``
STATE_TABLES = (
    "registrations",
    "applications",
    "clients",
    "desks",
    "batches",
    "counters",
    "seen",
    "flags",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        "CREATE TABLE registrations (response_id TEXT PRIMARY KEY, supporter_id TEXT,"
        " payload TEXT NOT NULL)",
        "CREATE INDEX registrations_supporter ON registrations (supporter_id)",
        "CREATE TABLE applications (app_no TEXT PRIMARY KEY, response_id TEXT NOT NULL,"
        " payload TEXT NOT NULL)",
        "CREATE INDEX applications_response ON applications (response_id)",
        "CREATE TABLE clients (hash TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE)",
        "CREATE TABLE desks (supporter_id TEXT PRIMARY KEY, payload TEXT NOT NULL)",
        "CREATE TABLE batches (key TEXT PRIMARY KEY, payload TEXT NOT NULL)",
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "CREATE TABLE seen (key TEXT PRIMARY KEY, last_submitted TEXT NOT NULL)",
        "CREATE TABLE flags (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # *_utc columns hold codec.utc_key(...) so that text order is time order
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL, ref TEXT NOT NULL, recipients TEXT NOT NULL,
            event_key TEXT NOT NULL, context TEXT NOT NULL,
            created_at TEXT NOT NULL, created_utc TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'review')),
            sent_at TEXT, sent_utc TEXT,
            attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',
            send_after TEXT, send_after_utc TEXT)""",
        "CREATE INDEX outbox_status ON outbox (status, created_utc, seq)",
        "CREATE INDEX outbox_sent ON outbox (sent_utc)",
        """CREATE TABLE cycles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL, result TEXT NOT NULL,
            new_registrations INTEGER NOT NULL, new_applications INTEGER NOT NULL,
            mails_sent INTEGER NOT NULL, errors TEXT NOT NULL, idle INTEGER NOT NULL)""",
    ),
    (  # 2: Gmail drafts, recorded before they are sent (exactly-once delivery, issue 4)
        "CREATE TABLE drafts (message_id TEXT PRIMARY KEY, draft_id TEXT NOT NULL)",
    ),
    (  # 3: retention and emergency requests (issue 6; bansou_sync/adapters/ledger/features.py)
        "CREATE TABLE purged (key TEXT PRIMARY KEY, purged_at TEXT NOT NULL)",
        "CREATE TABLE purges (id INTEGER PRIMARY KEY AUTOINCREMENT, run_at TEXT NOT NULL,"
        " scope TEXT NOT NULL, counts TEXT NOT NULL, ids TEXT NOT NULL)",
        "CREATE TABLE emergency_requests (request_no TEXT PRIMARY KEY,"
        " response_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)",
    ),
    (  # 4: course and event sign-ups (issue 6 §1; bansou_sync/adapters/ledger/features.py)
        "CREATE TABLE event_signups (event_id TEXT NOT NULL, response_id TEXT NOT NULL,"
        " payload TEXT NOT NULL, PRIMARY KEY (event_id, response_id))",
    ),
    (  # 5: a token that every write of a State table replaces (issue 14; snapshot.py)
        "CREATE TABLE state_token (only INTEGER PRIMARY KEY CHECK (only = 1), token BLOB NOT NULL)",
        "INSERT INTO state_token VALUES (1, randomblob(16))",
        *(
            f"CREATE TRIGGER {table}_{event.lower()}_token AFTER {event} ON {table}"
            " BEGIN UPDATE state_token SET token = randomblob(16); END"
            for table in STATE_TABLES
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
    ),
    (  # 6: a token that every write of the outbox replaces (issue 14: the メール tab's label)
        "CREATE TABLE IF NOT EXISTS outbox_token"
        " (only INTEGER PRIMARY KEY CHECK (only = 1), token BLOB NOT NULL)",
        "INSERT OR REPLACE INTO outbox_token VALUES (1, randomblob(16))",
        *(
            f"CREATE TRIGGER IF NOT EXISTS outbox_{event.lower()}_token AFTER {event} ON outbox"
            " BEGIN UPDATE outbox_token SET token = randomblob(16); END"
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
    ),
)


def prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Check that the file at ``path`` is a sound ledger this version can read, set the
    pragmas, and migrate it to the newest schema."""
    app_id = _scalar(conn, "PRAGMA application_id")
    version = _scalar(conn, "PRAGMA user_version")
    tables = _scalar(conn, "SELECT count(*) FROM sqlite_master")
    if app_id != APPLICATION_ID and (app_id or version or tables):
        raise LedgerError(
            f"ledger {path}: this SQLite file is not a bansou-sync ledger;"
            f" check state.path, or move the file away and {RECOVER_HINT}"
        )
    if version > len(MIGRATIONS):
        raise LedgerError(
            f"ledger {path}: written by a newer bansou-sync (schema {version},"
            f" this version knows {len(MIGRATIONS)}); upgrade bansou-sync"
        )
    check = _scalar(conn, "PRAGMA quick_check")
    if check != "ok":
        raise LedgerError(f"ledger {path}: the file is damaged ({check}); {RECOVER_HINT}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    _migrate(conn)


def _migrate(conn: sqlite3.Connection) -> None:
    while True:
        conn.execute("BEGIN IMMEDIATE")  # re-read under the lock: another
        try:  # process may have migrated meanwhile
            version = _scalar(conn, "PRAGMA user_version")
            if version >= len(MIGRATIONS):
                conn.execute("COMMIT")
                return
            for step in MIGRATIONS[version]:
                conn.execute(step)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _scalar(conn: sqlite3.Connection, sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    return None if row is None else row[0]


def create_private(path: Path) -> None:
    """Create ``path`` as 0600 if missing; take group and other access away if present."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    mode = path.stat().st_mode
    if mode & 0o077:
        path.chmod(mode & 0o700)


_ERROR_REASONS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the ledger file or its folder is read-only",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_CANTOPEN: "the file cannot be opened (check the folder and permissions)",
    sqlite3.SQLITE_BUSY: "another process holds the ledger locked",
    sqlite3.SQLITE_LOCKED: "another process holds the ledger locked",
    sqlite3.SQLITE_IOERR: "a disk I/O error occurred",
    sqlite3.SQLITE_CORRUPT: f"the file is damaged; {RECOVER_HINT}",
    sqlite3.SQLITE_NOTADB: f"the file is not an SQLite database; {RECOVER_HINT}",
}


def translate(exc: sqlite3.Error, path: Path, doing: str) -> LedgerError:
    code = getattr(exc, "sqlite_errorcode", None)
    reason = _ERROR_REASONS.get(code & 0xFF) if isinstance(code, int) else None
    detail = f"{reason} ({exc})" if reason else str(exc)
    return LedgerError(f"ledger {path}: cannot {doing}: {detail}")
