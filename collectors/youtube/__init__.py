"""YouTube channels through google-api-python-client (YouTube Data API v3).

``records`` is the only module that knows the API's JSON; ``client`` wraps the library on
the configured root URL and turns its errors into ``collectors.errors``; ``collect`` is the
run (what is read, in which order, what it costs); ``factory`` builds it for the registry.
"""
