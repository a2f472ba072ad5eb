"""One classification of transport faults for every platform (collectors.transport).

Each platform's real client library talks to its simulated server, which misbehaves on
one route the collector reaches after its first calls: it trickles its answer one byte at
a time, sends more than the size limit, cuts the body off, redirects to itself, answers
200 with HTML, with nothing or with somebody else's JSON, or closes the connection
without a word. The same fault gets the same outcome, retry and words on every platform,
and the message names the endpoint where it happened.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from replywatch.collecting import collect_account
from sandbox.bluesky_api import BlueskyServer
from sandbox.graph_api import GraphApiServer
from sandbox.http import SandboxServer
from sandbox.mastodon_api import MastodonServer
from sandbox.x_api import XApiServer
from sandbox.youtube_api import YouTubeServer
from storage.engine import make_engine, session_factory
from storage.models import CollectionRun
from tests.support.cli import run_main
from tests.support.platforms import (
    BLUESKY_APP_PASSWORD,
    MASTODON_DOMAIN,
    MASTODON_TOKEN,
    PAGE_TOKEN,
    X_TOKEN,
    YT_OAUTH,
    add_bluesky_account,
    add_graph_accounts,
    add_mastodon_account,
    add_x_account,
    add_youtube_account,
    bluesky_world,
    fast_retry,
    graph_worlds,
    mastodon_world,
    settings_for,
    x_world,
    youtube_world,
)

DEADLINE = 2  # collect.request_timeout: seconds for a whole request
LIMIT_MB = 1  # collect.max_response_mb


@dataclass
class Platform:
    name: str
    engine: Engine
    server: SandboxServer
    account_id: int
    env: dict[str, str]
    settings: object
    route: str  # a route the collector reaches after its first calls
    endpoint: str  # how messages name it
    api: str  # whose API the base URL should be
    setting: str  # the setting that names it
    now: datetime

    @property
    def host(self) -> str:
        return self.server.url.removeprefix("http://")

    def collect(self, max_retries: int = 0):
        return collect_account(self.engine, self.settings, self.account_id,
                               now=self.now, env=self.env, retry=fast_retry(max_retries))  # fmt: skip

    def calls(self) -> int:
        return len(self.server.calls_to(self.route))


@pytest.fixture
def engine(sqlite_template, tmp_path):
    """SQLite only: the faults are the transport's, the storage is not what is tested."""
    path = tmp_path / "replywatch.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _limited(tmp_path, **urls: str):
    return settings_for(tmp_path, REPLYWATCH_REQUEST_TIMEOUT=DEADLINE,
                        REPLYWATCH_MAX_RESPONSE_MB=LIMIT_MB, **urls)  # fmt: skip


def _x(engine, tmp_path) -> Iterator[Platform]:
    scripted = x_world()
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
    with XApiServer(scripted.world) as server:
        settings = _limited(tmp_path, REPLYWATCH_X_API_URL=server.url)
        yield Platform("x", engine, server, account_id, {"HUBER_X_TOKEN": X_TOKEN}, settings,
                       r"^/2/users/\d+/mentions$", "GET /2/users/:id/mentions", "the X API",
                       "platforms.x.api_url", scripted.world.now)  # fmt: skip


def _facebook(engine, tmp_path) -> Iterator[Platform]:
    scripted = graph_worlds()
    with session_factory(engine).begin() as session:
        facebook_id, _ = add_graph_accounts(session)
    with GraphApiServer(facebook=scripted.facebook, instagram=scripted.instagram) as server:
        settings = _limited(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url)
        yield Platform("facebook", engine, server, facebook_id, {"HUBER_PAGE_TOKEN": PAGE_TOKEN},
                       settings, r"/555/feed$", "GET /{id}/feed", "the Graph API",
                       "platforms.graph.api_url", scripted.facebook.now)  # fmt: skip


