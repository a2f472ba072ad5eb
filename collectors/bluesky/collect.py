"""Collecting one Bluesky account: what is read, in which order, and what it costs.

Public reads go to the AppView (``platforms.bluesky.appview_url``) without any login. With
an app password (the account's credentials) the collector also logs in at the PDS
(``platforms.bluesky.pds_url``; one ``createSession`` call per run, which Bluesky allows 30
times in 5 minutes and 300 times a day per account) for what only the account may read.

1. **feed** — ``app.bsky.feed.getAuthorFeed`` (``posts_with_replies``, 100 per page): the
   newest page on every run (it refreshes the newest posts' counts), then older pages down
   to the time of the newest entry already stored (minus a margin for late indexing).
   Posts, replies and reposts (stored as reposts). First collection: back
   ``collect.history_days``.
2. **notifications** (app password) — ``app.bsky.notification.listNotifications`` for
   replies, mentions and quotes, newest first down to the last one read; the posts of new
   ones come from ``app.bsky.feed.getPosts`` (25 per call; nothing when nothing is new).
3. **threads** — ``app.bsky.feed.getPostThread`` (every depth) for own posts younger than
   ``collect.thread_days``, and for customers' posts that mention the account (stored from
   the notifications), when due (:mod:`collectors.rereads`). An agency employee who answers
   a mention from their own profile notifies nobody: only the mention's thread shows that
   answer. A complete thread view marks replies stored earlier and missing now as removed;
   replies the author hid (threadgate) are stored as hidden. A view with blocked posts or
   cut at the depth limit is stored but marks nothing.
4. **own likes** (app password) — ``app.bsky.feed.getActorLikes`` as the account, down to
   the newest like already read: likes of posts that are stored or addressed to the account.
5. **likers** — ``app.bsky.feed.getLikes`` for own posts in the thread window whose like
   count changed since their likers were last read.
6. **followers** — ``app.bsky.actor.getProfile`` when the last count is a day old.

A quiet run costs 1 call without an app password, 4 with one (login, feed, notifications,
own likes), plus the thread re-reads the schedule asks for. Cursors (``SinceCursor`` with
times) are committed with the page they cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from atproto import models

from collectors import rereads, stored
from collectors.bluesky import records
from collectors.bluesky.client import BlueskyClient, NotFound
from collectors.contract import Batch, RunContext, ThreadView
from collectors.cursors import SinceCursor
from collectors.errors import AccountNotFound, PayloadProblem
from collectors.transport import DEFAULT_LIMITS, Limits
from storage.records import ItemRecord, LikeRecord

DEFAULT_APPVIEW_URL = "https://public.api.bsky.app"
DEFAULT_PDS_URL = "https://bsky.social"
PAGE = 100  # the lexicons' maximum page size
POSTS_PER_CALL = 25  # getPosts
THREAD_DEPTH = 1000  # the lexicon's maximum: every depth a real thread reaches
# Entries can be indexed a little after the time they sort by: look back this much more.
OVERLAP = timedelta(minutes=10)
FOLLOWERS_EVERY = timedelta(hours=24)
NOTIFIED = ("reply", "mention", "quote")

NSID = {
    "profile": "app.bsky.actor.getProfile",
    "feed": "app.bsky.feed.getAuthorFeed",
    "notifications": "app.bsky.notification.listNotifications",
    "posts": "app.bsky.feed.getPosts",
    "thread": "app.bsky.feed.getPostThread",
    "likes": "app.bsky.feed.getActorLikes",
    "likers": "app.bsky.feed.getLikes",
}


def endpoint(name: str) -> str:
    return f"GET {NSID[name]}"


class BlueskyCollector:
    platform = records.PLATFORM

    def __init__(
        self,
        app_password: str | None,
        *,
        appview_url: str = DEFAULT_APPVIEW_URL,
        pds_url: str = DEFAULT_PDS_URL,
        limits: Limits = DEFAULT_LIMITS,
        history_days: int = 90,
        thread_days: int = 14,
    ) -> None:
        self._password = app_password or None
        self.appview_url = appview_url
        self.pds_url = pds_url
        self.limits = limits
        self.history = timedelta(days=history_days)
        self.thread_window = timedelta(days=thread_days)

    def collect(self, run: RunContext) -> None:
        client = BlueskyClient(self.appview_url, self.pds_url, self.limits,
                               on_request=run.count_call)  # fmt: skip
        _Collection(self, run, client).collect()


class _Collection:
    """One run of one account: the clients, and what the run learned along the way."""

    def __init__(self, options: BlueskyCollector, run: RunContext, client: BlueskyClient) -> None:
        self.options = options
        self.run = run
        self.client = client
        self.did = ""
        self.news: set[str] = set()  # roots of threads a notification brought a reply into

    def collect(self) -> None:
        run = self.run
        self.did = self._did()
        password = self.options._password
        if password:
            self.client.login(run, run.account.handle, password)
        with run.section("feed"):
            self._feed()
        if password:
            with run.section("notifications"):
                self._notifications()
        with run.section("threads"):
            self._threads()
        if password:
            with run.section("own likes"):
                self._own_likes()
        with run.section("likers"):
            self._likers()
        with run.section("followers"):
            self._followers()

    # --- the account ----------------------------------------------------------------

    def _profile(self, actor: str) -> records.Profile:
        name = endpoint("profile")
        body = self.client.query(self.run, NSID["profile"], models.AppBskyActorGetProfile.Params,
                                 {"actor": actor})  # fmt: skip
        return records.profile_from_payload(body, name)

    def _did(self) -> str:
        run = self.run
        if run.account.platform_account_id:
            return run.account.platform_account_id
        handle = run.account.handle
        try:
            profile = self._profile(handle)
        except NotFound as exc:
            message = f"Bluesky account {handle} does not exist: {exc.detail}"
            raise AccountNotFound(message) from None
        run.set_platform_account_id(profile.did, profile.name)
        if profile.followers is not None:
            run.commit(Batch(followers=profile.followers))
        return profile.did

    # --- the author feed --------------------------------------------------------------

    def _feed(self) -> None:
        run, key, name = self.run, "feed", endpoint("feed")
        cursor = SinceCursor.from_text(run.cursor(key))
        oldest = run.now - self.options.history
        since = datetime.fromisoformat(cursor.since_id) if cursor.since_id else None
        stop_before = since - OVERLAP if since else oldest
        page_cursor = cursor.next_token
        while True:
            body = self.client.query(run, NSID["feed"], models.AppBskyFeedGetAuthorFeed.Params,
                                     {"actor": self.did, "filter": "posts_with_replies",
                                      "limit": PAGE, "cursor": page_cursor})  # fmt: skip
            entries, page_cursor = records.page_list(body, "feed", name)
            found: list[records.FeedEntry] = []
            for raw in entries:
                try:
                    found.append(records.feed_entry(raw, run.own, self.did))
                except PayloadProblem as problem:
                    run.problem(problem, name)
            times = [entry.sort_at for entry in found]
            items = [entry.item for entry in found if entry.sort_at >= oldest]
            reached = page_cursor is None or not entries or (times and min(times) < stop_before)
            newest = max(times) if times else None
            newer = newest.isoformat() if newest and (since is None or newest > since) else None
            next_token = None if reached else page_cursor
            cursor = cursor.after_page(newer, next_token)
            run.commit(Batch(items=items, cursors={key: cursor.to_text()}))
            if next_token is None:
                return

    # --- notifications ----------------------------------------------------------------

    def _notifications(self) -> None:
        run, key, name = self.run, "notifications", endpoint("notifications")
        cursor = SinceCursor.from_text(run.cursor(key))
        oldest = run.now - self.options.history
        since = datetime.fromisoformat(cursor.since_id) if cursor.since_id else None
        stop_before = since - OVERLAP if since else oldest
        page_cursor = cursor.next_token
        while True:
            body = self.client.query(
                run, NSID["notifications"], models.AppBskyNotificationListNotifications.Params,
                {"reasons": list(NOTIFIED), "limit": PAGE, "cursor": page_cursor}, signed=True,
            )  # fmt: skip
            notes, page_cursor = records.page_list(body, "notifications", name)
            infos = []
            for raw in notes:
                try:
                    infos.append(records.notification_from_payload(raw))
                except PayloadProblem as problem:
                    run.problem(problem, name)
            times = [info.indexed_at for info in infos]
            wanted = [i for i in infos if i.reason in NOTIFIED and i.indexed_at >= oldest]
            items = self._posts(wanted)
            self.news.update(i.root_id for i in items if i.root_id and i.parent_id)
            reached = page_cursor is None or not notes or (times and min(times) < stop_before)
            newest = max(times) if times else None
            newer = newest.isoformat() if newest and (since is None or newest > since) else None
            next_token = None if reached else page_cursor
            cursor = cursor.after_page(newer, next_token)
            run.commit(Batch(items=items, cursors={key: cursor.to_text()}))
            if next_token is None:
                return

    def _posts(self, notified: Sequence[records.NotificationInfo]) -> list[ItemRecord]:
        """The posts of notifications not stored yet, as full views (counts, author). A
        post notified as a mention or quote names the account, whatever its facets say."""
        uris = [info.uri for info in notified]
        with self.run.read() as session:
            known = stored.stored_roots(session, records.PLATFORM, uris)
        missing = sorted({uri for uri in uris if uri not in known})
        naming = {info.uri for info in notified if info.reason != "reply"}
        name = endpoint("posts")
        items = []
        for start in range(0, len(missing), POSTS_PER_CALL):
            chunk = missing[start : start + POSTS_PER_CALL]
            body = self.client.query(self.run, NSID["posts"], models.AppBskyFeedGetPosts.Params,
                                     {"uris": chunk})  # fmt: skip
            views, _ = records.page_list(body, "posts", name)
            items += self._items(views, name, naming)  # posts gone since are left out
        return items

    def _items(
        self, views: Iterable[Any], name: str, naming: set[str] | frozenset[str] = frozenset()
    ) -> list[ItemRecord]:
        items = []
        for raw in views:
            try:
                view = records.post_view(raw)
                named = view.uri in naming
                items.append(
                    records.item_from_view(view, self.run.own, self.did, mentions_account=named)
                )
            except PayloadProblem as problem:
                self.run.problem(problem, name)
        return items

    # --- threads --------------------------------------------------------------------

    def _own_posts(self) -> list[stored.StoredItem]:
        with self.run.read() as session:
            return stored.recent_own_posts(
                session, self.run.account.id, self.run.now - self.options.thread_window
            )

    def _thread_roots(self) -> list[stored.StoredItem]:
        """Own posts, then the mentions of the account, young enough to be read again."""
        since = self.run.now - self.options.thread_window
        with self.run.read() as session:
            mentions = stored.recent_mentions(session, self.run.account.id, since)
        return self._own_posts() + mentions

    def _threads(self) -> None:
        run = self.run
        posts = self._thread_roots()
        keys = {post.platform_item_id: rereads.key(records.record_key(post.platform_item_id))
                for post in posts}  # fmt: skip
        states = self.run.keep_cursors(rereads.PREFIX, set(keys.values()))
        for post in posts:
            state = rereads.ThreadState.from_text(states.get(keys[post.platform_item_id]))
            due = rereads.is_due(
                created_at=post.created_at, reply_count=post.reply_count, state=state,
                now=run.now, window=self.options.thread_window,
                news=post.platform_item_id in self.news,
            )  # fmt: skip
            if due:
                with run.section(f"thread of {post.platform_item_id}"):
                    self._thread(post, keys[post.platform_item_id])

    def _thread(self, post: stored.StoredItem, name: str) -> None:
        run, where = self.run, endpoint("thread")
        root = post.platform_item_id
        try:
            body = self.client.query(run, NSID["thread"], models.AppBskyFeedGetPostThread.Params,
                                     {"uri": root, "depth": THREAD_DEPTH,
                                      "parentHeight": 0})  # fmt: skip
        except NotFound:
            # The post is gone, and its thread with it.
            run.commit(Batch(removed=[root], threads=[ThreadView(root, frozenset())],
                             cursors={name: None}))  # fmt: skip
            return
        walk = records.walk_thread(body, where, THREAD_DEPTH)
        for problem in walk.problems:
            run.problem(problem, where)
        items = []
        for view in walk.views:
            try:
                item = records.item_from_view(view, run.own, self.did)
            except PayloadProblem as problem:
                run.problem(problem, where)
                continue
            if item.platform_item_id in walk.hidden:
                item = records.hidden(item)
            items.append(item)
        replies = walk.seen - {root}
        threads = [ThreadView(root, frozenset(replies))] if walk.complete else []
        count = next((i.reply_count for i in items if i.platform_item_id == root), None)
        if count is None:  # the root is not in the view, or its count is unknown
            count = post.reply_count
        state = rereads.ThreadState(run.now, count)
        run.commit(Batch(items=items, threads=threads, cursors={name: state.to_text()}))

    # --- likes ----------------------------------------------------------------------

    def _own_likes(self) -> None:
        run, key, name = self.run, "own likes", endpoint("likes")
        cursor = SinceCursor.from_text(run.cursor(key))
        oldest = run.now - self.options.history
        since = datetime.fromisoformat(cursor.since_id) if cursor.since_id else None
        stop_before = since - OVERLAP if since else oldest
        page_cursor = cursor.next_token
        while True:
            body = self.client.query(run, NSID["likes"], models.AppBskyFeedGetActorLikes.Params,
                                     {"actor": self.did, "limit": PAGE, "cursor": page_cursor},
                                     signed=True)  # fmt: skip
            entries, page_cursor = records.page_list(body, "feed", name)
            liked: list[tuple[models.AppBskyFeedDefs.PostView, datetime | None]] = []
            for raw in entries:
                try:
                    liked.append(records.liked_entry(raw))
                except PayloadProblem as problem:
                    run.problem(problem, name)
            items, likes = self._liked([view for view, _ in liked], name)
            times = [at for _, at in liked if at is not None]
            reached = page_cursor is None or not entries or (times and min(times) < stop_before)
            newest = max(times) if times else None
            newer = newest.isoformat() if newest and (since is None or newest > since) else None
            next_token = None if reached else page_cursor
            cursor = cursor.after_page(newer, next_token)
            run.commit(Batch(items=items, likes=likes, cursors={key: cursor.to_text()}))
            if next_token is None:
                return

    def _liked(
        self, views: list[models.AppBskyFeedDefs.PostView], name: str
    ) -> tuple[list[ItemRecord], list[LikeRecord]]:
        """The account's likes of posts that are stored or addressed to it; a like of any
        other post says nothing about its conversations and is ignored."""
        with self.run.read() as session:
            known = set(stored.stored_roots(session, records.PLATFORM, [v.uri for v in views]))
        items = []
        for view in views:
            if view.uri in known or not records.addressed_to(view, self.did):
                continue
            try:
                item = records.item_from_view(view, self.run.own, self.did)
            except PayloadProblem as problem:
                self.run.problem(problem, name)
                continue
            if not item.is_own:
                items.append(item)
        liked = known | {item.platform_item_id for item in items}
        handle = self.run.account.handle
        likes = [records.own_like(v.uri, self.did, handle) for v in views if v.uri in liked]
        return items, likes

    def _likers(self) -> None:
        run, name = self.run, endpoint("likers")
        posts = self._own_posts()
        keys = {post.platform_item_id: f"likers:{records.record_key(post.platform_item_id)}"
                for post in posts}  # fmt: skip
        read = self.run.keep_cursors("likers:", set(keys.values()))
        for post in posts:
            key = keys[post.platform_item_id]
            if post.like_count == int(read.get(key, "0") or 0):
                continue
            with run.section(f"likers of {post.platform_item_id}"):
                likes: list[LikeRecord] = []
                page_cursor = None
                while True:
                    body = self.client.query(run, NSID["likers"], models.AppBskyFeedGetLikes.Params,
                                             {"uri": post.platform_item_id, "limit": PAGE,
                                              "cursor": page_cursor})  # fmt: skip
                    entries, page_cursor = records.page_list(body, "likes", name)
                    for raw in entries:
                        try:
                            likes.append(records.like_from_payload(raw, post.platform_item_id,
                                                                   run.own))  # fmt: skip
                        except PayloadProblem as problem:
                            run.problem(problem, name)
                    if page_cursor is None or not entries:
                        break
                run.commit(Batch(likes=likes, cursors={key: str(post.like_count)}))

    def _followers(self) -> None:
        run = self.run
        with run.read() as session:
            last = stored.last_follower_count_at(session, run.account.id)
        if last is not None and run.now - last < FOLLOWERS_EVERY:
            return
        profile = self._profile(self.did)
        if profile.followers is None:
            run.problem(PayloadProblem("followersCount is missing", self.did), endpoint("profile"))
            return
        run.commit(Batch(followers=profile.followers))
