"""Login, logout, the language switch and the gate in front of everything else.

Sessions: the signed Flask cookie (HttpOnly, SameSite=Lax, Secure per the options) holds a
random session token and a CSRF token; the database holds the token's hash, so logging
out or removing a user ends the session on the server. Sessions end after
``session_idle_hours`` without a request, and at the latest after 30 days.

CSRF: the login, logout and language forms carry the session's CSRF token in a hidden
field. Dash's renderer sends the token of the ``_csrf_token`` cookie in an ``X-CSRFToken``
header with every callback; callbacks without the right header are refused. The session
cookie being SameSite=Lax already keeps other sites' POSTs from carrying it; the tokens
also guard against a same-site attacker and login CSRF.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, g, jsonify, redirect, render_template_string, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from dashboard.access import AccessDenied, NotLoggedIn, viewer_for
from dashboard.i18n import LANGUAGES, N_, translate
from dashboard.login_policy import admit, settle
from dashboard.runtime import runtime
from dashboard.static_files import is_static_path, unknown_static_path
from storage.logins import (
    end_dashboard_session,
    find_dashboard_session,
    prune_dashboard_sessions,
    start_dashboard_session,
)
from storage.models import User
from storage.passwords import hash_password, needs_rehash, verify_password
from storage.usernames import canonical_username

SESSION_COOKIE = "replywatch_session"
CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads (Dash(csrf_token_name=...))
CSRF_HEADER = "X-CSRFToken"
MAX_SESSION_AGE = timedelta(days=30)
TOUCH_EVERY = timedelta(minutes=5)
PUBLIC_PATHS = frozenset({"/login", "/_favicon.ico"})
MAX_FIELD = 1024

# Checked when the user name is unknown, so that the answer takes as long as a real check.
_UNKNOWN_USER_HASH = hash_password(secrets.token_urlsafe(16))


def cookie_secure() -> bool:
    mode = runtime().options.secure_cookies
    if mode == "always":
        return True
    if mode == "never":
        return False
    return request.is_secure


class _SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return cookie_secure()


def install(server: Flask) -> None:
    server.session_interface = _SessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    server.before_request(_gate)
    server.after_request(_csrf_cookie)
    server.add_url_rule("/login", "replywatch_login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "replywatch_logout", logout, methods=["POST"])
    server.add_url_rule("/language", "replywatch_language", set_language, methods=["POST"])
    server.register_error_handler(NotLoggedIn, _not_logged_in)
    server.register_error_handler(AccessDenied, _denied)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _same(a: object, b: object) -> bool:
    # As bytes: compare_digest refuses str with characters beyond ASCII (a forged token).
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def _gate() -> Response | None:
    if request.path in PUBLIC_PATHS:
        return None
    if is_static_path(request.path):  # public files; nothing else under their paths
        return unknown_static_path()
    _load_viewer()
    if g.get("viewer") is None:
        if request.method == "GET" and not request.path.startswith("/_dash-"):
            target = request.full_path.rstrip("?")
            return redirect("/login?" + urlencode({"next": target}))
        return _not_logged_in(NotLoggedIn())
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf")
        if not _same(sent, session.get("csrf")):
            return Response("missing or wrong CSRF token", status=403, mimetype="text/plain")
    return None


def _load_viewer() -> None:
    token = session.get("sid")
    if not isinstance(token, str):
        return
    context = runtime()
    now = context.clock()
    idle = timedelta(hours=context.options.session_idle_hours)
    with context.sessions() as db:
        found = find_dashboard_session(db, token)
        if found is None:
            _forget_session()
            return
        row, user = found
        if row.last_seen_at + idle < now or row.created_at + MAX_SESSION_AGE < now:
            end_dashboard_session(db, token)
            db.commit()
            _forget_session()
            return
        if now - row.last_seen_at > TOUCH_EVERY:
            row.last_seen_at = now
        g.viewer = viewer_for(db, user)
        db.commit()


def _forget_session() -> None:
    # Remembered in the cookie so that the login page can say why it is shown.
    session.pop("sid", None)
    session["ended"] = True


def _csrf_cookie(response: Response) -> Response:
    # Dash's renderer copies this cookie into the X-CSRFToken header of every callback.
    token = session.get("csrf")
    if g.get("viewer") is not None and token and request.cookies.get(CSRF_COOKIE) != token:
        _set_csrf_cookie(response, token)
    return response


def _set_csrf_cookie(response: Response, token: str) -> None:
    # Readable by the page's script (that is its purpose); useless to other sites, which
    # can neither read it nor make the browser send it along (SameSite=Strict).
    response.set_cookie(
        CSRF_COOKIE, token, httponly=False, samesite="Strict", secure=cookie_secure(), path="/"
    )


def _not_logged_in(_error: Exception) -> Response:
    response = jsonify({"error": "not logged in"})
    response.status_code = 401
    return response


def _denied(_error: Exception) -> Response:
    response = jsonify({"error": "not found"})
    response.status_code = 404
    return response


def safe_next(target: str | None) -> str:
    """Only paths on this site: never ``//evil.example`` or ``https://…``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _client_address() -> str:
    # With a trusted proxy configured, waitress has already put the real client here.
    return request.remote_addr or "unknown"


def _page_language() -> str:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _same_origin() -> bool:
    # Browsers send Origin with every form POST; a different one is a cross-site form.
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin.rstrip("/") == request.host_url.rstrip("/")


