"""The simulated platforms the demo collects from: one local HTTP server per wire format.

Each server renders the generated worlds of :mod:`sandbox.generator` the way the real
service answers (pagination, rate-limit headers, hidden and deleted comments); the
production collectors reach them only through the base-URL settings, exactly as they would
reach a proxy or a different host. Nothing in the collectors knows it is a demo.

Which server speaks for a platform, and which settings hold its base URLs, is the
platform registry's (``storage.platforms``); a server that speaks for two platforms (the
Graph API: Facebook and Instagram) is started once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from replywatch.references import load
from sandbox.generator import DemoActivity
from sandbox.http import SandboxServer
from storage.platforms import REGISTRY


@dataclass
class SimulatedPlatforms:
    """The running servers and the settings that point the collectors at them."""

    servers: dict[str, SandboxServer] = field(default_factory=dict)  # by platform
    settings: dict[str, str] = field(default_factory=dict)  # setting key -> base URL

    def api_calls(self) -> int:
        """Requests the servers answered so far (one Graph server serves two platforms)."""
        unique = {id(server): server for server in self.servers.values()}
        return sum(len(server.calls) for server in unique.values())


@contextmanager
def simulated_platforms(
    activity: DemoActivity, host: str = "127.0.0.1"
) -> Iterator[SimulatedPlatforms]:
    """Start a server for each platform of the activity (free ports); stop them on exit."""
    running = SimulatedPlatforms()
    started: dict[str, SandboxServer] = {}  # by the registry's server reference
    with ExitStack() as stack:
        for spec in REGISTRY:
            if spec.name not in activity.worlds:
                continue
            server = started.get(spec.simulated_server)
            if server is None:
                server_class: type[SandboxServer] = load(spec.simulated_server)
                server = server_class.for_activity(activity, host=host)
                server.start()
                stack.callback(server.stop)
                started[spec.simulated_server] = server
            running.servers[spec.name] = server
            for setting in spec.api_settings:
                if setting.form == "url":
                    running.settings[setting.key] = server.url
        yield running
