"""``init`` and ``db``: create, migrate and compact the database."""

from __future__ import annotations

from pathlib import Path

import click

from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, pass_app
from storage.compact import CompactionFailed, DatabaseBusy, compact
from storage.migrate import MigrationRefused, current_revision, head_revision, upgrade


def _upgrade(app: AppContext) -> None:
    try:
        upgrade(app.engine)
    except MigrationRefused as exc:
        raise BadInput(f"cannot upgrade {_describe(app)}: {exc}") from None


def _describe(app: AppContext) -> str:
    url = app.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return f"SQLite database {Path(url.database).expanduser()}"
    return f"database {url.render_as_string(hide_password=True)}"


@cli.command()
@pass_app
def init(app: AppContext) -> None:
    """Create the database (or bring it up to date). Safe to run again."""
    before = current_revision(app.engine)
    _upgrade(app)
    after = current_revision(app.engine)
    if before == after:
        app.console.print(f"{_describe(app)} is ready (schema {after}).")
    else:
        app.console.print(f"Initialised {_describe(app)} (schema {before or 'empty'} → {after}).")
    app.console.print("Next: replywatch client add NAME --time-zone Europe/Berlin")


@cli.group()
def db() -> None:
    """Database schema maintenance."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: AppContext) -> None:
    """Apply the migrations the database lacks."""
    before = current_revision(app.engine)
    _upgrade(app)
    after = current_revision(app.engine)
    if before == after:
        app.console.print(f"{_describe(app)} is up to date (schema {after}).")
    else:
        app.console.print(f"Upgraded {_describe(app)}: {before or 'empty'} → {after}.")


@db.command("current")
@pass_app
def db_current(app: AppContext) -> None:
    """Show the schema revision of the database and the one this version needs."""
    current, head = current_revision(app.engine), head_revision()
    state = "up to date" if current == head else "needs: replywatch db upgrade"
    click.echo(f"{_describe(app)}: schema {current or 'none'}; this version needs {head} ({state})")


@db.command("compact")
@click.option(
    "--wait",
    type=click.IntRange(0, 3600),
    default=5,
    show_default=True,
    help="Seconds to wait for another process's lock before giving up.",
)
@pass_app
def db_compact(app: AppContext, wait: int) -> None:
    """Give back the space of deleted rows and dropped indexes.

    SQLite: VACUUM rewrites the file without its free pages (stop `replywatch run` and
    `serve` first; it needs up to twice the file's size in free disk while it runs).
    PostgreSQL: VACUUM ANALYZE marks dead rows' space for reuse and refreshes the
    planner's statistics, without locking anyone out.
    """
    app.require_schema()
    try:
        done = compact(app.engine, wait_ms=wait * 1000)
    except DatabaseBusy as exc:
        raise BadInput(
            f"cannot compact {_describe(app)}: {exc}; stop `replywatch run` and "
            "`replywatch serve` first"
        ) from None
    except CompactionFailed as exc:
        raise BadInput(f"cannot compact {_describe(app)}: {exc} (nothing was changed)") from None
    verb = "Compacted" if app.engine.dialect.name == "sqlite" else "Vacuumed and analysed"
    app.console.print(
        f"{verb} {_describe(app)}: {_megabytes(done.before)} → {_megabytes(done.after)} "
        f"({_megabytes(max(0, done.before - done.after))} given back)."
    )
    if done.readers_waiting:
        app.console.print(
            "Another process is reading the database (`replywatch serve`?): the file "
            "shrinks once it lets go, at the next write or when this command runs again."
        )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"
