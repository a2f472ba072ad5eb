"""The "Connect an account" page: an owner (for their own businesses) or a consultant grants
replywatch read access through the platform's own consent screen, or types a Bluesky app
password; accounts whose access must be renewed get a Reconnect button.

Plain server-rendered pages (not Dash callbacks): the flow is a chain of browser
navigations to the platform and back. The work is done by the connector the command line
hands the app (``replywatch.connect.dashboard``: the dashboard layer does not import the
flows). The ``state`` of each connect is bound to the dashboard session that started it
(its session token is the flow's holder), so a callback brought by another browser or
login, a forged one or a replayed one is refused (and logged by the connector).

``/connect``                GET   the page (``?client=N``)
``/connect/start``          POST  a consent-screen connect: a page with the link onward
``/connect/callback``       GET   the platform sends the browser back here
``/connect/choose``         POST  Meta: the Pages and Instagram accounts picked
``/connect/app-password``   POST  handle and app password, checked with the platform

The redirect URI is ``dashboard.public_url`` + ``/connect/callback`` (this server's own
address when no public URL is set); it must be registered with each platform's app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask import Flask, g, render_template_string, request, session

from dashboard.access import AccessDenied, Viewer, visible_accounts, visible_clients
from dashboard.auth import csrf_token
from dashboard.i18n import translate
from dashboard.renewal_text import connect_method, credentials_text
from dashboard.runtime import current_viewer, runtime
from storage.models import Client
from storage.platforms import REGISTRY, PlatformSpec
from storage.renewal import credential_states

CALLBACK_PATH = "/connect/callback"
MAX_FIELD = 300


@dataclass(frozen=True)
class ConnectedAccount:
    platform: str
    handle: str
    account_id: int
    added: bool
    expires_at: datetime | None


@dataclass(frozen=True)
class ConnectResult:
    """Accounts stored, or (``offered``) the accounts the login gave access to, to pick."""

    client_id: int
    accounts: tuple[ConnectedAccount, ...] = ()
    flow_id: int | None = None
    offered: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


class ConnectRefused(Exception):
    """A connect that stopped; ``message`` is for the person (never a token)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AccountConnector(Protocol):
    """What ``replywatch serve`` hands the dashboard (replywatch.connect.dashboard)."""

    public_url: str | None

    def start(
        self, *, client_id: int, platform: str, holder: str, redirect_uri: str,
        user_id: int, hint: str | None,
    ) -> str: ...  # fmt: skip

    def callback(self, params: Mapping[str, str], *, holder: str, who: str) -> ConnectResult: ...

    def choose(self, flow_id: int, keys: list[str], *, holder: str) -> ConnectResult: ...

    def app_password(
        self, *, client_id: int, platform: str, handle: str, password: str, user_id: int
    ) -> ConnectResult: ...


def install(server: Flask) -> None:
    server.add_url_rule("/connect", "replywatch_connect", connect_page, methods=["GET"])
    server.add_url_rule("/connect/start", "replywatch_connect_start", start, methods=["POST"])
    server.add_url_rule(CALLBACK_PATH, "replywatch_connect_callback", callback, methods=["GET"])
    server.add_url_rule("/connect/choose", "replywatch_connect_choose", choose, methods=["POST"])
    server.add_url_rule(
        "/connect/app-password", "replywatch_connect_password", app_password, methods=["POST"]
    )


