"""Debian's headless Chromium as the browser tests and bench/dashboard.py start it.

Playwright's own browser downloads are not used (the machine has no internet for them);
the flags keep the browser from reaching anything but this machine, so a page that asked
a CDN for a file would show up as a failed request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
# The browser tests write the README's screenshots here on every run.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Every host name but the local ones resolves to nothing.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists()


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Playwright browser on Debian's Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()
