"""Bluesky through the atproto Client: ``BlueskyCollector`` for the collection framework.

``client`` wraps atproto (AppView and PDS, counting, rate limits, error translation),
``records`` is the only module that knows the app.bsky JSON, ``collect`` decides what to
read and when.
"""

from collectors.bluesky.collect import BlueskyCollector

__all__ = ["BlueskyCollector"]
