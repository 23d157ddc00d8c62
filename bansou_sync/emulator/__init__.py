"""A local emulator of the Google APIs bansou-sync uses (OAuth, Forms v1, Sheets v4,
Gmail v1), for tests, benchmarks and trying the Google backends without an account."""
