"""The simulated platforms the demo collects from: one local HTTP server per wire format.

Each server renders the generated worlds of :mod:`sandbox.generator` the way the real
service answers (pagination, rate-limit headers, hidden and deleted comments); the
production collectors reach them only through the base-URL settings, exactly as they would
reach a proxy or a different host. Nothing in the collectors knows it is a demo.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from sandbox.bluesky_api import BlueskyServer
from sandbox.generator import DemoActivity, Portfolio
from sandbox.graph_api import GraphApiServer
from sandbox.http import SandboxServer
from sandbox.mastodon_api import MastodonServer
from sandbox.x_api import XApiServer

# The simulated Mastodon announces 300 calls per 5 minutes like mastodon.social, and the
# collector waits when a budget runs out; a demo that collects months of history in one
# go must not wait for the wall clock, so its servers announce generous budgets.
DEMO_MASTODON_CALLS = 100_000
DEMO_BLUESKY_CALLS = 100_000
DEMO_GRAPH_HOURLY_CALLS = 100_000


@dataclass
class SimulatedPlatforms:
    """The running servers and the settings that point the collectors at them."""

    servers: dict[str, SandboxServer] = field(default_factory=dict)  # by platform
    settings: dict[str, str] = field(default_factory=dict)  # setting key -> base URL

    def api_calls(self) -> int:
        """Requests the servers answered so far (one Graph server serves two platforms)."""
        unique = {id(server): server for server in self.servers.values()}
        return sum(len(server.calls) for server in unique.values())


def _instance_domain(portfolio: Portfolio) -> str | None:
    for _, account in portfolio.accounts():
        if account.platform == "mastodon":
            return account.handle.rsplit("@", 1)[-1]
    return None


@contextmanager
def simulated_platforms(
    activity: DemoActivity, host: str = "127.0.0.1"
) -> Iterator[SimulatedPlatforms]:
    """Start a server for each platform of the activity (free ports); stop them on exit."""
    worlds = activity.worlds
    running = SimulatedPlatforms()
    with ExitStack() as stack:

        def start(server: SandboxServer) -> SandboxServer:
            server.start()
            stack.callback(server.stop)
            return server

        if "x" in worlds:
            x = start(XApiServer(worlds["x"], host=host))
            running.servers["x"] = x
            running.settings["platforms.x.api_url"] = x.url
        if "facebook" in worlds or "instagram" in worlds:
            graph = start(
                GraphApiServer(
                    facebook=worlds.get("facebook"),
                    instagram=worlds.get("instagram"),
                    host=host,
                    hourly_calls=DEMO_GRAPH_HOURLY_CALLS,
                )
            )
            for platform in ("facebook", "instagram"):
                if platform in worlds:
                    running.servers[platform] = graph
            running.settings["platforms.graph.api_url"] = graph.url
        if "mastodon" in worlds:
            mastodon = start(
                MastodonServer(
                    worlds["mastodon"],
                    domain=_instance_domain(activity.portfolio),
                    host=host,
                    rate_limit=DEMO_MASTODON_CALLS,
                )
            )
            running.servers["mastodon"] = mastodon
            running.settings["platforms.mastodon.api_url"] = mastodon.url
        if "bluesky" in worlds:
            bluesky = start(
                BlueskyServer(worlds["bluesky"], host=host, rate_limit=DEMO_BLUESKY_CALLS)
            )
            running.servers["bluesky"] = bluesky
            # The simulated Bluesky is PDS and AppView in one.
            running.settings["platforms.bluesky.appview_url"] = bluesky.url
            running.settings["platforms.bluesky.pds_url"] = bluesky.url
        yield running