def _mastodon(engine, tmp_path) -> Iterator[Platform]:
    scripted = mastodon_world()
    with session_factory(engine).begin() as session:
        account_id = add_mastodon_account(session).id
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN) as server:
        settings = _limited(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
        yield Platform("mastodon", engine, server, account_id,
                       {"HUBER_MASTODON_TOKEN": MASTODON_TOKEN}, settings,
                       r"^/api/v1/notifications$", "GET /api/v1/notifications",
                       "the Mastodon API", "the account's instance (or "
                       "platforms.mastodon.api_url)", scripted.world.now)  # fmt: skip


def _bluesky(engine, tmp_path) -> Iterator[Platform]:
    scripted = bluesky_world()
    with session_factory(engine).begin() as session:
        account_id = add_bluesky_account(session).id
    with BlueskyServer(scripted.world) as server:
        settings = _limited(tmp_path, REPLYWATCH_BLUESKY_APPVIEW_URL=server.url,
                            REPLYWATCH_BLUESKY_PDS_URL=server.url)  # fmt: skip
        yield Platform("bluesky", engine, server, account_id,
                       {"HUBER_BLUESKY_APP_PASSWORD": BLUESKY_APP_PASSWORD}, settings,
                       r"getAuthorFeed$", "GET app.bsky.feed.getAuthorFeed",
                       "the Bluesky AppView", "platforms.bluesky.appview_url",
                       scripted.world.now)  # fmt: skip


def _youtube(engine, tmp_path) -> Iterator[Platform]:
    scripted = youtube_world()
    with session_factory(engine).begin() as session:
        account_id = add_youtube_account(session).id
    with YouTubeServer(scripted.world) as server:
        settings = _limited(tmp_path, REPLYWATCH_YOUTUBE_API_URL=server.url)
        yield Platform("youtube", engine, server, account_id,
                       {"HUBER_YOUTUBE_TOKEN": YT_OAUTH}, settings,
                       r"/youtube/v3/playlistItems$", "GET /youtube/v3/playlistItems",
                       "the YouTube Data API", "platforms.youtube.api_url",
                       scripted.world.now)  # fmt: skip


BUILDERS: dict[str, Callable[..., Iterator[Platform]]] = {
    "x": _x, "facebook": _facebook, "mastodon": _mastodon, "bluesky": _bluesky,
    "youtube": _youtube,
}  # fmt: skip


@pytest.fixture(params=sorted(BUILDERS))
def platform(request, engine, tmp_path) -> Iterator[Platform]:
    yield from BUILDERS[request.param](engine, tmp_path)


def _outcomes(engine) -> list[str]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(CollectionRun.outcome).order_by(CollectionRun.id)))


def test_a_trickling_answer_ends_at_the_deadline(platform):
    fault = platform.server.inject(platform.route, kind="trickle", delay=0.05, times=-1)
    summary = platform.collect(max_retries=0)
    assert summary.outcome == "failed"
    assert summary.error == (
        f"{platform.endpoint}: {platform.host} did not answer within {DEADLINE} s; gave up "
        "after 1 attempts"
    )
    # The client hung up: the server had sent a few dozen bytes of its answer, not all.
    assert 0 < fault.sent < 300
    assert summary.unreachable == platform.server.url  # no answer came: the host is down


@pytest.mark.parametrize("announced", [True, False], ids=["announced", "streamed"])
def test_an_oversized_answer_stops_at_the_size_limit_and_is_not_retried(platform, announced):
    size = 40 * 1024 * 1024  # more than the kernel's socket buffers hold
    fault = platform.server.inject(platform.route, kind="oversized", size=size, times=-1,
                                   announce_length=announced)  # fmt: skip
    summary = platform.collect(max_retries=3)
    assert summary.outcome == "failed"
    told = " (40 MB announced)" if announced else ""
    assert summary.error == (
        f"{platform.endpoint}: {platform.host} sent an answer larger than {LIMIT_MB} MB{told}; "
        "reading stopped (collect.max_response_mb)"
    )
    assert platform.calls() == 1
    assert fault.sent < size  # the rest was never read


