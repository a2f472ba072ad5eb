"""What Facebook Pages and Instagram share: posts in a time window, each with all comments.

The Graph API has no ``since_id`` for comments, and comments keep arriving on older posts.
So every run re-reads the account's posts of the last ``thread_days`` days (on the first
run: ``history_days``), with their comments expanded inline (``comments{...}`` in
``fields``), which costs one call per page of 25 posts instead of one call per post; only
threads longer than the inline page cost extra calls. Because each such read is a FULL
view of a thread, comments stored earlier and missing now are marked removed, and hidden
ones are stored hidden. Posts stored for the window and missing from a complete read of it
are marked removed with their comments. A thread that could not be read completely (a
malformed page) is stored as far as it was read, never used to mark anything removed.

**Older posts** (older than the window, younger than ``older_posts_days``): a question under
a three-month-old post must not be missed. Every run lists them without their comments,
100 per call, with what tells cheaply that a thread changed: the comment count
(``comments.summary``; ``comments_count`` on Instagram) and, on Page posts, ``updated_time``
(which moves with every comment). A post whose count or time differs from what the last
run saw (a cursor ``older:<id>`` per post; for a post seen for the first time, its stored
count) is read again in full, like a post of the window. A post never stored (older than
the first collection reached) is only noted on its first sighting; a change after that is
read. So a quiet run costs one call per 100 older posts, plus one per changed post.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from collectors import stored
from collectors.contract import Batch, RunContext, ThreadView
from collectors.errors import AccountNotFound, PayloadProblem
from collectors.graph.client import DEFAULT_BASE_URL, DEFAULT_VERSION, GraphClient, parse_next
from collectors.graph.records import PostSummary, followers_from_payload
from collectors.transport import DEFAULT_LIMITS, Limits
from storage.records import ItemRecord, LikeRecord

POSTS_PER_PAGE = 25
SUMMARIES_PER_PAGE = 100  # the Graph API's largest page
FOLLOWERS_EVERY = timedelta(hours=24)
# Our clock and the platform's may differ a little; re-read a margin before the last read.
OVERLAP = timedelta(hours=1)
OLDER = "older:"  # cursor prefix: what the last run saw of an older post


@dataclass(frozen=True)
class SeenSummary:
    """An older post's comment count and update time as the last run saw them."""

    comments: int | None
    updated: str | None = None

    @classmethod
    def from_text(cls, text: str | None) -> SeenSummary | None:
        if not text:
            return None
        try:
            values = json.loads(text)
            return cls(values.get("n"), values.get("u"))
        except (ValueError, AttributeError):
            return None  # unreadable: treated as never seen

    @classmethod
    def of(cls, summary: PostSummary) -> SeenSummary:
        updated = summary.updated_at.isoformat() if summary.updated_at else None
        return cls(summary.comments, updated)

    def differs(self, other: SeenSummary) -> bool:
        """Whether the thread changed between two sightings, by what both of them know."""
        if None not in (self.comments, other.comments) and self.comments != other.comments:
            return True
        return None not in (self.updated, other.updated) and self.updated != other.updated

    def to_text(self) -> str:
        values = {"n": self.comments, "u": self.updated}
        return json.dumps({k: v for k, v in values.items() if v is not None},
                          separators=(",", ":"))  # fmt: skip


