"""Keep tokens out of messages and logs.

Tokens travel in query strings (Graph ``access_token=``), in headers (the ``Bearer`` of X,
Mastodon and a Bluesky session) and, for Bluesky app passwords, in a login body. They end
up in places replywatch does not write itself: requests' ``ConnectionError`` texts quote
the URL, urllib3 logs it at debug level, tweepy logs its request headers at debug level.
Every secret a collector uses is registered here; :func:`scrub` removes them from any text,
and :func:`install_log_filter` does the same for those libraries' logs.
"""

from __future__ import annotations

import logging
import re
import threading

from storage.platforms import log_names

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False

# Shapes that are secrets whoever wrote them: query parameters and authorization headers.
_PATTERNS = (
    re.compile(
        r"((?:access_token|refresh_token|client_secret|code_verifier|fb_exchange_token"
        r"|input_token|(?<![A-Za-z_])code)=)[^&\s'\"]+"
    ),
    # Token answers as OAuth libraries log them (requests_oauthlib: "Obtained token {...}").
    re.compile(
        r"""(["'](?:access_token|refresh_token|client_secret|id_token|accessJwt|refreshJwt)"""
        r"""["']\s*:\s*["'])[^"']+"""
    ),
    # A token after the scheme word is long; "Invalid OAuth access token" is prose.
    re.compile(r"((?:Bearer|OAuth)\s+)[A-Za-z0-9%._~+/=-]{16,}"),
)
MASK = "***"
# The loggers that may carry secrets are those of the platforms' client libraries and
# their HTTP stacks, declared per platform in the registry.
LEAKY_LOGGERS = log_names()


def register_secret(value: str | None) -> None:
    """Remember a secret so that scrub() and the log filter remove it. Short values are
    ignored: masking every "a" in a message helps nobody."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    """The text without any registered secret or token-shaped query/header value."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_filter() -> None:
    """Attach the scrubbing filter to the loggers of the HTTP and platform libraries."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    scrubber = _ScrubFilter()
    for name in LEAKY_LOGGERS:
        logging.getLogger(name).addFilter(scrubber)
