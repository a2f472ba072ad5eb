"""``status``: what is configured, when each account was last collected, what needs care."""

from __future__ import annotations

from sqlalchemy import func, select

from replywatch.cli import cli
from replywatch.cli.context import AppContext, pass_app
from replywatch.cli.formatting import table, when
from storage.models import Account, Client, CollectionRun, CredentialStatus, Item, User


@cli.command()
@pass_app
def status(app: AppContext) -> None:
    """Clients, accounts, last collection per account, credentials needing renewal."""
    with app.session() as session:
        latest = (
            select(CollectionRun.account_id, func.max(CollectionRun.id).label("run_id"))
            .group_by(CollectionRun.account_id)
            .subquery()
        )
        items = (
            select(Item.account_id, func.count().label("item_count"))
            .group_by(Item.account_id)
            .subquery()
        )
        rows = session.execute(
            select(Account, Client.name, CollectionRun, func.coalesce(items.c.item_count, 0))
            .join(Client, Client.id == Account.client_id)
            .outerjoin(latest, latest.c.account_id == Account.id)
            .outerjoin(CollectionRun, CollectionRun.id == latest.c.run_id)
            .outerjoin(items, items.c.account_id == Account.id)
            .order_by(Client.name, Account.id)
        ).all()
        clients = session.scalar(select(func.count()).select_from(Client)) or 0
        users = session.scalar(select(func.count()).select_from(User)) or 0

        app.console.print(f"Database: {app.engine.url.render_as_string(hide_password=True)}")
        app.console.print(f"{clients} clients, {len(rows)} accounts, {users} users.")
        if not rows:
            app.console.print("No accounts yet: replywatch account add --help")
            return
        out = table(
            "id", "client", "platform", "handle", "items", "last collection", "outcome",
            "credentials",
        )  # fmt: skip
        attention: list[str] = []
        for account, client_name, run, item_count in rows:
            outcome = run.outcome if run else "-"
            if run and run.outcome not in ("ok", "running"):
                detail = f": {run.error}" if run.error else ""
                attention.append(
                    f"account {account.id} {account.handle}: last run {outcome}{detail}"
                )
            if account.credential_status == CredentialStatus.NEEDS_RENEWAL:
                reason = f" ({account.credential_error})" if account.credential_error else ""
                attention.append(
                    f"account {account.id} {account.handle}: credentials need renewal{reason}"
                )
            out.add_row(
                str(account.id),
                client_name,
                account.platform,
                account.handle + ("" if account.active else " (inactive)"),
                str(item_count),
                when(run.started_at if run else None),
                outcome,
                account.credential_status,
            )
        app.console.print(out)
        if attention:
            app.console.print("[bold]Needs attention:[/bold]")
            for line in attention:
                app.console.print(f"  - {line}", markup=False)
        else:
            app.console.print("Nothing needs attention.")
