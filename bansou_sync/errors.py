"""The exceptions bansou-sync raises on purpose.

    BansouError                   anything the CLI reports as one message, no traceback
    ├── ConfigError               the configuration file is missing or invalid (names keys)
    ├── SourceUnavailable         a configured response source cannot be read
    ├── SheetError                the status sheet cannot be read or written
    │   └── SheetFormatError      a tab file exists but cannot be understood (encoding, headers)
    ├── MailError                 a message could not be delivered
    │   ├── TemporaryMailError    try again later (network, quota)
    │   └── PermanentMailError    never retry (unusable address, refused, cannot be built):
    │                             the message is parked as failed, the next one is sent
    ├── LedgerError               the SQLite ledger cannot be opened or written
    ├── AlreadyRunning            another process holds the ledger's lock
    ├── BankDetailsUnavailable    the treasurer's bank-details source cannot be read
    └── GuardTripped              a safety check refused to act (e.g. a source went empty)

Library exceptions are translated into these at the adapter edge
(``raise SourceUnavailable(...) from exc``) so the app and the CLI never see them.
"""

from __future__ import annotations


class BansouError(Exception):
    """Base of every error that is reported to people as a single message."""


class ConfigError(BansouError):
    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class SourceUnavailable(BansouError):
    pass


class SheetError(BansouError):
    pass


class SheetFormatError(SheetError):
    pass


class MailError(BansouError):
    pass


class TemporaryMailError(MailError):
    pass


class PermanentMailError(MailError):
    pass


class LedgerError(BansouError):
    pass


class AlreadyRunning(BansouError):
    pass


class GuardTripped(BansouError):
    pass


class BankDetailsUnavailable(BansouError):
    pass