# --- what the page offers -----------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """One way to connect: a consent screen (it may serve several platforms: Meta's login
    gives Facebook Pages and their Instagram accounts) or an app password."""

    platform: str  # the registry name the flow starts with
    title: str
    method: str
    asks_for: str | None
    permissions: tuple[str, ...]


def offers() -> list[Offer]:
    found: dict[str, Offer] = {}
    served: dict[str, list[str]] = {}
    for spec in REGISTRY:
        if spec.connect is None:
            continue
        served.setdefault(spec.connect.grant, []).append(spec.display_name)
        found.setdefault(
            spec.connect.grant,
            Offer(spec.name, spec.connect.name, spec.connect.method, spec.connect.asks_for,
                  spec.connect.asked()),
        )  # fmt: skip
    return [
        Offer(o.platform, f"{' / '.join(served[grant])}: {o.title}", o.method, o.asks_for,
              o.permissions)
        for grant, o in found.items()
    ]  # fmt: skip


def _spec(platform: str) -> PlatformSpec:
    spec = next((s for s in REGISTRY if s.name == platform and s.connect is not None), None)
    if spec is None:
        raise ConnectRefused(f"{platform!r} accounts cannot be connected here")
    return spec


def _connector() -> AccountConnector:
    connector = runtime().connector
    if connector is None:
        raise ConnectRefused("this dashboard was started without the connect service")
    return connector


def _holder() -> str:
    token = session.get("sid")
    if not isinstance(token, str):  # the gate lets no request without a session get here
        raise AccessDenied()
    return token


def _client_for(viewer: Viewer, raw: object) -> Client:
    """The client ``raw`` names, if the viewer may connect for it (an owner: their own)."""
    try:
        client_id = int(str(raw))
    except ValueError:
        raise AccessDenied() from None
    with runtime().sessions() as db:
        client = db.get(Client, client_id)
        if client is None or not viewer.may_see_client(client.id):
            raise AccessDenied()
        return client


def _field(name: str) -> str:
    return (request.form.get(name) or "").strip()[:MAX_FIELD]


def _redirect_uri(connector: AccountConnector) -> str:
    base = connector.public_url or request.url_root
    return base.rstrip("/") + CALLBACK_PATH


def _who(viewer: Viewer) -> str:
    return f"dashboard user {viewer.username} from {request.remote_addr or 'unknown'}"


# --- the pages ----------------------------------------------------------------------------


def connect_page() -> str:
    viewer = current_viewer()
    language = viewer.language
    with runtime().sessions() as db:
        clients = visible_clients(db, viewer)
        chosen_id = request.args.get("client")
        client = next((c for c in clients if str(c.id) == chosen_id), None)
        if client is None and len(clients) == 1:
            client = clients[0]
        accounts = visible_accounts(db, viewer, client.id) if client is not None else []
        states = credential_states(db, [a.id for a in accounts], runtime().clock())
        rows = [
            {
                "platform": account.platform,
                "handle": account.handle,
                "state": credentials_text(states[account.id], language),
                "attention": states[account.id].needs_renewal,
                "method": connect_method(account.platform),
            }
            for account in accounts
        ]
    highlighted = request.args.get("platform")
    return _page(
        language,
        translate("Connect an account", language),
        _CONNECT_BODY,
        clients=clients,
        client=client,
        rows=rows,
        offers=offers(),
        highlighted=highlighted,
        words=_words(language),
    )


def start() -> str | tuple[str, int]:
    viewer = current_viewer()
    language = viewer.language
    client = _client_for(viewer, request.form.get("client"))
    try:
        spec = _spec(_field("platform"))
        connector = _connector()
        url = connector.start(
            client_id=client.id,
            platform=spec.name,
            holder=_holder(),
            redirect_uri=_redirect_uri(connector),
            user_id=viewer.user_id,
            hint=_field("handle") or None,
        )
    except ConnectRefused as exc:
        return _refused(language, exc.message, client.id)
    return _page(
        language,
        translate("Connect an account", language),
        _CONTINUE_BODY,
        continue_text=translate("Continue to {platform}", language, platform=spec.display_name),
        url=url,
        client=client,
        words=_words(language),
    )


def callback() -> str | tuple[str, int]:
    viewer = current_viewer()
    params = {key: value[:2000] for key, value in request.args.items()}
    try:
        result = _connector().callback(params, holder=_holder(), who=_who(viewer))
    except ConnectRefused as exc:
        return _refused(viewer.language, exc.message, None)
    return _result(viewer.language, result)


def choose() -> str | tuple[str, int]:
    viewer = current_viewer()
    try:
        flow_id = int(_field("flow"))
    except ValueError:
        raise AccessDenied() from None
    keys = [key[:MAX_FIELD] for key in request.form.getlist("key")]
    try:
        result = _connector().choose(flow_id, keys, holder=_holder())
    except ConnectRefused as exc:
        return _refused(viewer.language, exc.message, None)
    return _result(viewer.language, result)


def app_password() -> str | tuple[str, int]:
    viewer = current_viewer()
    client = _client_for(viewer, request.form.get("client"))
    try:
        spec = _spec(_field("platform"))
        result = _connector().app_password(
            client_id=client.id,
            platform=spec.name,
            handle=_field("handle"),
            password=_field("password"),
            user_id=viewer.user_id,
        )
    except ConnectRefused as exc:
        return _refused(viewer.language, exc.message, client.id)
    return _result(viewer.language, result)


def _result(language: str, result: ConnectResult) -> str:
    if result.flow_id is not None:
        return _page(
            language,
            translate("Choose the accounts to audit", language),
            _CHOOSE_BODY,
            result=result,
            words=_words(language),
        )
    connected = [
        {
            "text": f"{account.platform} {account.handle}",
            "ends": (
                translate("renew by {date}", language, date=_date(account.expires_at))
                if account.expires_at
                else ""
            ),
        }
        for account in result.accounts
    ]
    return _page(
        language,
        translate("Connected", language),
        _DONE_BODY,
        connected=connected,
        client_id=result.client_id,
        words=_words(language),
    )


def _date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _refused(language: str, message: str, client_id: int | None) -> tuple[str, int]:
    page = _page(
        language,
        translate("Nothing was connected", language),
        _REFUSED_BODY,
        message=message,
        client_id=client_id,
        words=_words(language),
    )
    return page, 400


def _words(language: str) -> dict[str, str]:
    return {
        "intro": translate(
            "Give replywatch read access to an account yourself, on the platform's own "
            "page. replywatch only reads; you can take the access back there at any time.",
            language,
        ),
        "client": translate("Business", language),
        "show": translate("Show", language),
        "accounts": translate("Accounts of this business", language),
        "account": translate("Account", language),
        "credentials": translate("Credentials", language),
        "reconnect": translate("Reconnect", language),
        "connect": translate("Connect", language),
        "asks": translate("Permissions asked for", language),
        "address": translate("Address or handle", language),
        "app_password": translate("App password", language),
        "continue_intro": translate(
            "You are sent to the platform's own page to sign in and allow read access; "
            "it sends you back here.",
            language,
        ),
        "choose_intro": translate(
            "The login gave access to these accounts. Choose the ones to audit.", language
        ),
        "missing": translate("cannot be read: not granted", language),
        "audit": translate("Audit the chosen accounts", language),
        "done": translate("These accounts are connected:", language),
        "back": translate("Back to the dashboard", language),
        "again": translate("Connect another account", language),
        "no_clients": translate("You have no business to connect accounts for.", language),
    }


def _page(language: str, title: str, body: str, **values: Any) -> str:
    return render_template_string(
        _FRAME.replace("{body}", body),
        language=language,
        title=title,
        csrf=csrf_token(),
        viewer=g.get("viewer"),
        **values,
    )


_FRAME = """<!DOCTYPE html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>replywatch – {{ title }}</title>
<link rel="stylesheet" href="/assets/replywatch.css">
</head>
<body>
<header class="topbar"><a class="brand" href="/">replywatch</a></header>
<main class="page connect-page">
<h1>{{ title }}</h1>
{body}
</main>
</body>
</html>
"""

_CONNECT_BODY = """
<p class="muted">{{ words.intro }}</p>
{% if not clients %}<p class="notice">{{ words.no_clients }}</p>{% else %}
{% if clients|length > 1 %}
<form method="get" action="/connect" class="inline-form" id="client-form">
  <label for="client">{{ words.client }}</label>
  <select id="client" name="client">
  {% for c in clients %}<option value="{{ c.id }}"
    {% if client and c.id == client.id %}selected{% endif %}>{{ c.name }}</option>{% endfor %}
  </select>
  <button type="submit" id="show-client">{{ words.show }}</button>
