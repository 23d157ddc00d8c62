"""The ledger flags that count failed cycles (written by ``app.failures``, shown by
``bansou-sync status``): kept apart so that ``status`` reads them without importing the
cycle."""

COUNT, SINCE, ALERTED = "failures", "failing_since", "failure_alerted"
