"""Connecting accounts, for the command line and the dashboard alike.

:class:`Connector` runs a platform's flow (named by the registry, ``storage.platforms``)
from the link to the consent screen to the stored token:

``start``     a new flow bound to its holder; returns the platform's consent address.
``callback``  the person came back: the state is checked (forged, replayed, somebody
              else's, too old: refused and logged), the code exchanged, and the accounts
              stored; when the login gave access to several (Meta: Pages and Instagram
              accounts), they are offered first (``choose``).
``choose``    stores the ones picked, once.
``app_password``  Bluesky: handle and app password, checked with the PDS, stored.

Callers check who may connect for which client (an owner only for their own) before
``start``; the flow remembers the client, so the callback stores for that client only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from replywatch.config import Settings
from replywatch.connect import pending
from replywatch.connect.grants import (
    ConnectError,
    FlowContext,
    Grant,
    OAuthFlow,
    Refusal,
)
from replywatch.connect.store import Connected, store
from replywatch.connect.vault import Vault, VaultError
from replywatch.references import load
from storage.engine import session_factory
from storage.models import Client
from storage.platforms import PLATFORMS, PlatformSpec

log = logging.getLogger("replywatch.connect")

# Refusals that mean somebody tampered with the callback (logged as warnings).
SUSPICIOUS = frozenset({Refusal.FORGED, Refusal.REPLAYED, Refusal.WRONG_HOLDER})


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Started:
    flow_id: int
    url: str


@dataclass(frozen=True)
class Finished:
    client_id: int
    platform: str
    accounts: tuple[Connected, ...]


@dataclass(frozen=True)
class Choice:
    flow_id: int
    client_id: int
    platform: str
    offered: tuple[dict[str, Any], ...]  # Grant.public(): never the secret


@dataclass
class Connector:
    engine: Engine
    settings: Settings
    clock: Callable[[], datetime] = _utc_now
    _flows: dict[str, Any] = field(default_factory=dict, init=False)

    @property
    def vault(self) -> Vault:
        return Vault(self.settings.key_file)

    def _spec(self, platform: str) -> PlatformSpec:
        spec = PLATFORMS.get(platform)
        if spec is None or spec.connect is None:
            raise ConnectError(Refusal.BAD_INPUT, f"{platform!r} accounts cannot be connected here")
        return spec

    def flow(self, platform: str) -> Any:
        spec = self._spec(platform)
        assert spec.connect is not None
        if spec.connect.flow not in self._flows:
            self._flows[spec.connect.flow] = load(spec.connect.flow)
        return self._flows[spec.connect.flow]

    def context(self, redirect_uri: str = "", hint: str | None = None) -> FlowContext:
        return FlowContext(
            settings=self.settings,
            engine=self.engine,
            vault=self.vault,
            now=self.clock(),
            redirect_uri=redirect_uri,
            hint=hint,
            timeout=float(self.settings.get("collect.request_timeout")),
        )

    def _ready(self) -> None:
        try:
            self.vault.ensure_key(self.engine)
        except VaultError as exc:
            raise ConnectError(Refusal.NOT_CONFIGURED, str(exc)) from None

    # --- the consent-screen flows -------------------------------------------------------

    def start(
        self,
        *,
        client_id: int,
        platform: str,
        holder: str,
        redirect_uri: str,
        user_id: int | None = None,
        hint: str | None = None,
    ) -> Started:
        spec = self._spec(platform)
        assert spec.connect is not None
        if spec.connect.method != "oauth":
            raise ConnectError(
                Refusal.BAD_INPUT, f"{spec.display_name} is connected with an app password"
            )
        self._ready()
        flow: OAuthFlow = self.flow(platform)
        context = self.context(redirect_uri, hint)
        sessions = session_factory(self.engine)
        with sessions.begin() as session:
            if session.get(Client, client_id) is None:
                raise ConnectError(Refusal.BAD_INPUT, f"client {client_id} does not exist")
            started = pending.open_flow(
                session,
                holder=holder,
                user_id=user_id,
                client_id=client_id,
                platform=platform,
                redirect_uri=redirect_uri,
                now=context.now,
            )
        try:
            authorization = flow.authorize(context, started.state)
        except ConnectError:
            with sessions.begin() as session:
                pending.finish(session, started.flow_id, pending.Stage.REFUSED, context.now)
            raise
        with sessions.begin() as session:
            pending.finish(
                session,
                started.flow_id,
                pending.Stage.AUTHORIZING,
                context.now,
                sealed=self.vault.seal(authorization.remember),
            )
        log.info("connect %s started for client %s (flow %s)", platform, client_id, started.flow_id)
        return Started(started.flow_id, authorization.url)

    def callback(
        self, params: Mapping[str, str], *, holder: str, who: str = "the command line"
    ) -> Finished | Choice:
        """``params``: the query of the link back (code, state, or error); ``who`` names the
        caller in the log (a user and address, never a secret)."""
        now = self.clock()
        sessions = session_factory(self.engine)
        state = params.get("state") or ""
        try:
            with sessions.begin() as session:
                flow_row = pending.take_callback(session, state, holder, now)
                flow_id, platform = flow_row.id, flow_row.platform
                client_id, redirect_uri = flow_row.client_id, flow_row.redirect_uri
                remembered = self.vault.open(flow_row.sealed) if flow_row.sealed else {}
                user_id = flow_row.user_id
        except ConnectError as exc:
            level = logging.WARNING if exc.refusal in SUSPICIOUS else logging.INFO
            log.log(
                level, "connect callback refused (%s) from %s: %s", exc.refusal, who, exc.message
            )
            raise
        try:
            if params.get("error"):
                raise ConnectError(
                    Refusal.DENIED,
                    "the connect was declined at the platform"
                    + (f" ({params['error']})" if params.get("error") else "")
                    + "; nothing was connected",
                )
            code = params.get("code") or ""
            if not code:
                raise ConnectError(Refusal.PLATFORM, "the platform sent no authorization code")
            flow: OAuthFlow = self.flow(platform)
            grants = flow.exchange(self.context(redirect_uri), code, dict(remembered))
        except ConnectError as exc:
            with sessions.begin() as session:
                pending.finish(session, flow_id, pending.Stage.REFUSED, self.clock())
            log.info(
                "connect %s (flow %s) ended without an account: %s", platform, flow_id, exc.refusal
            )
            raise
        if len(grants) == 1 and not grants[0].missing:
            return self._store(flow_id, client_id, platform, grants, user_id)
        with sessions.begin() as session:
            sealed = self.vault.seal({"grants": [_serialise(g) for g in grants]})
            pending.finish(session, flow_id, pending.Stage.CHOOSING, self.clock(), sealed)
        return Choice(flow_id, client_id, platform, tuple(g.public() for g in grants))

    def offered(self, flow_id: int, *, holder: str) -> Choice:
        """The choice still waiting in ``flow_id`` (to show it again)."""
        with session_factory(self.engine)() as session:
            flow = pending.waiting_choice(session, flow_id, holder, self.clock())
            grants = self._grants_of(flow.sealed)
            return Choice(flow.id, flow.client_id, flow.platform, tuple(g.public() for g in grants))

    def choose(self, flow_id: int, keys: list[str], *, holder: str) -> Finished:
        if not keys:
            raise ConnectError(Refusal.BAD_INPUT, "choose at least one account to audit")
        with session_factory(self.engine).begin() as session:
            flow = pending.waiting_choice(session, flow_id, holder, self.clock())
            grants = self._grants_of(flow.sealed)
            by_key = {grant.key: grant for grant in grants}
            unknown = [key for key in keys if key not in by_key]
            if unknown:
                raise ConnectError(Refusal.BAD_INPUT, f"not offered: {', '.join(unknown)}")
            chosen = [by_key[key] for key in dict.fromkeys(keys)]
            flow = pending.take_choice(session, flow_id, holder, self.clock())
            client_id, platform, user_id = flow.client_id, flow.platform, flow.user_id
        return self._store(flow_id, client_id, platform, chosen, user_id)

    def _grants_of(self, sealed: str | None) -> list[Grant]:
        opened = self.vault.open(sealed or "")
        return [_deserialise(item) for item in opened.get("grants", [])]

    def _store(
        self, flow_id: int, client_id: int, platform: str, grants: list[Grant], user_id: int | None
    ) -> Finished:
        now = self.clock()
        sessions = session_factory(self.engine)
        try:
            with sessions.begin() as session:
                stored = tuple(
                    store(session, self.vault, client_id, grant, user_id=user_id, now=now)
                    for grant in grants
                )
                pending.finish(session, flow_id, pending.Stage.DONE, now)
        except ConnectError:
            with sessions.begin() as session:
                pending.finish(session, flow_id, pending.Stage.REFUSED, now)
            raise
        for connected in stored:
            log.info(
                "connected %s %s (account %s) for client %s",
                connected.platform,
                connected.handle,
                connected.account_id,
                client_id,
            )
        return Finished(client_id, platform, stored)

    # --- app passwords --------------------------------------------------------------

    def app_password(
        self,
        *,
        client_id: int,
        platform: str,
        handle: str,
        password: str,
        user_id: int | None = None,
    ) -> Finished:
        """A platform connected by typing a handle and an app password (the registry's
        ``connect.method == "app_password"``): checked with the platform, then stored."""
        spec = self._spec(platform)
        assert spec.connect is not None
        if spec.connect.method != "app_password":
            raise ConnectError(
                Refusal.BAD_INPUT, f"{spec.display_name} is connected through its consent screen"
            )
        flow = self.flow(platform)
        self._ready()
        with session_factory(self.engine)() as session:
            if session.get(Client, client_id) is None:
                raise ConnectError(Refusal.BAD_INPUT, f"client {client_id} does not exist")
        grant = flow.verify(self.context(), handle, password)
        now = self.clock()
        with session_factory(self.engine).begin() as session:
            connected = store(session, self.vault, client_id, grant, user_id=user_id, now=now)
        log.info(
            "connected %s %s (account %s) for client %s",
            platform,
            connected.handle,
            connected.account_id,
            client_id,
        )
        return Finished(client_id, platform, (connected,))


def _serialise(grant: Grant) -> dict[str, Any]:
    return {
        "platform": grant.platform,
        "handle": grant.handle,
        "platform_account_id": grant.platform_account_id,
        "display_name": grant.display_name,
        "secret": grant.secret,
        "scopes": list(grant.scopes),
        "access_expires_at": _iso(grant.access_expires_at),
        "expires_at": _iso(grant.expires_at),
        "label": grant.label,
        "missing": list(grant.missing),
    }


def _deserialise(item: dict[str, Any]) -> Grant:
    return Grant(
        platform=item["platform"],
        handle=item["handle"],
        platform_account_id=item.get("platform_account_id"),
        display_name=item.get("display_name"),
        secret=dict(item["secret"]),
        scopes=tuple(item.get("scopes") or ()),
        access_expires_at=_moment(item.get("access_expires_at")),
        expires_at=_moment(item.get("expires_at")),
        label=item.get("label") or "",
        missing=tuple(item.get("missing") or ()),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
