"""Facebook Login (for Business) beside the simulated Graph API: www.facebook.com's dialog
and graph.facebook.com's token endpoints, in Meta's wire format.

=================================================  ======================================
GET  /{v}/dialog/oauth                             the login dialog: client_id,
                                                   redirect_uri, state, response_type=code,
                                                   and scope=a,b (Facebook Login) or
                                                   config_id (Facebook Login for Business)
POST /{v}/dialog/oauth                             the person's choice: which Pages to
                                                   share, which permissions to allow;
                                                   302 with code and state, or
                                                   error=access_denied&error_reason=
                                                   user_denied
GET  /{v}/oauth/access_token                       code -> short-lived user token (2 h);
                                                   grant_type=fb_exchange_token -> long-
                                                   lived user token (60 days)
GET  /{v}/me, /{v}/me/accounts                     with a user token: the person, the Pages
                                                   they shared with their Page tokens, tasks
                                                   and instagram_business_account
GET  /{v}/debug_token                              input_token + the app token
                                                   (APPID|SECRET): type, is_valid,
                                                   expires_at (0: never), data_access_
                                                   expires_at, scopes, granular_scopes
=================================================  ======================================

Page tokens got through a long-lived user token do not expire by date, but their data
access does, 90 days after the person last granted it (``data_access_expires_at``), as on
Meta. A Page token reads its Page and the Instagram business account linked to it with the
permissions granted; a missing one answers code 10, a revoked token 190 with subcode 458
(the person removed the app) or 460 (password changed), an expired one 190/463.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.http import Request, Response
from sandbox.oauth import Authorizations, ClientApp, OAuthError, Token, consent_page, redirect
from sandbox.world import World

SHORT_LIVED = timedelta(hours=2)
LONG_LIVED = timedelta(days=60)
DATA_ACCESS = timedelta(days=90)
PERMISSIONS = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "instagram_basic",
    "instagram_manage_comments",
    "business_management",
    "pages_manage_metadata",
    "public_profile",
)
# What reading each kind of object needs (docs of the Pages API and the Instagram Graph API
# with Facebook Login): the collectors' reads, checked for tokens issued by this login.
NEEDS: dict[str, tuple[str, ...]] = {
    "page": ("pages_read_engagement",),
    "post": ("pages_read_engagement", "pages_read_user_content"),
    "comment": ("pages_read_engagement", "pages_read_user_content"),
    "ig_user": ("instagram_basic", "pages_read_engagement"),
    "media": ("instagram_basic", "pages_read_engagement"),
    "ig_comment": ("instagram_basic", "instagram_manage_comments", "pages_read_engagement"),
}
# Edges that need more than their node: a Page's feed holds visitors' posts, a media's
# comments are what instagram_manage_comments is for.
EDGE_NEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("page", "feed"): ("pages_read_user_content",),
    ("media", "comments"): ("instagram_manage_comments",),
    ("ig_comment", "replies"): ("instagram_manage_comments",),
}


def missing_permission(kind: str, edge: str | None, granted: Iterable[str]) -> str | None:
    """The first permission reading ``kind`` (and its ``edge``) needs that is not granted."""
    have = set(granted)
    for permission in (*NEEDS.get(kind, ()), *EDGE_NEEDS.get((kind, edge or ""), ())):
        if permission not in have:
            return permission
    return None


REVOKE_REASONS = {
    "removed_app": (
        458,
        "Error validating access token: The user has not authorized application {app}.",
    ),
    "password_changed": (
        460,
        "Error validating access token: The session has been "
        "invalidated because the user changed their password or Facebook "
        "has changed the session for security reasons.",
    ),
}


@dataclass
class MetaPerson:
    """Somebody who logs in with Facebook and manages Pages."""

    id: str  # the app-scoped user id
    name: str
    pages: list[str] = field(default_factory=list)  # Page ids they can perform tasks on


def graph_error(
    status: int, code: int, message: str, subcode: int | None = None, kind: str = "OAuthException"
) -> Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AsandboxTrace"
    return Response(status, {"error": error})


class TokenRefused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__("token refused")
        self.response = response


class MetaLogin:
    """The login side of one simulated Graph API (``GraphApiServer.login``)."""

    def __init__(
        self,
        facebook: World | None,
        instagram: World | None,
        app: ClientApp | None = None,
        configs: dict[str, tuple[str, ...]] | None = None,
        people: Iterable[MetaPerson] | None = None,
    ) -> None:
        self.facebook = facebook
        self.instagram = instagram
        self.app = app
        self.configs = dict(configs or {})  # Facebook Login for Business configuration ids
        self._people = list(people) if people is not None else None
        clock = (facebook or instagram).clock  # type: ignore[union-attr]
        self.grants = Authorizations(clock)
        self._page_tokens: dict[tuple[str, str], str] = {}
        self._revoked_why: dict[str, str] = {}
        self._lock = threading.Lock()

    # --- who exists -------------------------------------------------------------------

    @property
    def people(self) -> list[MetaPerson]:
        """Given ones, or one admin of every managed Page of the Facebook world."""
        if self._people is not None:
            return self._people
        pages = list(self.facebook.managed) if self.facebook is not None else []
        return [MetaPerson("10001", "Sandbox Page admin", pages)]

    def person(self, person_id: str) -> MetaPerson | None:
        return next((p for p in self.people if p.id == person_id), None)

    def remove_app(self, person_id: str, reason: str = "removed_app") -> int:
        """The person takes the app's access back (Settings > Business integrations), or
        their sessions end (a changed password): every token they gave dies."""
        if reason not in REVOKE_REASONS:
            raise ValueError(f"reason must be one of {', '.join(REVOKE_REASONS)}")
        with self._lock:
            self._revoked_why[person_id] = reason
        return self.grants.revoke(subject=person_id)

    # --- routing ----------------------------------------------------------------------

    def route(self, request: Request, path: list[str]) -> Response | None:
        """Answer a login request (``path`` after the version), or None for a Graph read."""
        if path == ["dialog", "oauth"]:
            return self._decision(request) if request.method == "POST" else self._dialog(request)
        if path == ["oauth", "access_token"]:
            return self._access_token(request)
        if path == ["debug_token"]:
            return self._debug_token(request)
        token = self._arg(request, "access_token")
        issued = self.grants.token(token)
        if issued is not None and issued.extra.get("type") == "USER":
            return self._as_user(request, issued, path)
        return None

    @staticmethod
    def _arg(request: Request, name: str) -> str | None:
        values = request.form().get(name)
        return values[-1] if values else None

    # --- the dialog -------------------------------------------------------------------

    def _asked(self, request: Request) -> tuple[ClientApp, str, list[str]]:
        app = self.app
        if app is None or self._arg(request, "client_id") != app.client_id:
            raise OAuthError("invalid_client", "Invalid App ID: the app id is not valid")
        redirect_uri = self._arg(request, "redirect_uri") or ""
        if redirect_uri not in app.redirect_uris:
            raise OAuthError(
                "invalid_request",
                "URL blocked: This redirect failed because the "
                "redirect URI is not whitelisted in the app's client OAuth "
                "settings.",
            )
        config_id = self._arg(request, "config_id")
        if config_id:
            if config_id not in self.configs:
                raise OAuthError("invalid_request", f"Invalid config_id {config_id}")
            permissions = list(self.configs[config_id])
        else:
            permissions = [p for p in (self._arg(request, "scope") or "").split(",") if p]
        unknown = [p for p in permissions if p not in PERMISSIONS]
        if unknown:
            raise OAuthError("invalid_scope", f"Invalid Scopes: {', '.join(unknown)}")
        return app, redirect_uri, permissions

    def _dialog(self, request: Request) -> Response:
        try:
            app, _, permissions = self._asked(request)
        except OAuthError as exc:
            return Response(
                400,
                f"<p>{exc.description}</p>".encode(),
                {"Content-Type": "text/html; charset=utf-8"},
            )
        names = ("client_id", "redirect_uri", "state", "response_type", "scope", "config_id")
        hidden = {name: self._arg(request, name) or "" for name in names}
        pages = []
        for person in self.people:
            for page_id in person.pages:
                pages.append((page_id, f"{self._page_name(page_id)} (Page {page_id})"))
        return consent_page(
            platform="Facebook",
            app_name=app.name,
            action=request.path,
            hidden=hidden,
            who=[(p.id, p.name) for p in self.people],
            permissions=permissions,
            choices=list(dict.fromkeys(pages)),
            approve="Continue",
            deny="Cancel",
            permissions_optional=True,
        )

    def _decision(self, request: Request) -> Response:
        try:
            app, redirect_uri, asked = self._asked(request)
        except OAuthError as exc:
            return graph_error(400, 100, exc.description)
        state = self._arg(request, "state") or ""
        if self._arg(request, "decision") != "approve":
            return redirect(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_code": "200",
                    "error_description": "Permissions error",
                    "error_reason": "user_denied",
                    "state": state,
                },
            )
        person = self.person(self._arg(request, "who") or "")
        if person is None:
            return graph_error(400, 100, "nobody is logged in")
        form = request.form()
        allowed = [p for p in form.get("permission", []) if p in asked]
        shared = [page for page in form.get("asset", []) if page in person.pages]
        # The Pages shared ride along as a scope of their own, as granular_scopes show them.
        scopes = [*allowed, *(f"page:{page}" for page in shared)]
        code = self.grants.issue_code(app.client_id, redirect_uri, person.id, scopes)
        with self._lock:
            self._revoked_why.pop(person.id, None)
        return redirect(redirect_uri, {"code": code, "state": state})

    # --- tokens -----------------------------------------------------------------------

    def _access_token(self, request: Request) -> Response:
        app = self.app
        client_id, secret = self._arg(request, "client_id"), self._arg(request, "client_secret")
        if app is None or client_id != app.client_id:
            return graph_error(400, 101, "Error validating application. Invalid application ID.")
        if secret != app.client_secret:
            return graph_error(400, 1, "Error validating client secret.")
        if self._arg(request, "grant_type") == "fb_exchange_token":
            short = self.grants.valid(self._arg(request, "fb_exchange_token"))
            if short is None or short.extra.get("type") != "USER":
                return graph_error(
                    400, 190, "Invalid OAuth access token - Cannot parse access token"
                )
            token = self._user_token(
                short.subject, short.scopes, LONG_LIVED, short.extra["data_access_expires_at"]
            )
            return Response(
                200,
                {
                    "access_token": token.access_token,
                    "token_type": "bearer",
                    "expires_in": int(LONG_LIVED.total_seconds()),
                },
            )
        code = self._arg(request, "code") or ""
        try:
            grant = self.grants.take_code(
                code, app.client_id, self._arg(request, "redirect_uri") or ""
            )
        except OAuthError as exc:
            if "expired" in exc.description:
                return graph_error(400, 100, "This authorization code has expired.", subcode=36007)
            if "used" in exc.description:
                return graph_error(
                    400, 100, "This authorization code has been used.", subcode=36009
                )
            if "redirect_uri" in exc.description:
                return graph_error(
                    400,
                    100,
                    "Error validating verification code. Please make "
                    "sure your redirect_uri is identical to the one you used "
                    "in the OAuth dialog request",
                    subcode=36008,
                )
            return graph_error(400, 100, "Invalid verification code format.", subcode=36009)
        data_access = self.grants.clock.now() + DATA_ACCESS
        token = self._user_token(
            grant.subject, grant.scopes, SHORT_LIVED, str(int(data_access.timestamp()))
        )
        return Response(
            200,
            {
                "access_token": token.access_token,
                "token_type": "bearer",
                "expires_in": int(SHORT_LIVED.total_seconds()),
            },
        )

    def _user_token(
        self, person_id: str, scopes: tuple[str, ...], lifetime: timedelta, data_access: str
    ) -> Token:
        assert self.app is not None
        return self.grants.issue_token(
            person_id,
            self.app.client_id,
            scopes,
            lifetime=lifetime,
            prefix="EAAG",
            extra={"type": "USER", "data_access_expires_at": data_access},
        )

    def _page_token(self, user: Token, page_id: str) -> Token:
        key = (user.access_token, page_id)
        with self._lock:
            known = self._page_tokens.get(key)
        if known is not None:
            found = self.grants.token(known)
            assert found is not None
            return found
        token = self.grants.issue_token(
            user.subject,
            user.client_id,
            user.scopes,
            lifetime=None,
            prefix="EAAG",
            extra={
                "type": "PAGE",
                "page": page_id,
                "data_access_expires_at": user.extra["data_access_expires_at"],
            },
        )
        with self._lock:
            self._page_tokens[key] = token.access_token
        return token

    def refused(self, token: Token) -> Response | None:
        """Why an issued token is not taken any more (revoked, expired), or None."""
        now = self.grants.clock.now()
        if token.revoked:
            reason = self._revoked_why.get(token.subject, "removed_app")
            subcode, text = REVOKE_REASONS[reason]
            app_id = self.app.client_id if self.app else ""
            return graph_error(400, 190, text.format(app=app_id), subcode=subcode)
        if token.expired(now) or now.timestamp() >= float(token.extra["data_access_expires_at"]):
            ended = token.expires_at or datetime.fromtimestamp(
                float(token.extra["data_access_expires_at"]), UTC
            )
            return graph_error(
                400,
                190,
                "Error validating access token: Session has expired "
                f"on {ended:%A, %d-%b-%y %H:%M:%S} PST.",
                subcode=463,
            )
        return None

    def page_principal(self, access_token: str | None) -> tuple[str, tuple[str, ...]] | None:
        """(Page id, granted permissions) of a Page token this login issued; raises
        TokenRefused for one it issued that is revoked or expired; None if not its."""
        token = self.grants.token(access_token)
        if token is None or token.extra.get("type") != "PAGE":
            return None
        problem = self.refused(token)
        if problem is not None:
            raise TokenRefused(problem)
        return token.extra["page"], token.scopes

    # --- reads with a user token ------------------------------------------------------

    def _as_user(self, request: Request, token: Token, path: list[str]) -> Response:
        problem = self.refused(token)
        if problem is not None:
            return problem
        person = self.person(token.subject)
        if person is None:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if path == ["me"]:
            return Response(
                200,
                _select(
                    {"id": person.id, "name": person.name},
                    self._arg(request, "fields") or "id,name",
                ),
            )
        if path == ["me", "accounts"]:
            if "pages_show_list" not in token.scopes:
                return graph_error(
                    403,
                    10,
                    "(#10) This endpoint requires the 'pages_show_list' permission.",
                    kind="OAuthException",
                )
            return Response(200, self._accounts(request, token, person))
        return graph_error(
            400,
            100,
            "Unsupported get request. A user access token can only "
            "read me and me/accounts in this simulated Graph API.",
        )

    def _accounts(self, request: Request, token: Token, person: MetaPerson) -> dict[str, Any]:
        fields = self._arg(request, "fields") or "name,access_token,category,tasks,id"
        shared = [page for page in person.pages if f"page:{page}" in token.scopes]
        data = []
        for page_id in shared:
            page = {
                "id": page_id,
                "name": self._page_name(page_id),
                "username": self._page_username(page_id),
                "category": "Local business",
                "access_token": self._page_token(token, page_id).access_token,
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
                "instagram_business_account": self._instagram_of(page_id),
            }
            data.append(_select(page, fields))
        return {"data": data, "paging": {"cursors": {"before": "QVFIUjBf", "after": "QVFIUjBf"}}}

    def _page_name(self, page_id: str) -> str:
        actor = self.facebook.actors.get(page_id) if self.facebook is not None else None
        return (actor.name or actor.handle) if actor is not None else page_id

    def _page_username(self, page_id: str) -> str | None:
        actor = self.facebook.actors.get(page_id) if self.facebook is not None else None
        return actor.handle if actor is not None else None

    def _instagram_of(self, page_id: str) -> dict[str, str] | None:
        if self.instagram is None:
            return None
        for actor_id, managed in self.instagram.managed.items():
            if managed.page_id == page_id:
                return {"id": actor_id, "username": self.instagram.actors[actor_id].handle}
        return None

    # --- debug_token ------------------------------------------------------------------

    def _debug_token(self, request: Request) -> Response:
        app = self.app
        expected = f"{app.client_id}|{app.client_secret}" if app else None
        if expected is None or self._arg(request, "access_token") != expected:
            return graph_error(400, 190, "Invalid OAuth access token signature.")
        token = self.grants.token(self._arg(request, "input_token"))
        if token is None:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        permissions = [s for s in token.scopes if not s.startswith("page:")]
        pages = [s.removeprefix("page:") for s in token.scopes if s.startswith("page:")]
        data: dict[str, Any] = {
            "app_id": token.client_id,
            "type": token.extra["type"],
            "application": app.name if app else "",
            "data_access_expires_at": int(float(token.extra["data_access_expires_at"])),
            "expires_at": int(token.expires_at.timestamp()) if token.expires_at else 0,
            "is_valid": True,
            "issued_at": int(token.issued_at.timestamp()),
            "scopes": permissions,
            "granular_scopes": [
                {"scope": p, **({"target_ids": pages} if p.startswith("pages_") else {})}
                for p in permissions
            ],
            "user_id": token.subject,
        }
        if token.extra["type"] == "PAGE":
            data["profile_id"] = token.extra["page"]
        problem = self.refused(token)
        if problem is not None:
            error = problem.body["error"]  # type: ignore[index]
            data["is_valid"] = False
            data["error"] = {
                "code": error["code"],
                "message": error["message"],
                "subcode": error.get("error_subcode"),
            }
        return Response(200, {"data": data})


def _select(values: dict[str, Any], fields: str) -> dict[str, Any]:
    """The named top-level fields (nested selections like ``x{id,username}`` kept whole)."""
    chosen: dict[str, Any] = {}
    depth, start = 0, 0
    names = []
    for index, char in enumerate(fields + ","):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            names.append(fields[start:index].strip())
            start = index + 1
    for name in names:
        base = name.split("{", 1)[0].split(".", 1)[0]
        if base in values and values[base] is not None:
            chosen[base] = values[base]
    return chosen


def new_app(redirect_uris: Iterable[str] = (), name: str = "replywatch") -> ClientApp:
    """A Meta app as its dashboard shows it: a numeric App ID and an App Secret."""
    return ClientApp(
        str(10**14 + secrets.randbelow(10**14)),
        secrets.token_hex(16),
        list(redirect_uris),
        name=name,
    )
