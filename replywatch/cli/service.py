"""``run``: the long-running service (scheduler, collections, weekly emails)."""

from __future__ import annotations

import logging
import sys

import click

from replywatch.cli import cli
from replywatch.cli.context import AppContext, pass_app
from replywatch.jobs import WorkMissing
from replywatch.service import serve


def configure_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if level != "debug":
        # APScheduler logs every job start and end at INFO; ours say what matters.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        logging.getLogger("choreographer").setLevel(logging.WARNING)
        logging.getLogger("kaleido").setLevel(logging.WARNING)


@cli.command()
@pass_app
def run(app: AppContext) -> None:
    """Run the service until SIGTERM or Ctrl-C: collections, rollups, weekly emails.

    Several `run` processes may share one database: one runs the scheduler, the others
    stand by and take over when it stops or dies.
    """
    app.require_schema()
    configure_logging(app.settings.get("log_level"))
    logging.getLogger("replywatch.service").info(
        "replywatch run on %s", app.engine.url.render_as_string(hide_password=True)
    )
    try:
        serve(app.engine, app.settings)
    except WorkMissing as exc:
        raise click.ClickException(str(exc)) from None
