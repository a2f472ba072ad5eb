"""Hypothesis strategies: generated clients, accounts and threads, and loading them.

The generated data exercises every rule on purpose: own posts with customer comments,
customer threads the account joins, mentions and visitor posts, bursts of one author,
deep threads on X and Mastodon, flat comment threads on Facebook and Instagram, answers
by agency staff, own thread continuations, reposts, own likes, removed comments, posts and
mentions, answers late enough to miss the answer window, times around a daylight-saving
switch, and follower counts taken before, inside and after the periods (or never).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from sqlalchemy.orm import Session

from storage.models import Account, Client
from storage.platforms import PLATFORMS, ThreadShape
from storage.records import ItemRecord, LikeRecord
from storage.upsert import record_followers
from tests.support.reference import Followers, Item, Like, Settings, World

# Sunday 25 October 2026, 20:00 UTC: Europe/Berlin fell back that morning, New York a week
# later; threads spread two weeks around it.
BASE = datetime(2026, 10, 25, 20, 0, tzinfo=UTC)
TEXTS = (
    "Wann habt ihr offen?",
    "Bitte um Rückruf",
    "super, danke",
    "please DM me the order number",
    "love it",
    "Where is my parcel",
    "",
    "Perfect, I'll come by on Wednesday.",  # an acknowledgment after an answer
    "Danke, aber es geht immer noch nicht",  # thanks that is none
    "👍",
)
# What the own side replies: redirects, one text pasted with the customer's name, answers.
OWN_TEXTS = (
    "Hi Anna, please DM us your order number ^JS",
    "Hi Ben, please DM us your order number ^MM",
    "Thanks for your message! The new loaves are out at 7.",
    "Thanks for your message! The new loaves are out at 7.",
    "Thanks for your message! The new loaves are out at 7.",
    "Wir haben heute bis 18 Uhr offen.",
    "Gerne!",
    "",
)
# Where a customer's reply names the account (storage.models.Item.mention_place); "legacy"
# is a mention stored before the place was known.
MENTION_PLACES = (None, None, None, None, "legacy", "text", "prefix", "leading")
CUSTOMERS = ("c1", "c2", "c3", "c4")


@st.composite
def client_settings(draw: st.DrawFn) -> Settings:
    time_zone = draw(st.sampled_from(["Europe/Berlin", "America/New_York", "UTC"]))
    return Settings(
        time_zone=time_zone,
        business_hours=draw(
            st.sampled_from([None, "mon-fri 09:00-17:00", "mon-sat 08:00-12:00 13:00-18:00"])
        ),
        holiday_region=draw(st.sampled_from([None, "DE-BY"])) if time_zone != "UTC" else None,
        answer_window=timedelta(hours=draw(st.sampled_from([24, 48]))),
        response_target=timedelta(minutes=draw(st.sampled_from([30, 240]))),
        min_settled=draw(st.integers(1, 5)),
        widen_max_weeks=draw(st.integers(1, 3)),
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[World, dict[int, tuple[str, str]]]:
    """A World plus, per account id, (platform, handle)."""
    settings: dict[int, Settings] = {}
    accounts: dict[int, tuple[str, str, int]] = {}  # id -> platform, own author, client
    for client in range(1, draw(st.integers(1, 2)) + 1):
        settings[client] = draw(client_settings())
        for _ in range(draw(st.integers(1, 2))):
            account = len(accounts) + 1
            platform = draw(st.sampled_from(["x", "facebook", "instagram", "mastodon"]))
            accounts[account] = (platform, f"own{account}", client)
    items: list[Item] = []
    likes: list[Like] = []
    followers: list[Followers] = []
    counter = iter(range(1, 10**6))

    def new_id() -> str:
        return str(next(counter))

    for account, (platform, own_author, client) in accounts.items():
        own_authors = (own_author, f"agency{client}")
        for _ in range(draw(st.integers(1, 5))):
            start = BASE + timedelta(minutes=draw(st.integers(-7 * 1440, 7 * 1440)))
            root_kind = draw(st.sampled_from(["post", "post", "post", "customer", "special"]))
            if root_kind == "post":
                author, own, kind, mentions = own_author, True, "post", False
            elif root_kind == "customer":
                author, own, kind, mentions = draw(st.sampled_from(CUSTOMERS)), False, "post", False
            else:
                author, own = draw(st.sampled_from(CUSTOMERS)), False
                kind = "visitor_post" if platform == "facebook" else "mention"
                mentions = kind == "mention"
            root = Item(
                platform=platform,
                id=new_id(),
                account=account,
                client=client,
                author=author,
                is_own=own,
                kind=kind,
                created_at=start,
                mentions=mentions,
                text=draw(st.sampled_from(TEXTS)),
                like_count=draw(st.integers(0, 3)),
                repost_count=draw(st.integers(0, 2)),
                removed=not own and draw(st.integers(0, 9)) == 0,
            )
            thread = [root]
            items.append(root)
            last = start
            for _ in range(draw(st.integers(0, 9))):
                if PLATFORMS[platform].thread_shape is ThreadShape.FLAT:
                    tops = [i for i in thread if i.parent == root.id]
                    parent = draw(st.sampled_from([root, *tops]))
                else:
                    parent = draw(st.sampled_from(thread))
                if parent.author in own_authors:
                    # customers answer the account, or join in
                    speaker = draw(st.sampled_from([*CUSTOMERS, *own_authors]))
                else:
                    # the account answers (itself or agency staff), the author writes again
                    # (a burst), or somebody else joins
                    speaker = draw(
                        st.sampled_from([*own_authors, *own_authors, parent.author, *CUSTOMERS])
                    )
                is_own = speaker in own_authors
                delays = [0, 3, 45, 600, 1500, 3000] if is_own else [0, 1, 20, 2000]
                last = max(last, parent.created_at) + timedelta(
                    minutes=draw(st.sampled_from(delays))
                )
                place = None if is_own else draw(st.sampled_from(MENTION_PLACES))
                reply = Item(
                    platform=platform,
                    id=new_id(),
                    account=account,
                    client=client,
                    author=speaker,
                    is_own=is_own,
                    kind=PLATFORMS[platform].reply_kind.value,
                    created_at=last,
                    parent=parent.id,
                    root=root.id,
                    mentions=place is not None,
                    mention_place=None if place == "legacy" else place,
                    text=draw(st.sampled_from(OWN_TEXTS if is_own else TEXTS)),
                    like_count=draw(st.integers(0, 2)),
                    removed=not is_own and draw(st.integers(0, 9)) == 0,
                )
                thread.append(reply)
                items.append(reply)
            for liked in thread:
                if draw(st.integers(0, 3)) == 0:
                    likes.append(Like(platform, liked.id, is_own=draw(st.booleans())))
        if draw(st.booleans()):
            items.append(
                Item(
                    platform=platform,
                    id=new_id(),
                    account=account,
                    client=client,
                    author=own_author,
                    is_own=True,
                    kind="repost",
                    created_at=BASE + timedelta(minutes=draw(st.integers(-3000, 3000))),
                )
            )
    for account in accounts:
        # distinct moments: two counts taken at the same instant have no "last" one
        taken = draw(st.sets(st.integers(-21 * 1440, 21 * 1440), max_size=3))
        for minutes in sorted(taken):
            followers.append(
                Followers(account, BASE + timedelta(minutes=minutes), draw(st.integers(0, 5000)))
            )
    handles = {
        account: (platform, f"@own{account}") for account, (platform, _, _) in accounts.items()
    }
    return World(items, likes, settings, followers), handles


def record_of(item: Item) -> ItemRecord:
    return ItemRecord(
        platform=item.platform,
        platform_item_id=item.id,
        author_id=item.author,
        author_handle=item.author,
        is_own=item.is_own,
        kind=item.kind,
        created_at=item.created_at,
        text=item.text,
        parent_id=item.parent,
        root_id=item.root,
        mentions_account=item.mentions,
        mention_place=item.mention_place,
        like_count=item.like_count,
        repost_count=item.repost_count,
        hidden=item.removed,
    )


def like_record(like: Like, number: int) -> LikeRecord:
    liker = f"own-liker-{number}" if like.is_own else f"fan-{number}"
    return LikeRecord(like.platform, like.item, liker, liker, like.is_own)


def store_clients(
    session: Session, world: World, handles: dict[int, tuple[str, str]]
) -> tuple[dict[int, int], dict[int, int]]:
    """Clients, accounts and their follower counts in the database; returns world id ->
    database id maps."""
    client_ids, account_ids = {}, {}
    for number, settings in world.settings.items():
        client = Client(
            name=f"client {number}",
            time_zone=settings.time_zone,
            business_hours=settings.business_hours,
            holiday_region=settings.holiday_region,
            answer_window_hours=settings.answer_window.total_seconds() / 3600,
            response_target_minutes=int(settings.response_target.total_seconds() // 60),
            min_settled=settings.min_settled,
            widen_max_weeks=settings.widen_max_weeks,
        )
        session.add(client)
        session.flush()
        client_ids[number] = client.id
    clients_of = {item.account: item.client for item in world.items}
    for number, (platform, handle) in handles.items():
        account = Account(
            client_id=client_ids[clients_of[number]], platform=platform, handle=handle
        )
        session.add(account)
        session.flush()
        account_ids[number] = account.id
    for snapshot in world.followers:
        record_followers(session, account_ids[snapshot.account], snapshot.count, snapshot.taken_at)
    return client_ids, account_ids