</form>
{% endif %}
{% if client %}
<h2>{{ client.name }}</h2>
{% if rows %}
<h3>{{ words.accounts }}</h3>
<table class="data-table" id="connected-accounts">
<thead><tr><th>{{ words.account }}</th><th>{{ words.credentials }}</th><th></th></tr></thead>
<tbody>
{% for row in rows %}
<tr><td>{{ row.platform }} {{ row.handle }}</td>
<td {% if row.attention %}class="attention"{% endif %}>{{ row.state }}</td>
<td>{% if row.method == 'oauth' %}
<form method="post" action="/connect/start" class="inline-form">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <input type="hidden" name="client" value="{{ client.id }}">
  <input type="hidden" name="platform" value="{{ row.platform }}">
  <input type="hidden" name="handle" value="{{ row.handle }}">
  <button type="submit" class="reconnect" id="reconnect-{{ row.platform }}-{{ loop.index }}"
    >{{ words.reconnect }}</button>
</form>{% elif row.method %}
<a class="reconnect" id="reconnect-{{ row.platform }}-{{ loop.index }}"
  href="/connect?client={{ client.id }}&platform={{ row.platform }}#offer-{{ row.platform }}"
  >{{ words.reconnect }}</a>{% endif %}</td></tr>
{% endfor %}
</tbody></table>
{% endif %}
{% for offer in offers %}
<section class="connect-offer{% if highlighted == offer.platform %} highlighted{% endif %}"
  id="offer-{{ offer.platform }}">
