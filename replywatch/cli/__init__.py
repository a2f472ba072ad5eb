"""The ``replywatch`` command line.

Every invalid argument, file or setting ends in one line on standard error naming the
input and the expected form, with exit status 2, before anything is written.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from sqlalchemy.exc import DatabaseError, OperationalError

from replywatch import __version__
from replywatch.cli.context import AppContext
from replywatch.config import ConfigError
from replywatch.secrets import SecretError
from replywatch.validation import InputError
from storage.engine import database_reason


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="replywatch")
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="Database URL (sqlite:///PATH or postgresql://…); overrides REPLYWATCH_DATABASE_URL.",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    help="TOML configuration file; overrides REPLYWATCH_CONFIG.",
)
@click.pass_context
def cli(context: click.Context, database_url: str | None, config_file: str | None) -> None:
    """Audit whether a business's social accounts answer their customers."""
    if isinstance(context.obj, AppContext):
        # A caller that runs commands in-process (the demo) passes its own context.
        return
    context.obj = AppContext(config_file=config_file, database_url=database_url)


def _register() -> None:
    # Each module adds its commands to ``cli``; importing them is what registers them.
    from replywatch.cli import (  # noqa: F401
        accounts,
        clients,
        collect,
        connecting,
        database,
        demo,
        email,
        identities,
        importing,
        metrics,
        privacy,
        report,
        serve,
        service,
        status,
        users,
    )


_register()


def _error(message: str, command: str | None = None) -> int:
    where = f"replywatch {command}" if command else "replywatch"
    click.echo(f"{where}: error: {message}", err=True)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # Without standalone mode click *returns* the code of a click.exceptions.Exit.
        returned = cli.main(args=args, prog_name="replywatch", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return 0
    except click.UsageError as exc:
        command = exc.ctx.command_path.removeprefix("replywatch").strip() if exc.ctx else None
        return _error(exc.format_message().rstrip("."), command or None)
    except click.ClickException as exc:
        return _error(exc.format_message()) if exc.exit_code == 2 else _show(exc)
    except (InputError, ConfigError, SecretError) as exc:
        return _error(str(exc))
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except OperationalError as exc:
        # An unreachable or locked database is an operating problem, not a bug: one line.
        reason = database_reason(exc)
        click.echo(f"replywatch: cannot use the database: {reason}", err=True)
        return 1
    except DatabaseError as exc:
        # Not a database at all (--db pointing at another file): bad input, not a bug. The
        # commands that check the schema first name the URL (AppContext.require_schema).
        reason = database_reason(exc)
        if "not a database" not in reason:
            raise
        return _error(f"the database cannot be used: {reason}; is --db (database.url) right?")
    except (click.Abort, KeyboardInterrupt):
        click.echo("replywatch: aborted", err=True)
        return 130
    is_code = isinstance(returned, int) and not isinstance(returned, bool)
    return returned if is_code else 0


def _show(exc: click.ClickException) -> int:
    exc.show()
    return exc.exit_code
