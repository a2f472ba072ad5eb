"""``email check|retry``: test the SMTP settings, send a failed or uncertain email again."""

from __future__ import annotations

import click
from sqlalchemy import select

from replywatch import validation
from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, pass_app
from replywatch.config import ConfigError
from replywatch.emailing import send_check_email
from reports.delivery import retry_now
from reports.mailer import SendError
from storage.clock import SYSTEM_CLOCK
from storage.models import EmailDelivery


@cli.group(name="email")
def email_group() -> None:
    """Weekly email deliveries and the SMTP settings."""


@email_group.command()
@click.option("--to", "recipient", required=True, metavar="ADDRESS", help="Where to send it.")
@pass_app
def check(app: AppContext, recipient: str) -> None:
    """Send a short test message with the configured SMTP settings."""
    address = validation.email(recipient)
    try:
        where = send_check_email(app.settings, address)
    except ConfigError as exc:
        raise BadInput(str(exc)) from None
    except SendError as exc:
        raise click.ClickException(str(exc)) from None
    app.console.print(f"Test message to {address} accepted by {where}.", markup=False)


@email_group.command()
@click.argument("delivery_id", type=int)
@pass_app
def retry(app: AppContext, delivery_id: int) -> None:
    """Send a failed or uncertain email again (number as `status` shows it).

    For an uncertain email, check the mail server's log first: it may have arrived.
    """
    with app.session() as session:
        delivery = session.get(EmailDelivery, delivery_id)
        if delivery is None:
            known = session.scalars(select(EmailDelivery.id).order_by(EmailDelivery.id)).all()
            raise BadInput(
                f"email {delivery_id} does not exist; `replywatch status` lists the ones "
                f"needing attention{'' if known else ' (there are none yet)'}"
            )
        status = delivery.status
    if not retry_now(app.engine, delivery_id, SYSTEM_CLOCK.now()):
        raise BadInput(
            f"email {delivery_id} is {status}; only failed or uncertain emails are sent again"
        )
    app.console.print(
        f"Email {delivery_id} will be sent again by the running service within 5 minutes.",
        markup=False,
    )
