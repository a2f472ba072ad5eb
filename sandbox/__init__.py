"""Simulated platforms: local HTTP servers speaking the X, Graph, Mastodon and Bluesky wire
formats, fed by a platform-neutral world (``sandbox.world``). Used by the tests, the demo
and the benchmarks. Imports nothing of replywatch's own."""
