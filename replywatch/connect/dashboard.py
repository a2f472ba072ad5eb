"""The connect flows as the dashboard's "Connect an account" page uses them
(``dashboard.connect_page.AccountConnector``): the same :class:`Connector` as the command
line, its answers and refusals in the dashboard's own types (the dashboard layer does not
import replywatch)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine

from dashboard.connect_page import ConnectedAccount, ConnectRefused, ConnectResult
from replywatch.config import Settings
from replywatch.connect.grants import ConnectError
from replywatch.connect.service import Choice, Connector, Finished
from replywatch.connect.vault import VaultError


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DashboardConnector:
    def __init__(
        self, engine: Engine, settings: Settings, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self.connector = Connector(engine, settings, clock=clock)
        public_url = settings.get("dashboard.public_url")
        self.public_url: str | None = str(public_url) if public_url else None

    def start(
        self,
        *,
        client_id: int,
        platform: str,
        holder: str,
        redirect_uri: str,
        user_id: int,
        hint: str | None,
    ) -> str:
        with _refusals():
            started = self.connector.start(
                client_id=client_id,
                platform=platform,
                holder=holder,
                redirect_uri=redirect_uri,
                user_id=user_id,
                hint=hint,
            )
        return started.url

    def callback(self, params: Mapping[str, str], *, holder: str, who: str) -> ConnectResult:
        with _refusals():
            return _result(self.connector.callback(params, holder=holder, who=who))

    def choose(self, flow_id: int, keys: list[str], *, holder: str) -> ConnectResult:
        with _refusals():
            return _result(self.connector.choose(flow_id, keys, holder=holder))

    def app_password(
        self, *, client_id: int, platform: str, handle: str, password: str, user_id: int
    ) -> ConnectResult:
        with _refusals():
            return _result(
                self.connector.app_password(
                    client_id=client_id,
                    platform=platform,
                    handle=handle,
                    password=password,
                    user_id=user_id,
                )
            )


@contextmanager
def _refusals() -> Iterator[None]:
    """ConnectError and VaultError as the dashboard's ConnectRefused."""
    try:
        yield
    except ConnectError as exc:
        raise ConnectRefused(exc.message) from None
    except VaultError as exc:
        raise ConnectRefused(str(exc)) from None


def _result(outcome: Finished | Choice) -> ConnectResult:
    if isinstance(outcome, Choice):
        return ConnectResult(outcome.client_id, flow_id=outcome.flow_id, offered=outcome.offered)
    return ConnectResult(
        outcome.client_id,
        accounts=tuple(
            ConnectedAccount(a.platform, a.handle, a.account_id, a.added, a.expires_at)
            for a in outcome.accounts
        ),
    )