class GraphThreadsCollector:
    """Base of the Facebook Page and Instagram collectors; subclasses fill in the shapes."""

    platform = ""
    edge = ""  # the posts edge of the account: "feed" or "media"
    post_fields = ""
    summary_fields = ""  # the older-posts listing: id, time, comment count (and update time)
    followers_fields = "followers_count"

    def __init__(
        self,
        access_token: str,
        *,
        version: str = DEFAULT_VERSION,
        base_url: str = DEFAULT_BASE_URL,
        limits: Limits = DEFAULT_LIMITS,
        history_days: int = 90,
        thread_days: int = 14,
        older_posts_days: int = 365,
    ) -> None:
        self._token = access_token
        self.version = version
        self.base_url = base_url
        self.limits = limits
        self.history = timedelta(days=history_days)
        self.thread_window = timedelta(days=thread_days)
        self.older_posts = timedelta(days=older_posts_days)
        self._own_likes: list[LikeRecord] = []

    # --- what subclasses provide ----------------------------------------------------

    def resolve(self, run: RunContext, client: GraphClient) -> str:
        raise NotImplementedError

    def post_record(self, run: RunContext, payload: Any, owner_id: str) -> ItemRecord:
        raise NotImplementedError

    def summary(self, payload: Any) -> PostSummary:
        """An entry of the older-posts listing (``summary_fields``)."""
        raise NotImplementedError

    def prepare(
        self, run: RunContext, client: GraphClient, owner_id: str, payloads: Sequence[Any]
    ) -> None:
        """Called with each page of posts before their records are made: whatever the
        payloads alone do not tell may be asked here (Facebook: whose posts lack ``from``)."""

    def thread_records(
        self,
        run: RunContext,
        client: GraphClient,
        payload: Any,
        post: ItemRecord,
        into: list[ItemRecord],
    ) -> None:
        """Append every comment of the post to ``into``, following paging. A
        MalformedResponse propagates; what was appended until then is kept."""
        raise NotImplementedError

    def take_likes(self) -> list[LikeRecord]:
        """The account's own likes seen since the last call (the payloads carry them)."""
        likes, self._own_likes = self._own_likes, []
        return likes

    # --- the run ----------------------------------------------------------------------

    def collect(self, run: RunContext) -> None:
        client = GraphClient(
            self._token,
            version=self.version,
            base_url=self.base_url,
            limits=self.limits,
            on_request=run.count_call,
        )
        owner_id = run.account.platform_account_id or self.resolve(run, client)
        window_start = self.window_start(run)
        with run.section(self.edge):
            self._posts(run, client, owner_id, window_start)
        with run.section("older posts"):
            self._older_posts(run, client, owner_id, window_start)
        with run.section("followers"):
            self._followers(run, client, owner_id)

    def window_start(self, run: RunContext) -> datetime:
        last = run.cursor("threads")
        if last is None:
            return run.now - self.history
        return min(run.now - self.thread_window, datetime.fromisoformat(last) - OVERLAP)

    def _posts(self, run: RunContext, client: GraphClient, owner_id: str, start: datetime) -> None:
        endpoint = f"GET /{{id}}/{self.edge}"
        seen: set[str] = set()
        for body in client.pages(run, owner_id, self.edge, endpoint=endpoint,
                                 fields=self.post_fields, since=int(start.timestamp()),
                                 limit=POSTS_PER_PAGE):  # fmt: skip
            items: list[ItemRecord] = []
            threads: list[ThreadView] = []
            self.prepare(run, client, owner_id, body["data"])
            for payload in body["data"]:
                try:
                    post = self.post_record(run, payload, owner_id)
                except PayloadProblem as problem:
                    run.problem(problem, endpoint)
                    continue
                seen.add(post.platform_item_id)
                comments, complete = self._thread(run, client, payload, post)
                items += [post, *comments]
                if complete:
                    ids = frozenset(c.platform_item_id for c in comments)
                    threads.append(ThreadView(post.platform_item_id, ids))
            run.commit(Batch(items=items, threads=threads, likes=self.take_likes()))
        # Only reached when every page of the window was read.
        with run.read() as session:
            known = stored.top_level_posts(session, run.account.id, start, run.now)
        gone = sorted(set(known) - seen)
        run.commit(
            Batch(
                removed=gone,
                threads=[ThreadView(post_id, frozenset()) for post_id in gone],
                cursors={"threads": run.now.isoformat()},
            )
        )

    # --- older posts --------------------------------------------------------------------

    def _older_posts(
        self, run: RunContext, client: GraphClient, owner_id: str, window_start: datetime
    ) -> None:
        oldest = run.now - self.older_posts
        if oldest >= window_start:
            run.keep_cursors(OLDER, set())  # watching older posts is switched off
            return
        endpoint = f"GET /{{id}}/{self.edge}"
        seen_before = run.cursors_with_prefix(OLDER)
        listed: set[str] = set()
        for body in client.pages(run, owner_id, self.edge, endpoint=endpoint,
                                 fields=self.summary_fields, since=int(oldest.timestamp()),
                                 until=int(window_start.timestamp()),
                                 limit=SUMMARIES_PER_PAGE):  # fmt: skip
            summaries: list[PostSummary] = []
            for payload in body["data"]:
                try:
                    summaries.append(self.summary(payload))
                except PayloadProblem as problem:
                    run.problem(problem, endpoint)
            listed.update(OLDER + s.id for s in summaries)
            with run.read() as session:
                counts = stored.reply_counts(session, run.account.id, [s.id for s in summaries])
            noted: dict[str, str | None] = {}
            for summary in summaries:
                key = OLDER + summary.id
                now_seen = SeenSummary.of(summary)
                before = SeenSummary.from_text(seen_before.get(key))
                if before is None and summary.id in counts:
                    before = SeenSummary(counts[summary.id])  # first seen as an older post
                if before is not None and before.differs(now_seen):
                    self._reread(run, client, owner_id, summary, key, now_seen)
                elif seen_before.get(key) != now_seen.to_text():
                    noted[key] = now_seen.to_text()
            if noted:
                run.commit(Batch(cursors=noted))
        # Only reached when every page of the listing was read: forget the posts that left
        # the range (or the platform).
        run.keep_cursors(OLDER, listed)

    def _reread(
        self,
        run: RunContext,
        client: GraphClient,
        owner_id: str,
        summary: PostSummary,
        key: str,
        seen: SeenSummary,
    ) -> None:
        """An older post whose comments changed, read again in full like one of the window."""
        endpoint = "GET /{post-id}"
        with run.section(f"older post {summary.id}"):
            try:
                payload = client.get(run, summary.id, fields=self.post_fields, endpoint=endpoint)
            except AccountNotFound:
                # Gone between the listing and now: the next listing will not show it.
                return
            self.prepare(run, client, owner_id, [payload])
            try:
                post = self.post_record(run, payload, owner_id)
            except PayloadProblem as problem:
                run.problem(problem, endpoint)
                return
            comments, complete = self._thread(run, client, payload, post)
            threads = []
            if complete:
                threads = [ThreadView(post.platform_item_id,
                                      frozenset(c.platform_item_id for c in comments))]  # fmt: skip
            run.commit(Batch(items=[post, *comments], threads=threads, likes=self.take_likes(),
                             cursors={key: seen.to_text()}))  # fmt: skip

    def _thread(
        self, run: RunContext, client: GraphClient, payload: Any, post: ItemRecord
    ) -> tuple[list[ItemRecord], bool]:
        comments: list[ItemRecord] = []
        complete = False
        with run.section(f"comments of {post.platform_item_id}"):
            try:
                self.thread_records(run, client, payload, post, comments)
                complete = True
            except AccountNotFound as exc:
                # The post went away while its comments were being read: keep what was read,
                # decide nothing about removals until the next complete view.
                problem = PayloadProblem(f"gone while reading its comments: {exc.detail}",
                                         post.platform_item_id)  # fmt: skip
                run.problem(problem, exc.endpoint)
        return comments, complete

    def edge_pages(
        self, run: RunContext, client: GraphClient, inline: Any, endpoint: str
    ) -> Iterator[dict[str, Any]]:
        """An edge expanded inline, then its further pages through ``paging.next``."""
        if not isinstance(inline, dict):
            return iter(())
        next_url = (inline.get("paging") or {}).get("next")
        if not next_url:
            return iter([inline])
        node, edge, args = parse_next(next_url, endpoint)
        return chain([inline], client.pages(run, node, edge, endpoint=endpoint, **args))

    def _followers(self, run: RunContext, client: GraphClient, owner_id: str) -> None:
        with run.read() as session:
            last = stored.last_follower_count_at(session, run.account.id)
        if last is not None and run.now - last < FOLLOWERS_EVERY:
            return
        endpoint = "GET /{id}"
        body = client.get(run, owner_id, fields=self.followers_fields, endpoint=endpoint)
        followers = followers_from_payload(body)
        if followers is None:
            run.problem(PayloadProblem("followers_count is missing", owner_id), endpoint)
            return
        run.commit(Batch(followers=followers))


def not_found(what: str, exc: AccountNotFound) -> AccountNotFound:
    return AccountNotFound(f"{what} does not exist or this token cannot see it: {exc.detail}",
                           exc.endpoint)  # fmt: skip
