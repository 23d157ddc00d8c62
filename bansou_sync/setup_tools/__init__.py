"""Tools the IT helper runs at set-up, outside the daemon's cycle (``google-selftest``)."""