<h3>{{ offer.title }}</h3>
{% if offer.permissions %}<p class="muted">{{ words.asks }}:
  {{ offer.permissions|join(', ') }}</p>{% endif %}
<form method="post" action="/connect/{{ 'app-password' if offer.method == 'app_password'
  else 'start' }}">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <input type="hidden" name="client" value="{{ client.id }}">
  <input type="hidden" name="platform" value="{{ offer.platform }}">
  {% if offer.asks_for %}
  <label for="handle-{{ offer.platform }}">{{ words.address }}</label>
  <input id="handle-{{ offer.platform }}" name="handle" required maxlength="200">
  {% endif %}
  {% if offer.method == 'app_password' %}
  <label for="password-{{ offer.platform }}">{{ words.app_password }}</label>
  <input id="password-{{ offer.platform }}" name="password" type="password" required
    autocomplete="off" maxlength="100">
  {% endif %}
  <button type="submit" id="connect-{{ offer.platform }}">{{ words.connect }}</button>
</form>
</section>
{% endfor %}
{% endif %}
{% endif %}
"""

_CONTINUE_BODY = """
<p>{{ words.continue_intro }}</p>
<p><a class="button" id="continue" href="{{ url }}" rel="noreferrer">{{ continue_text }}</a></p>
"""

_CHOOSE_BODY = """
<p>{{ words.choose_intro }}</p>
<form method="post" action="/connect/choose" id="choose-form">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <input type="hidden" name="flow" value="{{ result.flow_id }}">
  {% for item in result.offered %}
  <p><label><input type="checkbox" name="key" value="{{ item.key }}"
    id="pick-{{ item.key|replace(':', '-') }}"
    {% if item.missing %}disabled{% else %}checked{% endif %}> {{ item.label }}</label>
  {% if item.missing %}<span class="attention">({{ words.missing }}:
    {{ item.missing|join(', ') }})</span>{% endif %}</p>
  {% endfor %}
  <button type="submit" id="choose">{{ words.audit }}</button>
</form>
"""

_DONE_BODY = """
<p>{{ words.done }}</p>
<ul id="connected">
{% for item in connected %}<li>{{ item.text }}{% if item.ends %} ({{ item.ends }}){% endif %}</li>
{% endfor %}
</ul>
<p><a href="/connect?client={{ client_id }}" id="connect-again">{{ words.again }}</a> ·
<a href="/" id="back">{{ words.back }}</a></p>
"""

_REFUSED_BODY = """
<p class="error" role="alert" id="connect-error">{{ message }}</p>
<p><a href="/connect{% if client_id %}?client={{ client_id }}{% endif %}"
  id="connect-again">{{ words.again }}</a> · <a href="/" id="back">{{ words.back }}</a></p>
"""
