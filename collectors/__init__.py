"""Collectors: platform truth into storage.

``contract`` is what a platform collector implements and is handed (the collector, its
factory, the run context and its batches); ``runner`` runs one collection of one account
whatever the platform (retries, rate limits, credentials, problems, crash-safe commits).
One package per platform turns that platform's payloads into ``storage.records`` in a
single ``records`` module and builds its collector in ``factory`` (named by the platform
registry, ``storage.platforms``): ``x`` (tweepy), ``graph`` (facebook-sdk: Facebook Pages
and Instagram), ``mastodon`` (Mastodon.py) and ``bluesky`` (atproto). ``http`` points a
library's hard-coded host at the configured base URL, ``redact`` keeps tokens out of
messages and logs, ``cursors`` and ``stored`` are what the collectors share about where
they stand, ``rereads`` decides when a thread that costs a call to read (Mastodon,
Bluesky) is read again. Importing offline data sets is not collecting: it lives in
``replywatch.importing``.
"""
