"""``python -m tests.support.service_process``: the real service with test work functions.

Settings come from the environment (REPLYWATCH_DATABASE_URL, REPLYWATCH_SERVICE_…), as
for ``replywatch run``; only the work the jobs call is swapped, by reference.
"""

from __future__ import annotations

import argparse
import logging
import sys

from replywatch.config import load_settings
from replywatch.jobs import Work
from replywatch.service import serve
from storage.engine import make_engine


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--collect", default="tests.support.service_work:record_collection")
    parser.add_argument("--rollup", default="tests.support.service_work:record_rollup")
    parser.add_argument("--builder", default="tests.support.snapshots:build_for_request")
    args = parser.parse_args()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    work = Work(collect=args.collect, refresh_rollups=args.rollup, build_snapshot=args.builder)
    return serve(engine, settings, work=work)


if __name__ == "__main__":
    sys.exit(main())
