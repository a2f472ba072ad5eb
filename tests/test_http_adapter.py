"""The adapter that points a library's hard-coded host at the configured base URL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from collectors.http import mount
from collectors.transport import Fault, Limits, Service, TransportFailure
from sandbox.clock import SandboxClock
from sandbox.http import Response, SandboxServer
from tests.support.postgres import free_port

SERVICE = Service("the test API", "test.api_url")


class Echo(SandboxServer):
    def route(self, request):
        return Response(body={"path": request.path, "query": request.query},
                        headers={"x-app-usage": '{"call_count": 7}'})  # fmt: skip


def test_requests_go_to_the_base_url_with_its_path_and_are_counted():
    counted = []
    with Echo(clock=SandboxClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))) as server:
        session = requests.Session()
        adapter = mount(session, "https://api.twitter.com", f"{server.url}/gateway/x",
                        Limits(5), SERVICE, on_request=lambda: counted.append(1))  # fmt: skip
        body = session.get("https://api.twitter.com/2/users/100", params={"a": "1"}).json()
        assert body == {"path": "/gateway/x/2/users/100", "query": {"a": ["1"]}}
        session.get("https://api.twitter.com/2/tweets")
        assert adapter.requests_sent == 2 and len(counted) == 2
        assert adapter.last_status == 200 and adapter.last_headers["x-app-usage"] == (
            '{"call_count": 7}')  # fmt: skip


def test_the_request_timeout_applies_even_when_the_library_sets_none():
    with Echo(clock=SandboxClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))) as server:
        server.inject("/slow", kind="slow", delay=1.0)
        session = requests.Session()
        mount(session, "https://graph.facebook.com", server.url, Limits(0.2), SERVICE)
        with pytest.raises(TransportFailure) as raised:
            session.get("https://graph.facebook.com/slow")
        assert raised.value.fault is Fault.TIMEOUT and not raised.value.answered
        assert (
            raised.value.detail
            == f"{server.url.removeprefix('http://')} did not answer within 0.2 s"
        )


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def no_proxies(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def _dead_proxy() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


def test_a_proxy_from_the_environment_is_used_unless_no_proxy_exempts_the_host(no_proxies):
    with Echo(clock=SandboxClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))) as server:
        no_proxies.setenv("http_proxy", _dead_proxy())
        through_proxy = requests.Session()
        mount(through_proxy, server.url, server.url, Limits(5), SERVICE)
        with pytest.raises(TransportFailure) as raised:
            through_proxy.get(f"{server.url}/2/users/1")
        assert raised.value.fault is Fault.REFUSED

        no_proxies.setenv("no_proxy", "127.0.0.1")
        direct = requests.Session()
        mount(direct, server.url, server.url, Limits(5), SERVICE)
        assert direct.get(f"{server.url}/2/users/1").json()["path"] == "/2/users/1"


def test_a_session_reads_the_environment_once_when_mounted_not_before_each_request(no_proxies):
    # With thousands of environment variables (accounts' tokens) reading the proxies
    # before every request cost more CPU than the request (bench/collection_cost.py).
    with Echo(clock=SandboxClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))) as server:
        session = requests.Session()
        mount(session, server.url, server.url, Limits(5), SERVICE)
        assert session.get(f"{server.url}/a").json()["path"] == "/a"
        no_proxies.setenv("http_proxy", _dead_proxy())
        assert session.get(f"{server.url}/b").json()["path"] == "/b"
