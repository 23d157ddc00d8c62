"""The benchmark suite of issue 5: bansou-sync against the emulator, beside a naive baseline."""