def test_a_cut_off_answer_is_retried_and_named(platform):
    platform.server.inject(platform.route, kind="cut_off", times=1)
    survived = platform.collect(max_retries=1)
    assert survived.outcome == "ok", survived.error  # asked again, and answered in full

    platform.server.reset_calls()
    platform.server.inject(platform.route, kind="cut_off", times=-1)
    platform.now += timedelta(hours=1)
    failed = platform.collect(max_retries=1)
    assert failed.outcome == "failed"
    assert failed.error.startswith(f"{platform.endpoint}: {platform.host} cut its answer off "
                                   "after ")  # fmt: skip
    assert failed.error.endswith(" bytes of the body; gave up after 2 attempts")
    assert platform.calls() == 2
    assert failed.unreachable is None  # it answered: a struggling host, not a dead one


def test_a_redirect_loop_is_one_failed_call_not_retried(platform):
    platform.server.inject(platform.route, kind="redirect_loop", times=-1)
    summary = platform.collect(max_retries=3)
    assert summary.outcome == "failed"
    assert summary.error == (
        f"{platform.endpoint}: {platform.host} redirects in a loop (more than 5 redirects): is "
        "the API's base URL right?"
    )
    assert platform.calls() == 6  # the request and five redirects, once


@pytest.mark.parametrize(
    ("body", "headers", "what"),
    [
        (b"<!DOCTYPE html><html><body>Welcome to Hotel WiFi. Please log in.</body></html>",
         {"Content-Type": "text/html; charset=utf-8"}, "HTML"),
        (b"", {}, "with an empty body"),
        (b"OK", {"Content-Type": "text/plain"}, "text that is not JSON (text/plain)"),
    ],
    ids=["captive-portal", "empty", "text"],
)  # fmt: skip
def test_a_200_answer_that_is_not_json_fails_the_run(platform, body, headers, what):
    platform.server.inject(platform.route, status=200, body=body, headers=headers, times=-1)
    summary = platform.collect(max_retries=3)
    assert summary.outcome == "failed"
    assert summary.error == (
        f"{platform.endpoint}: {platform.host} answered {what}, not {platform.api}: is "
        f"{platform.setting} right?"
    )
    assert platform.calls() == 1  # not retried: a portal does not go away in seconds


def test_a_200_answer_with_somebody_elses_json_fails_the_run(platform):
    platform.server.inject(platform.route, status=200, body={"status": "ok", "login": "/portal"},
                           times=-1)  # fmt: skip
    summary = platform.collect(max_retries=3)
    assert summary.outcome == "failed"
    assert summary.error.startswith(f"{platform.endpoint}: {platform.host} answered JSON without ")
    assert summary.error.endswith(f", not {platform.api}: is {platform.setting} right?")
    assert _outcomes(platform.engine) == ["failed"]


def test_a_connection_closed_without_an_answer_is_retried_then_names_the_host(platform):
    platform.server.inject(platform.route, kind="drop", times=-1)
    summary = platform.collect(max_retries=2)
    assert summary.outcome == "failed"
    assert summary.error == (
        f"{platform.endpoint}: {platform.host} closed the connection without answering; gave "
        "up after 3 attempts"
    )
    assert platform.calls() == 3
    assert summary.unreachable == platform.server.url


def test_a_captive_portal_makes_replywatch_collect_exit_1_naming_the_setting(
    engine, tmp_path, capsys, monkeypatch
):
    for built in _x(engine, tmp_path):
        built.server.inject(r"^/2/", status=200, times=-1, headers={"Content-Type": "text/html"},
                            body=b"<html><title>Anmeldung</title></html>")  # fmt: skip
        for name, value in {
            "REPLYWATCH_DATABASE_URL": str(engine.url),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
            "REPLYWATCH_X_API_URL": built.server.url,
            "HUBER_X_TOKEN": X_TOKEN,
        }.items():
            monkeypatch.setenv(name, value)
        outcome = run_main(capsys, "collect")
        assert outcome.code == 1
        assert outcome.err.splitlines() == [
            f"replywatch collect: account 1 x @huber_shop failed: GET "
            f"/2/users/by/username/:username: {built.host} answered HTML, not the X API: is "
            "platforms.x.api_url right?"
        ]
