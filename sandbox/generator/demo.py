"""The demo's activity: one World per platform holding the portfolio's history.

``generate_demo(now=...)`` plays each client's story on each of its accounts for
``weeks`` weeks up to ``now`` (and, when ``future`` is given, on past ``now``, so that new
activity appears when the demo moves the worlds' clock forward). The result holds the
worlds the simulated platforms serve, and for every post which account's activity it
belongs to and what its text is (language, intent, question or not).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.generator.portfolio import DEMO_PORTFOLIO, AccountSpec, Portfolio
from sandbox.generator.scenes import Planned, Scene, WorldPlan
from sandbox.generator.stories import PLAYERS, content_calendar
from sandbox.generator.texts import TextLabel
from sandbox.world import Post, World


@dataclass
class DemoActivity:
    """The generated worlds and what the generator knows about each post in them."""

    portfolio: Portfolio
    seed: int
    start: datetime  # the first moment of generated history
    now: datetime  # the worlds' clock after generation
    end: datetime  # the last moment of generated activity (now + future)
    worlds: dict[str, World]  # by platform
    labels: dict[str, dict[str, TextLabel]]  # platform -> post id -> label
    owners: dict[str, dict[str, AccountSpec]]  # platform -> post id -> managed account

    def label(self, platform: str, post_id: str) -> TextLabel:
        return self.labels[platform][post_id]

    def account_of(self, platform: str, post_id: str) -> AccountSpec:
        return self.owners[platform][post_id]

    def activity_of(self, account: AccountSpec) -> list[Post]:
        """Every post of the account's activity (own, customers', staff's), oldest first."""
        world = self.worlds[account.platform]
        owners = self.owners[account.platform]
        posts = [world.posts[i] for i, owner in owners.items() if owner == account]
        return sorted(posts, key=lambda post: (post.created_at, post.id))

    def move_to(self, moment: datetime) -> None:
        """Set the clock of every world (back for an earlier view, forward for new activity)."""
        for world in self.worlds.values():
            with world.lock:
                world.now = moment

    def digest(self) -> str:
        """A fingerprint of all worlds: equal for equal seeds and parameters."""
        combined = hashlib.sha256()
        for platform in sorted(self.worlds):
            combined.update(world_digest(self.worlds[platform]).encode())
        return combined.hexdigest()


def generate_demo(
    portfolio: Portfolio = DEMO_PORTFOLIO,
    *,
    now: datetime,
    seed: int = 1,
    weeks: int = 13,
    future: timedelta = timedelta(0),
    customers_per_account: int = 60,
) -> DemoActivity:
    """Fill one World per platform with ``weeks`` weeks of the portfolio's stories."""
    if now.tzinfo is None:
        raise ValueError("now must be a time-zone-aware datetime (use datetime.now(UTC))")
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    if future < timedelta(0):
        raise ValueError("future must not be negative")
    start = now - timedelta(weeks=weeks)
    end = now + future
    plans = {
        platform: WorldPlan(platform, now, seed, random.Random(f"{seed}:people:{platform}"))
        for platform in portfolio.platforms
    }
    players = []
    for client in portfolio.clients:
        calendar = content_calendar(
            client, random.Random(f"{seed}:content:{client.name}"), start, end
        )
        for number, account in enumerate(client.accounts):
            rng = random.Random(f"{seed}:{client.name}:{account.platform}:{account.handle}")
            scene = Scene(
                plans[account.platform],
                client,
                account,
                rng,
                start,
                end,
                customers=customers_per_account,
            )
            offset = timedelta(minutes=7 * number)
            players.append(PLAYERS[client.story](scene, calendar, offset, now))
    for player in players:
        player.play()
    labels: dict[str, dict[str, TextLabel]] = {}
    owners: dict[str, dict[str, AccountSpec]] = {}
    for platform, plan in plans.items():
        committed: dict[str, Planned] = plan.commit()
        labels[platform] = {post_id: planned.label for post_id, planned in committed.items()}
        owners[platform] = {post_id: planned.account for post_id, planned in committed.items()}
    return DemoActivity(
        portfolio=portfolio,
        seed=seed,
        start=start,
        now=now,
        end=end,
        worlds={platform: plan.world for platform, plan in plans.items()},
        labels=labels,
        owners=owners,
    )


def world_digest(world: World) -> str:
    """A SHA-256 over everything a World holds, in a fixed order."""
    digest = hashlib.sha256(world.platform.encode())

    def put(*values: object) -> None:
        digest.update(repr(values).encode())

    for actor_id in sorted(world.actors):
        actor = world.actors[actor_id]
        put("actor", actor.id, actor.handle, actor.name, actor.followers)
    for actor_id in sorted(world.managed):
        managed = world.managed[actor_id]
        put("managed", managed.actor_id, managed.token, managed.page_id)
    for post_id in sorted(world.posts):
        post = world.posts[post_id]
        put(
            "post",
            post.id,
            post.author_id,
            post.created_at.isoformat(),
            post.text,
            post.parent_id,
            post.root_id,
            post.kind,
            post.reposted_id,
            tuple(post.mentions),
            tuple((like.actor_id, like.at.isoformat()) for like in post.likes),
            post.anonymous_likes,
            post.reposts,
            post.hidden_at.isoformat() if post.hidden_at else None,
            post.deleted_at.isoformat() if post.deleted_at else None,
        )
    return digest.hexdigest()
