"""An HTML page printed to PDF by Debian's Chromium, headless (``--print-to-pdf``).

The page is a file in a fresh temporary folder, printed by a browser with its own
throw-away profile and without network: every host name but the local ones resolves to
nothing, so a page that asked for an outside file could not get it. (The audit page also
forbids every script and outside file in its Content-Security-Policy; Chromium's switch
that turns scripts off stops ``--print-to-pdf`` from printing at all.) The
page's CSS decides paper, margins, page breaks and the footer (``@page`` margin boxes
with ``counter(page)``, which Chromium prints since version 131); Chromium's own header
and footer (date, file path) are switched off.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from reports.chart import ChartError, check_browser

DEFAULT_BROWSER = "/usr/bin/chromium"
PRINT_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--no-pdf-header-footer",
)


class PdfError(RuntimeError):
    """The browser could not print the page (missing, crashed, timed out)."""


def print_to_pdf(
    page: str,
    browser: str = DEFAULT_BROWSER,
    timeout: float = 120,
    setting: str = "reports.browser",
) -> bytes:
    """``page`` (a whole HTML document) as PDF bytes; ``setting`` names where ``browser``
    was configured, for the message when it is missing."""
    try:
        check_browser(browser, setting)
    except ChartError as exc:
        raise PdfError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="replywatch-pdf-") as folder:
        source = Path(folder) / "report.html"
        target = Path(folder) / "report.pdf"
        source.write_text(page, encoding="utf-8")
        command = [
            browser,
            *PRINT_FLAGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            finished = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfError(
                f"the browser {browser} did not print the report in {timeout:g} s"
            ) from None
        except OSError as exc:
            raise PdfError(f"the browser {browser} could not be started: {exc}") from None
        if finished.returncode != 0 or not target.exists():
            # Chromium logs harmless complaints (no D-Bus) on stderr; the last line says why.
            said = (finished.stderr.strip().splitlines() or ["no message"])[-1]
            raise PdfError(
                f"the browser {browser} failed to print the report "
                f"(exit status {finished.returncode}): {said}"
            )
        document = target.read_bytes()
    if not document.startswith(b"%PDF-"):
        raise PdfError(f"the browser {browser} wrote something that is not a PDF")
    return document
