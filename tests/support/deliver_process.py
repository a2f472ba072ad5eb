"""``python -m tests.support.deliver_process``: send due emails from a separate process."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from replywatch.config import load_settings
from replywatch.emailing import send_due_emails
from storage.engine import make_engine
from tests.support.snapshots import build_for_request


def main() -> int:
    go = Path(sys.argv[1])
    settings = load_settings()
    engine = make_engine(settings.database_url)
    while not go.exists():
        time.sleep(0.005)
    report = send_due_emails(engine, settings, build_snapshot=build_for_request)
    print(f"sent={len(report.sent)} skipped={len(report.skipped)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
