"""Benchmarks of flame-hub against raw httpx2 and the official flame-hub-client; run ``python -m benchmarks``."""
