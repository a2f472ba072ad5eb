"""Metrics: the definitions of docs/metrics.md as pure functions and as SQL at scale."""
