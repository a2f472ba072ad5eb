"""The shared sandbox machinery: the world as of `now`, the server's faults and call log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from sandbox.clock import SandboxClock
from sandbox.http import Response, SandboxServer
from sandbox.world import Actor, World

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def _world(platform: str = "x") -> World:
    world = World(platform, now=T0 + timedelta(hours=1))
    world.add_actor(Actor("100", "shop"))
    world.add_actor(Actor("900", "customer"))
    return world


def test_world_shows_what_exists_at_now():
    world = _world()
    post = world.post("100", T0, "Neue Brötchen!")
    question = world.post("900", T0 + timedelta(minutes=5), "Habt ihr offen?", reply_to=post.id)
    answer = world.post("100", T0 + timedelta(hours=2), "Ja!", reply_to=question.id)
    assert int(post.id) < int(question.id) < int(answer.id)  # snowflakes sort by time
    assert question.root_id == post.id and answer.root_id == post.id
    assert [p.id for p in world.mentioning("100")] == [question.id]
    assert world.get(answer.id) is None  # not written yet at now
    world.advance(timedelta(hours=2))
    assert [p.id for p in world.in_conversation(post.id)] == [answer.id, question.id]
    question.deleted_at = T0 + timedelta(hours=2, minutes=30)
    world.advance(timedelta(hours=1))
    assert [p.id for p in world.descendants(post.id)] == []  # the answer hangs below it


def test_platform_ids():
    facebook = World("facebook", now=T0)
    facebook.add_actor(Actor("555", "page"))
    page_post = facebook.post("555", T0, "Hallo")
    comment = facebook.post("555", T0, "c", reply_to=page_post.id)
    assert page_post.id.startswith("555_") and comment.id.startswith(page_post.id.split("_")[1])
    assert comment.kind == "comment"
    bluesky = World("bluesky", now=T0)
    bluesky.add_actor(Actor("did:plc:abcdefghijklmnopqrstuvwx", "shop.bsky.social"))
    uri = bluesky.post("did:plc:abcdefghijklmnopqrstuvwx", T0).id
    assert uri.startswith("at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/")


class Echo(SandboxServer):
    def route(self, request):
        return Response(body={"path": request.path, "q": request.arg("q")})

    def rate_limit_headers(self, request, reset_at):
        return {"x-reset": str(int(reset_at)) if reset_at else "none"}


def test_server_faults_and_call_log():
    with Echo(clock=SandboxClock(T0)) as server:
        assert requests.get(f"{server.url}/a?q=1").json() == {"path": "/a", "q": "1"}
        server.inject(r"^/a$", status=429, reset_in=30, skip=1)
        assert requests.get(f"{server.url}/a").status_code == 200  # skipped once
        limited = requests.get(f"{server.url}/a")
        # The reset and the Date header are on the server's clock, not the machine's.
        assert limited.status_code == 429 and limited.headers["x-reset"] == str(
            int(T0.timestamp()) + 30
        )
        assert limited.headers["Date"] == "Mon, 16 Nov 2026 09:00:00 GMT"
        server.inject(r"^/b$", kind="malformed")
        with pytest.raises(requests.JSONDecodeError):
            requests.get(f"{server.url}/b").json()
        server.inject(r"^/c$", kind="drop")
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/c")
        assert [c.status for c in server.calls_to("^/a$")] == [200, 200, 429]
        assert len(server.calls) == 5


def test_a_headers_fault_damages_or_drops_headers_of_a_normal_answer():
    with Echo(clock=SandboxClock(T0)) as server:
        normal = requests.get(f"{server.url}/a?q=1")
        assert "Date" in normal.headers and normal.headers["x-reset"] == "none"
        server.inject(r"^/a$", kind="headers", headers={"Date": "sometime", "X-Reset": None},
                      times=1)  # fmt: skip
        damaged = requests.get(f"{server.url}/a?q=2")
        assert damaged.status_code == 200 and damaged.json() == {"path": "/a", "q": "2"}
        assert damaged.headers["Date"] == "sometime" and "x-reset" not in damaged.headers
        assert "Date" in requests.get(f"{server.url}/a").headers  # only that one answer
