"""Simulated platforms with their OAuth sides switched on, and the settings that point
replywatch's connect flows and collectors at them (tests of replywatch.connect)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from replywatch.config import Settings, load_settings
from sandbox.bluesky_api import BlueskyServer
from sandbox.graph_api import GraphApiServer
from sandbox.http import SandboxServer
from sandbox.mastodon_api import MastodonServer
from sandbox.meta_login import new_app
from sandbox.oauth import ClientApp
from sandbox.x_api import XApiServer
from sandbox.youtube_api import YouTubeServer
from storage.engine import session_factory
from storage.models import Client
from tests.support.platforms import (
    B_HANDLE,
    BLUESKY_APP_PASSWORD,
    MASTODON_DOMAIN,
    bluesky_world,
    graph_worlds,
    mastodon_world,
    x_world,
    youtube_world,
)

CLI_REDIRECT = "http://127.0.0.1:8765/callback"
META_SECRET_NAME = "META_APP_SECRET"
X_SECRET_NAME = "X_CLIENT_SECRET"
GOOGLE_SECRET_NAME = "GOOGLE_CLIENT_SECRET"
MASTODON_ADDRESS = f"@baeckerei@{MASTODON_DOMAIN}"
BLUESKY_HANDLE = B_HANDLE
BLUESKY_PASSWORD = BLUESKY_APP_PASSWORD
CLIENT_NAME = "Bäckerei Huber"


@dataclass
class ConnectPlatforms:
    """The running servers (by platform name) and the apps registered with them."""

    servers: dict[str, SandboxServer] = field(default_factory=dict)
    meta_app: ClientApp | None = None
    x_app: ClientApp | None = None
    google_app: ClientApp | None = None
    redirect_uris: list[str] = field(default_factory=list)

    def register_redirect(self, uri: str) -> None:
        """Add a redirect URI to the apps registered at X and Meta (their developer portals);
        Mastodon learns it when replywatch registers itself on the instance."""
        self.redirect_uris.append(uri)
        for app in (self.meta_app, self.x_app, self.google_app):
            assert app is not None
            app.redirect_uris.append(uri)

    def settings_values(self) -> dict[str, Any]:
        graph = self.servers["facebook"]
        assert self.meta_app is not None and self.x_app is not None
        assert self.google_app is not None
        return {
            "platforms.x.api_url": self.servers["x"].url,
            "platforms.x.authorize_url": self.servers["x"].url,
            "platforms.x.client_id": self.x_app.client_id,
            "platforms.x.client_secret_ref": X_SECRET_NAME,
            "platforms.graph.api_url": graph.url,
            "platforms.graph.dialog_url": graph.url,
            "platforms.graph.app_id": self.meta_app.client_id,
            "platforms.graph.app_secret_ref": META_SECRET_NAME,
            "platforms.mastodon.api_url": self.servers["mastodon"].url,
            "platforms.bluesky.pds_url": self.servers["bluesky"].url,
            "platforms.bluesky.appview_url": self.servers["bluesky"].url,
            "platforms.youtube.api_url": self.servers["youtube"].url,
            "platforms.youtube.authorize_url": self.servers["youtube"].url,
            "platforms.youtube.token_url": self.servers["youtube"].url,
            "platforms.youtube.client_id": self.google_app.client_id,
            "platforms.youtube.client_secret_ref": GOOGLE_SECRET_NAME,
        }

    def secrets(self) -> dict[str, str]:
        assert self.meta_app is not None and self.x_app is not None
        assert self.google_app is not None
        return {
            META_SECRET_NAME: str(self.meta_app.client_secret),
            X_SECRET_NAME: str(self.x_app.client_secret),
            GOOGLE_SECRET_NAME: str(self.google_app.client_secret),
        }


@contextmanager
def connect_platforms(
    now: datetime, redirect_uris: list[str] | tuple[str, ...] = (CLI_REDIRECT,)
) -> Iterator[ConnectPlatforms]:
    """X, Graph (Facebook + Instagram), Mastodon and Bluesky, each with the scripted
    Bäckerei Huber story, the apps registered for ``redirect_uris``."""
    uris = list(redirect_uris)
    meta_app = new_app(uris)
    x_app = ClientApp("x-client-huber", "x-client-secret-0123456789", list(uris))
    google_app = ClientApp(
        "1234-huber.apps.googleusercontent.com", "GOCSPX-huber0123456789", list(uris)
    )
    graph = graph_worlds(now)
    with ExitStack() as stack:
        x = stack.enter_context(XApiServer(x_world(now).world, app=x_app))
        meta = stack.enter_context(
            GraphApiServer(facebook=graph.facebook, instagram=graph.instagram, app=meta_app)
        )
        mastodon = stack.enter_context(
            MastodonServer(mastodon_world(now).world, domain=MASTODON_DOMAIN)
        )
        bluesky = stack.enter_context(BlueskyServer(bluesky_world(now).world))
        youtube = stack.enter_context(YouTubeServer(youtube_world(now).world, app=google_app))
        yield ConnectPlatforms(
            servers={
                "x": x,
                "facebook": meta,
                "instagram": meta,
                "mastodon": mastodon,
                "bluesky": bluesky,
                "youtube": youtube,
            },
            meta_app=meta_app,
            x_app=x_app,
            google_app=google_app,
            redirect_uris=uris,
        )


def write_secrets(path: Path, secrets: dict[str, str]) -> Path:
    path.write_text("".join(f'{name} = "{value}"\n' for name, value in secrets.items()))
    path.chmod(0o600)
    return path


def connect_settings(
    database_url: str, tmp_path: Path, platforms: ConnectPlatforms, **values: Any
) -> Settings:
    secrets_file = write_secrets(tmp_path / "secrets.toml", platforms.secrets())
    overrides = {
        "database.url": database_url,
        "secrets_file": str(secrets_file),
        "connect.key_file": str(tmp_path / "keys" / "connections.key"),
        "connect.cli_redirect_uri": CLI_REDIRECT,
        **platforms.settings_values(),
        **values,
    }
    return load_settings(
        env={"XDG_CONFIG_HOME": str(tmp_path / "config")},
        overrides={key: str(value) for key, value in overrides.items() if value is not None},
    )


def client_id(engine: Engine, name: str = CLIENT_NAME) -> int:
    """The client ``name``, created on first use."""
    with session_factory(engine).begin() as session:
        found = session.scalar(select(Client).where(Client.name == name))
        if found is None:
            found = Client(name=name, time_zone="Europe/Berlin")
            session.add(found)
            session.flush()
        return found.id


def config_file(path: Path, values: dict[str, Any]) -> Path:
    """A TOML configuration file holding these dotted settings (as ``--config FILE``)."""
    tables: dict[str, dict[str, str]] = {}
    top: dict[str, str] = {}
    for key, value in values.items():
        table, _, name = key.rpartition(".")
        (tables.setdefault(table, {}) if table else top)[name] = str(value)
    lines = [f"{name} = {_toml(value)}" for name, value in top.items()]
    for table, entries in tables.items():
        lines.append(f"[{table}]")
        lines.extend(f"{name} = {_toml(value)}" for name, value in entries.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cli_config(
    database_url: str, tmp_path: Path, platforms: ConnectPlatforms, **values: Any
) -> Path:
    """The configuration file for ``replywatch --config FILE account connect`` in a process."""
    secrets_file = write_secrets(tmp_path / "secrets.toml", platforms.secrets())
    return config_file(
        tmp_path / "replywatch.toml",
        {
            "database.url": database_url,
            "secrets_file": str(secrets_file),
            "connect.key_file": str(tmp_path / "keys" / "connections.key"),
            **platforms.settings_values(),
            **values,
        },
    )
