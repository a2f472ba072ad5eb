"""A deterministic activity generator for the simulated platforms.

Two modes:

- :func:`generate_demo` fills one :class:`sandbox.world.World` per platform with the demo
  portfolio's stories (:data:`DEMO_PORTFOLIO`): an agency that only broadcasts, an in-house
  team that answers on weekdays only, a responsive agency that meets its SLA.
- :func:`stream_activity` yields platform-neutral items and likes for benchmark sizes
  (1e5 .. 1e7 items over about 1,000 accounts) in constant memory; :func:`load_worlds`
  puts such a stream behind the simulated platforms.

Same seed and parameters, same output: every random choice comes from a
``random.Random`` seeded from the caller's seed and a stable name, never from the global
generator, hash order or the clock. Imports nothing of replywatch's own.
"""

from sandbox.generator.demo import DemoActivity, generate_demo, world_digest
from sandbox.generator.loading import bench_token, load_worlds
from sandbox.generator.portfolio import (
    DEMO_PORTFOLIO,
    AccountSpec,
    ClientSpec,
    IdentitySpec,
    Portfolio,
    Story,
    UserSpec,
)
from sandbox.generator.stream import (
    StreamAccount,
    StreamClient,
    StreamItem,
    StreamLike,
    StreamPlan,
    StreamSpec,
    plan_stream,
    stream_activity,
)
from sandbox.generator.texts import TextLabel

__all__ = [
    "DEMO_PORTFOLIO",
    "AccountSpec",
    "ClientSpec",
    "DemoActivity",
    "IdentitySpec",
    "Portfolio",
    "Story",
    "StreamAccount",
    "StreamClient",
    "StreamItem",
    "StreamLike",
    "StreamPlan",
    "StreamSpec",
    "TextLabel",
    "UserSpec",
    "bench_token",
    "generate_demo",
    "load_worlds",
    "plan_stream",
    "stream_activity",
    "world_digest",
]
