"""X (API v2) through tweepy: ``XCollector`` for the collection framework.

``client`` wraps tweepy.Client (host rewriting, error translation), ``records`` is the only
module that knows X's JSON, ``collect`` decides what to read and when.
"""

from collectors.x.collect import XCollector

__all__ = ["XCollector"]
