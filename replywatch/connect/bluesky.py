"""Connecting a Bluesky account: its handle and an app password, checked before they are
stored.

Bluesky's app passwords are made by the owner (Settings → Privacy and security → App
passwords) and can be deleted there at any time; they cannot change the account's
password or email. replywatch refuses anything that does not look like one (four groups
of four letters and digits), so that nobody hands over the account's real password, and
asks the PDS (``platforms.bluesky.pds_url``) for a session with it
(``com.atproto.server.createSession``) before sealing it: a typo is refused at once, not
at the next collection.
"""

from __future__ import annotations

import re

import httpx
from atproto import Client, models
from atproto_client.exceptions import (
    BadRequestError,
    NetworkError,
    RequestException,
    UnauthorizedError,
)

from collectors.redact import install_log_filter, register_secret
from replywatch.connect.grants import ConnectError, FlowContext, Grant, Refusal
from storage.platforms import BLUESKY, canonical_handle

APP_PASSWORD = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$")
PLATFORM = "Bluesky"


class BlueskyFlow:
    def verify(self, context: FlowContext, handle: str, app_password: str) -> Grant:
        """The grant for ``handle`` once the PDS took ``app_password``; ConnectError if not."""
        try:
            canonical = canonical_handle(BLUESKY.name, handle)
        except ValueError:
            raise ConnectError(
                Refusal.BAD_INPUT,
                f"{handle!r} is not a Bluesky handle; expected one like {BLUESKY.handle.example}",
            ) from None
        password = app_password.strip()
        if not APP_PASSWORD.match(password):
            raise ConnectError(
                Refusal.BAD_INPUT,
                "that is not an app password (four groups of four letters and digits, like "
                "abcd-efgh-ijkl-mnop); create one in Bluesky under Settings → Privacy and "
                "security → App passwords. Never give replywatch your account's password",
            )
        register_secret(password)
        install_log_filter()
        client = Client(base_url=context.settings.get("platforms.bluesky.pds_url"))
        try:
            session = client.com.atproto.server.create_session(
                models.ComAtprotoServerCreateSession.Data(identifier=canonical, password=password)
            )
        except UnauthorizedError:
            raise ConnectError(
                Refusal.REJECTED,
                f"{PLATFORM} refused the handle {canonical} with that app password; check "
                "both (the app password may have been deleted)",
            ) from None
        except NetworkError as exc:
            if exc.response is not None and exc.response.status_code == 429:
                raise ConnectError(Refusal.RATE_LIMITED, f"{PLATFORM} asks to wait") from None
            raise ConnectError(Refusal.UNREACHABLE, f"{PLATFORM} did not answer") from None
        except (BadRequestError, RequestException) as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            if status == 429:
                raise ConnectError(Refusal.RATE_LIMITED, f"{PLATFORM} asks to wait") from None
            raise ConnectError(
                Refusal.REJECTED if status in (400, 401) else Refusal.PLATFORM,
                f"{PLATFORM} refused the login (HTTP {status})",
            ) from None
        except httpx.TransportError as exc:
            raise ConnectError(
                Refusal.UNREACHABLE, f"{PLATFORM} did not answer: {type(exc).__name__}"
            ) from None
        register_secret(session.access_jwt)
        register_secret(session.refresh_jwt)
        return Grant(
            platform=BLUESKY.name,
            handle=canonical_handle(BLUESKY.name, session.handle) if session.handle else canonical,
            platform_account_id=session.did,
            display_name=None,
            secret={"secret": password},
            scopes=(),
            label=f"Bluesky {session.handle or canonical}",
        )


FLOW = BlueskyFlow()
