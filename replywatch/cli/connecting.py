"""``account connect`` and ``account rotate-key``: an owner grants access themselves.

``connect`` prints the platform's consent address. The person opens it in any browser; the
platform sends that browser back to ``connect.cli_redirect_uri`` (http://127.0.0.1:PORT/…),
where this command listens for exactly one request (:mod:`replywatch.connect.listener`).
On a server without a browser, ``--paste`` asks for the address the browser was sent to
instead (it fails to load there, but its address bar holds the code and the state).
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import parse_qs, urlsplit

import click

from replywatch.cli.accounts import account
from replywatch.cli.context import AppContext, BadInput, find_client, pass_app
from replywatch.connect.grants import ConnectError
from replywatch.connect.listener import ListenerError, wait_for_callback
from replywatch.connect.pending import LIFETIME
from replywatch.connect.service import Choice, Connector, Finished
from replywatch.connect.vault import VaultError, rotate_key
from storage.platforms import REGISTRY
from storage.platforms import platform as platform_spec

CONNECTABLE = tuple(spec.name for spec in REGISTRY if spec.connect is not None)


@account.command("connect")
@click.option("--client", "client_name", required=True, help="The client the account is for.")
@click.option("--platform", required=True, type=click.Choice(CONNECTABLE, case_sensitive=False))
@click.option(
    "--handle",
    help="What the platform asks for first: the Mastodon address (@name@instance) that "
    "names the instance, or the Bluesky handle.",
)
@click.option(
    "--paste",
    is_flag=True,
    help="Do not listen on 127.0.0.1: paste the address the browser was sent back to "
    "(a server without a browser).",
)
@click.option(
    "--choose",
    "chosen",
    multiple=True,
    metavar="KEY",
    help="Facebook/Instagram: the accounts to audit (facebook:PAGE_ID, instagram:ID, or "
    "all); asked for when left out.",
)
@click.option(
    "--wait",
    type=click.IntRange(1, int(LIFETIME.total_seconds())),
    default=int(LIFETIME.total_seconds()),
    show_default=True,
    help="Seconds to wait for the browser to come back.",
)
@pass_app
def account_connect(
    app: AppContext,
    client_name: str,
    platform: str,
    handle: str | None,
    paste: bool,
    chosen: tuple[str, ...],
    wait: int,
) -> None:
    """Connect an account through the platform's own consent screen (Bluesky: handle and
    app password). The token is stored encrypted; nobody has to copy it anywhere."""
    app.require_schema()
    _log_refusals()
    spec = platform_spec(platform.lower())
    assert spec.connect is not None
    with app.session() as session:
        client = find_client(session, client_name)
        client_id, client_shown = client.id, client.name
    connector = Connector(app.engine, app.settings)
    if spec.connect.asks_for and not handle:
        raise BadInput(f"--handle is required for {spec.display_name} ({spec.connect.asks_for})")
    try:
        if spec.connect.method == "app_password":
            password = click.prompt(
                f"App password for {handle} (Bluesky: Settings → Privacy and security → "
                "App passwords)",
                hide_input=True,
                err=True,
            )
            finished = connector.app_password(
                client_id=client_id, platform=spec.name, handle=str(handle), password=password
            )
        else:
            finished = _oauth(app, connector, client_id, spec.name, handle, paste, chosen, wait)
    except ConnectError as exc:
        raise BadInput(f"{spec.display_name}: {exc.message}") from None
    except VaultError as exc:
        raise BadInput(str(exc)) from None
    for connected in finished.accounts:
        ends = f"; renew by {connected.expires_at:%Y-%m-%d}" if connected.expires_at else ""
        verb = "Added and connected" if connected.added else "Reconnected"
        app.console.print(
            f"{verb} {connected.platform} account {connected.handle} for {client_shown!r} "
            f"(account {connected.account_id}){ends}.",
            markup=False,
        )


def _oauth(
    app: AppContext,
    connector: Connector,
    client_id: int,
    platform: str,
    handle: str | None,
    paste: bool,
    chosen: tuple[str, ...],
    wait: int,
) -> Finished:
    redirect_uri = str(app.settings.get("connect.cli_redirect_uri"))
    # Only this process knows it: a callback that reaches another process is refused.
    holder = secrets.token_urlsafe(32)
    started = connector.start(
        client_id=client_id,
        platform=platform,
        holder=holder,
        redirect_uri=redirect_uri,
        hint=handle,
    )
    click.echo("Open this address in a browser, sign in there and allow access:", err=True)
    click.echo(started.url)
    if paste:
        pasted = click.prompt("Paste the address the browser was sent back to", err=True)
        params = _query_of(pasted, redirect_uri)
    else:
        click.echo(f"Waiting for the browser at {redirect_uri} …", err=True)
        try:
            params = wait_for_callback(redirect_uri, timeout=wait)
        except ListenerError as exc:
            raise BadInput(f"{exc}; or run again with --paste") from None
    result = connector.callback(params, holder=holder, who="replywatch account connect")
    if isinstance(result, Finished):
        return result
    return connector.choose(result.flow_id, _picked(result, chosen), holder=holder)


def _query_of(pasted: str, redirect_uri: str) -> dict[str, str]:
    address = pasted.strip()
    expected = urlsplit(redirect_uri)
    found = urlsplit(address)
    if (found.hostname, found.port, found.path) != (expected.hostname, expected.port,
                                                    expected.path):  # fmt: skip
        raise BadInput(
            f"the pasted address does not start with {redirect_uri}; paste the whole address "
            "from the browser's address bar"
        )
    return {key: values[-1] for key, values in parse_qs(found.query).items()}


def _picked(choice: Choice, chosen: tuple[str, ...]) -> list[str]:
    offered = [item["key"] for item in choice.offered]
    if not chosen:
        click.echo("The login gave access to:", err=True)
        for number, item in enumerate(choice.offered, start=1):
            missing = item["missing"]
            note = f" (cannot be read: {', '.join(missing)} not granted)" if missing else ""
            click.echo(f"  {number}. {item['label']} [{item['key']}]{note}", err=True)
        answer = click.prompt("Audit which (numbers or keys, comma-separated, or all)", err=True)
        chosen = tuple(part.strip() for part in answer.split(",") if part.strip())
    if any(part.lower() == "all" for part in chosen):
        usable = [item["key"] for item in choice.offered if not item["missing"]]
        return usable or offered
    keys = []
    for part in chosen:
        if part.isdigit() and 1 <= int(part) <= len(offered):
            keys.append(offered[int(part) - 1])
        elif part in offered:
            keys.append(part)
        else:
            raise BadInput(f"{part!r} was not offered; choose from: {', '.join(offered)}")
    return keys


def _log_refusals() -> None:
    """Refused callbacks (forged, replayed) are logged to standard error, never a secret."""
    logger = logging.getLogger("replywatch.connect")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("replywatch: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


@account.command("rotate-key")
@pass_app
def account_rotate_key(app: AppContext) -> None:
    """Put a new key in the key file and re-encrypt every connected account's token with it
    (copy the new file to every machine that uses this database)."""
    app.require_schema()
    key_file = app.settings.key_file
    try:
        count = rotate_key(app.engine, key_file)
    except VaultError as exc:
        raise BadInput(str(exc)) from None
    app.console.print(
        f"Re-encrypted {count} stored secrets with a new key in {key_file}; the old key is "
        "gone from it. Copy the file to every other machine that uses this database.",
        markup=False,
    )
