"""Mastodon (any instance) through Mastodon.py: ``MastodonCollector`` for the framework.

``client`` wraps Mastodon.py (counting, rate limits, error translation), ``records`` is the
only module that knows Mastodon's JSON, ``collect`` decides what to read and when.
"""

from collectors.mastodon.collect import MastodonCollector

__all__ = ["MastodonCollector"]
