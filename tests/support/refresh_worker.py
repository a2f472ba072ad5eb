"""A separate process that asks for a connected account's token at a given instant:
``python -m tests.support.refresh_worker CONFIG ACCOUNT_ID ISO_NOW START_FILE``.

It waits until ``START_FILE`` exists (so that two workers start together), then calls
``replywatch.connect.tokens.collection_secret`` (which refreshes an X token that ends
soon) and prints the SHA-256 of the token it got, or ``problem: …``.
"""

from __future__ import annotations

import hashlib
import sys
import time
from datetime import datetime
from pathlib import Path

from replywatch.config import load_settings
from replywatch.connect.tokens import CredentialProblem, NotNow, collection_secret
from storage.engine import make_engine


def main() -> int:
    config, account_id, now, start = sys.argv[1:5]
    settings = load_settings(config_file=config, env={})
    engine = make_engine(settings.database_url)
    deadline = time.monotonic() + 30
    while not Path(start).exists():
        if time.monotonic() > deadline:
            print("problem: never started")
            return 1
        time.sleep(0.002)
    try:
        token = collection_secret(engine, settings, int(account_id), datetime.fromisoformat(now))
    except (CredentialProblem, NotNow) as exc:
        print(f"problem: {exc}")
        return 1
    finally:
        engine.dispose()
    print(hashlib.sha256(token.encode()).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main())
