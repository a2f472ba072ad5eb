"""Collectors: platform truth into storage.

``run`` is the platform-neutral collection framework (one run of one account: retries,
rate limits, credentials, problems, crash-safe commits; its docstring is the contract a
platform collector implements). One package per platform turns that platform's payloads
into ``storage.records`` in a single ``records`` module: ``x`` (tweepy), ``graph``
(facebook-sdk: Facebook Pages and Instagram), ``mastodon`` (Mastodon.py) and ``bluesky``
(atproto). ``http`` points a library's hard-coded host at the configured base URL,
``redact`` keeps tokens out of messages and logs, ``cursors`` and ``stored`` are what the
collectors share about where they stand, ``rereads`` decides when a thread that costs a
call to read (Mastodon, Bluesky) is read again.
"""
