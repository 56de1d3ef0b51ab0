"""Pure detectors: text, bytes and caller-prepared counts in, signals out (no I/O, no clock)."""
