"""Tools the IT helper runs at set-up, outside the daemon's cycle: ``doctor``,
``init-sheet``, ``inspect-form`` and ``google-selftest``. They sit beside the CLI (the
shell), so they may use the adapters and the configuration; the daemon's ``app/``
never imports them."""