def login() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    language = _page_language()
    next_target = safe_next(request.values.get("next"))
    if request.method == "GET":
        notice = None
        if request.args.get("bye"):
            notice = translate("You are logged out.", language)
        elif session.pop("ended", False):
            notice = translate("Your session has ended. Please log in again.", language)
        return _login_page(language, next_target, notice=notice)

    if not _same(request.form.get("csrf"), session.get("csrf")) or not _same_origin():
        return _login_page(
            language,
            next_target,
            error=N_("The form had expired (or cookies are blocked). Please try again."),
        ), 400
    username = request.form.get("username", "")[:MAX_FIELD].strip()
    password = request.form.get("password", "")[:MAX_FIELD]
    address = _client_address()
    context = runtime()
    now = context.clock()
    with context.sessions() as db:
        admission = admit(db, username, address, now)
        if admission.lock is not None:
            db.commit()
            minutes = admission.lock.minutes_left(now)
            page = _login_page(
                language,
                next_target,
                error=N_("Too many failed attempts. Try again in {minutes} minutes."),
                minutes=minutes,
                name=username,
            )
            return page, 429, {"Retry-After": str(minutes * 60)}
        user = (
            db.scalar(select(User).where(User.username_key == canonical_username(username)))
            if username
            else None
        )
        user_id, password_hash = (user.id, user.password_hash) if user else (None, None)
        # Committed before the check: attempts waiting behind this one may go on, and they
        # count it as a failure until it is settled.
        db.commit()
    assert admission.attempt_id is not None
    accepted = verify_password(password_hash or _UNKNOWN_USER_HASH, password) and bool(user_id)
    with context.sessions() as db:
        user = db.get(User, user_id) if accepted else None
        settle(db, admission.attempt_id, user is not None, now)
        if user is None:  # a wrong password, or the user was removed during the check
            db.commit()
            # 200, not 401: a form login has no HTTP authentication scheme to announce.
            return _login_page(
                language, next_target, error=N_("Wrong user name or password."), name=username
            )
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        prune_dashboard_sessions(
            db,
            idle_before=now - timedelta(hours=context.options.session_idle_hours),
            created_before=now - MAX_SESSION_AGE,
        )
        token = start_dashboard_session(db, user.id, now)
        db.commit()
    # A new session and a new CSRF token at every login: nothing set before survives.
    session.clear()
    session["sid"] = token
    session["csrf"] = secrets.token_urlsafe(32)
    response = redirect(next_target)
    _set_csrf_cookie(response, session["csrf"])
    return response


def logout() -> Response:
    token = session.get("sid")
    if isinstance(token, str):
        with runtime().sessions() as db:
            end_dashboard_session(db, token)
            db.commit()
    session.clear()
    response = redirect("/login?bye=1")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


def set_language() -> Response:
    language = request.form.get("language")
    viewer = g.viewer
    if language in LANGUAGES:
        with runtime().sessions() as db:
            user = db.get(User, viewer.user_id)
            if user is not None:
                user.language = language
                db.commit()
    return redirect(safe_next(_referrer_path()))


def _referrer_path() -> str:
    """The page the form was sent from, as a path on this site."""
    try:
        parts = urlsplit(request.referrer or "")
    except ValueError:  # e.g. "http://[::1": not a URL at all
        return "/"
    if parts.netloc and parts.netloc != request.host:
        return "/"
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")


_LOGIN_PAGE = """<!DOCTYPE html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>replywatch – {{ words.title }}</title>
<link rel="stylesheet" href="/assets/replywatch.css">
</head>
<body class="login-body">
<main class="login-card">
  <p class="brand">replywatch</p>
  <h1>{{ words.title }}</h1>
  <p class="muted">{{ words.intro }}</p>
  {% if notice %}<p class="notice" role="status">{{ notice }}</p>{% endif %}
  {% if error %}<p class="error" role="alert" id="login-error">{{ error }}</p>{% endif %}
  <form method="post" action="/login?{{ query }}" class="login-form">
    <input type="hidden" name="csrf" value="{{ csrf }}">
    <input type="hidden" name="next" value="{{ next_target }}">
    <label for="username">{{ words.username }}</label>
    <input id="username" name="username" autocomplete="username" required maxlength="64"
           value="{{ name }}" autofocus>
    <label for="password">{{ words.password }}</label>
    <input id="password" name="password" type="password" autocomplete="current-password"
           required>
    <button type="submit">{{ words.submit }}</button>
  </form>
  <p class="switch-language"><a href="/login?{{ other_query }}"
     hreflang="{{ other }}">{{ words.other_language }}</a></p>
</main>
</body>
</html>
"""


LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}


def _login_page(
    language: str,
    next_target: str,
    *,
    error: str | None = None,
    notice: str | None = None,
    minutes: int = 0,
    name: str = "",
) -> str:
    other = "de" if language == "en" else "en"
    return render_template_string(
        _LOGIN_PAGE,
        language=language,
        words={
            "title": translate("Log in", language),
            "intro": translate(
                "Log in to see whether your accounts answer their customers.", language
            ),
            "username": translate("User name", language),
            "password": translate("Password", language),
            "submit": translate("Log in", language),
            # The other language by its own name: whoever wants it can read that.
            "other_language": LANGUAGE_NAMES[other],
        },
        error=translate(error, language, minutes=minutes) if error else None,
        notice=notice,
        csrf=csrf_token(),
        next_target=next_target,
        name=name[:64],
        query=urlencode({"lang": language}),
        other=other,
        other_query=urlencode({"lang": other, "next": next_target}),
    )
