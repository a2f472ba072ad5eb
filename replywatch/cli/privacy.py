"""``privacy purge|forget|export|log``: retention, erasure and access for outsiders' data.

What is removed when, and why, is in docs/operators/privacy.md; the rules in
storage/privacy.py. Output names counts and clients, never a text, handle or id of an
outsider, except the JSON an export writes, which is that person's data by request.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select

from replywatch import privacy
from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, pass_app
from replywatch.cli.formatting import table, when
from storage.clock import SYSTEM_CLOCK
from storage.models import PrivacyEvent
from storage.platforms import NAMES
from storage.private_files import write_private_text


@cli.group("privacy")
def privacy_group() -> None:
    """Outsiders' personal data: retention, erasure and access on request."""


@privacy_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@click.option("--client", "client_name", metavar="NAME", help="Only this client.")
@pass_app
def purge(app: AppContext, dry_run: bool, client_name: str | None) -> None:
    """Remove outsiders' texts, names and handles older than each client's retention.

    The service does this every day; the figures of past weeks stay as they are.
    """
    app.require_schema()
    now = SYSTEM_CLOCK.now()
    results = privacy.purge_expired_data(
        app.engine, app.settings, now=now, dry_run=dry_run, client_name=client_name
    )
    title = "Would remove (dry run)" if dry_run else "Removed"
    out = table(
        "client",
        "retention",
        "older than",
        "items",
        "likes",
        "younger items pseudonymised",
        "waiting for the metrics",
        title=f"{title}, {when(now)}",
    )
    for result in results:
        out.add_row(
            result.client,
            f"{result.retention_months} months",
            f"{result.cutoff:%Y-%m-%d}",
            str(result.items),
            str(result.likes),
            "-" if dry_run else str(result.related),
            str(result.waiting),
        )
    app.console.print(out if results else "No clients yet.")


def _author_options(command: click.Command) -> click.Command:
    command = click.option(
        "--author",
        required=True,
        metavar="HANDLE_OR_ID",
        help="The author's handle (@name) or platform id.",
    )(command)
    return click.option(
        "--platform",
        "platform_name",
        required=True,
        metavar="PLATFORM",
        help=f"One of {', '.join(NAMES)}.",
    )(command)


@privacy_group.command("forget")
@_author_options
@click.option(
    "--client", "client_name", metavar="NAME", help="Only in this client's accounts (default: all)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def forget(
    app: AppContext, platform_name: str, author: str, client_name: str | None, yes: bool
) -> None:
    """Remove everything personal of one author, for good, and keep them out later.

    Their texts, names and handles go; their ids become a pseudonym, so that threads and
    counts stay. Items collected later arrive without them.
    """
    app.require_schema()
    scope = f"client {client_name!r}" if client_name else "every client"
    if not yes and not click.confirm(
        f"Remove the texts, names and handles of this {platform_name} author in {scope}? "
        "This cannot be undone.",
        default=False,
    ):
        raise click.Abort()
    result = privacy.forget(
        app.engine,
        app.settings,
        platform_name=platform_name,
        author=author,
        client_name=client_name,
        now=SYSTEM_CLOCK.now(),
    )
    app.console.print(
        f"Forgotten in {result.client or 'every client'}: {result.items} items, "
        f"{result.likes} likes, their handle in {result.mentions} other texts, "
        f"{result.item_ids} item ids. "
        + (
            "The author is on the erasure list: collections keep them out."
            if result.listed
            else "The author was on the erasure list already."
        )
    )


@privacy_group.command("export")
@_author_options
@click.option(
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON here (readable by its owner only) instead of standard output.",
)
@pass_app
def export(app: AppContext, platform_name: str, author: str, output: Path | None) -> None:
    """Write everything stored about one author as JSON (a request for access)."""
    app.require_schema()
    data = privacy.export(
        app.engine,
        app.settings,
        platform_name=platform_name,
        author=author,
        now=SYSTEM_CLOCK.now(),
    )
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    summary = f"{len(data['items'])} items and {len(data['likes'])} likes"
    if output is None:
        click.echo(text, nl=False)
        click.echo(f"Exported {summary}.", err=True)
        return
    try:
        # 0600 also when the file existed: it is one person's data.
        write_private_text(output, text)
    except OSError as exc:
        raise BadInput(f"--output {output}: {exc.strerror}") from None
    app.console.print(f"Wrote {summary} to {output}.")


@privacy_group.command("log")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@pass_app
def privacy_log(app: AppContext, limit: int) -> None:
    """The privacy actions taken: purges, erasures and exports (counts, never whose)."""
    with app.session() as session:
        events = session.scalars(
            select(PrivacyEvent).order_by(PrivacyEvent.happened_at.desc()).limit(limit)
        ).all()
        out = table("when", "action", "platform", "client", "counts")
        for event in events:
            out.add_row(
                when(event.happened_at),
                event.action,
                event.platform or "-",
                event.client_name or ("-" if event.action == "purge" else "every client"),
                ", ".join(f"{key} {value}" for key, value in sorted(event.counts.items())),
            )
    app.console.print(out if events else "No privacy actions yet.")
