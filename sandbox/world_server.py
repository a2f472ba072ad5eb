"""What the Mastodon and Bluesky servers share: a World to render, the secrets they accept,
and a request budget announced in rate-limit headers.

Both are used the same way::

    server = MastodonServer(world).start()      # or BlueskyServer(world)
    client = Mastodon(access_token=server.credentials()["shop"], api_base_url=server.url)
    ...
    server.stop()

``credentials()`` maps each managed account's handle to the secret the server accepts for it
(a Mastodon access token, a Bluesky app password): ``world.manage(actor_id, secret)`` sets it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.http import Request, SandboxServer
from sandbox.rate_window import Budget, RateWindow
from sandbox.world import Actor, World


class WorldServer(SandboxServer):
    """A SandboxServer that renders one :class:`World` and counts calls per caller."""

    def __init__(
        self,
        world: World,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int,
        window_seconds: int,
        enforce_rate_limit: bool = False,
    ) -> None:
        if world.platform != self.platform:
            raise ValueError(f"a {self.platform} server cannot render a {world.platform!r} world")
        super().__init__(host=host, port=port, clock=world.clock)
        self.world = world
        self.rate_window = self.new_rate_window(rate_limit, window_seconds, enforce_rate_limit)

    def new_rate_window(self, limit: int, window_seconds: int, enforce: bool) -> RateWindow:
        """A request budget counted on the world's clock."""
        return RateWindow(limit, window_seconds, clock=self.world.clock.timestamp, enforce=enforce)

    # --- who is calling ---------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        """Handle of each managed account -> the secret this server accepts for it."""
        with self.world.lock:
            return {
                self.world.actors[managed.actor_id].handle: managed.token
                for managed in self.world.managed.values()
            }

    def actor_for_secret(self, secret: str | None) -> Actor | None:
        """The managed account whose token or app password is ``secret``."""
        if not secret:
            return None
        with self.world.lock:
            for managed in self.world.managed.values():
                if managed.token == secret:
                    return self.world.actors[managed.actor_id]
        return None

    # --- request budget ---------------------------------------------------------------

    def budget_key(self, request: Request) -> str:
        """Whose budget a call uses: its credential, or one shared anonymous budget."""
        return request.bearer or "anonymous"

    def window_for(self, request: Request) -> tuple[RateWindow, str]:
        """The budget a call is counted in and its key; platforms with several override."""
        return self.rate_window, self.budget_key(request)

    def charge(self, request: Request) -> tuple[RateWindow, Budget]:
        """Count ``request`` once (answered, faulted or refused alike) and remember it."""
        charged = getattr(request, "_charged", None)
        if charged is None:
            window, key = self.window_for(request)
            charged = (window, window.hit(key))
            request._charged = charged  # type: ignore[attr-defined]
        return charged

    def rate_limit_headers(self, request: Request, reset_at: float | None) -> dict[str, str]:
        window, budget = self.charge(request)
        if reset_at is not None:  # an injected 429: the budget is gone until reset_at
            budget = Budget(budget.limit, 0, reset_at)
        return self.budget_headers(budget, window.window_seconds)

    def budget_headers(self, budget: Budget, window_seconds: int) -> dict[str, str]:
        raise NotImplementedError


def iso_millis(moment: datetime) -> str:
    """2026-11-16T09:00:00.000Z: the timestamp form both platforms use in JSON."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
