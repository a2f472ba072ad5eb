"""Collecting one Mastodon account: what is read, in which order, and what it costs.

The instance is the one in the handle (``@name@social.example`` -> https://social.example)
unless ``platforms.mastodon.api_url`` names another base URL (a proxy, the simulated
instance). Without an access token everything public is read; with one (scope ``read``)
also the mention notifications and the account's own favourites.

1. **statuses** — ``GET /api/v1/accounts/:id/statuses``: the newest page of 40 (which also
   refreshes the counts of the newest statuses), then older pages with ``max_id`` and
   ``since_id`` down to the newest status already stored. Originals, replies and boosts
   (stored as reposts). First collection: back ``collect.history_days``.
2. **mentions** (token) — ``GET /api/v1/notifications?types[]=mention`` since the newest
   notification already read: replies to the account and posts naming it.
3. **threads** — ``GET /api/v1/statuses/:id/context`` for own posts younger than
   ``collect.thread_days``, when due (:mod:`collectors.rereads`: never read, a new reply
   counted or notified, or by a schedule that slows down as the post ages). Each read is a
   full view of the thread: replies stored earlier and missing now are marked removed.
   Without a token Mastodon cuts a context at 60 replies and 20 levels; such a cut view is
   stored but never used to mark anything removed.
4. **own favourites** (token) — ``GET /api/v1/favourites``, newer than the last one seen
   (``min_id``): the account's likes of statuses that are stored or addressed to it (for
   "liked, not answered"); other statuses are ignored.
5. **roots** — Mastodon names only what a status answers, not its conversation. Replies
   whose parent is stored get its root; the others get it from the context of the reply
   (its first ancestor), newest first, at most 40 such calls per run: a first collection
   of a busy account leaves a backlog (own replies to replies that were never stored) that
   the following runs work off.
6. **likers** — ``GET /api/v1/statuses/:id/favourited_by`` for own posts in the thread
   window whose favourite count changed since their likers were last read.
7. **followers** — ``GET /api/v1/accounts/:id`` when the last count is a day old.

A quiet run (nothing new) costs 3 calls with a token (statuses, mentions, favourites) and
1 without, plus the thread re-reads the schedule asks for. Every page is committed
with the cursor that covers it (``collectors.cursors.SinceCursor``), so a 429 or a killed
process resumes exactly there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from collectors import rereads, stored
from collectors.contract import Batch, RunContext, ThreadView
from collectors.cursors import SinceCursor
from collectors.errors import AccountNotFound, MalformedResponse, PayloadProblem
from collectors.mastodon import records
from collectors.mastodon.client import MastodonClient, NotFound
from collectors.transport import DEFAULT_LIMITS, Limits
from storage.handles import fediverse_instance
from storage.records import ItemRecord, LikeRecord

STATUSES_PAGE = 40  # Mastodon's maximum page sizes
NOTIFICATIONS_PAGE = 80
FAVOURITES_PAGE = 40
# Mastodon's context limits (Api::V1::Statuses::ContextsController).
SIGNED_IN_CONTEXT = 4096
ANONYMOUS_CONTEXT = 60
ANONYMOUS_DEPTH = 20
MAX_ROOT_LOOKUPS = 40
FOLLOWERS_EVERY = timedelta(hours=24)

ENDPOINTS = {
    "lookup": "GET /api/v1/accounts/lookup",
    "statuses": "GET /api/v1/accounts/:id/statuses",
    "mentions": "GET /api/v1/notifications",
    "context": "GET /api/v1/statuses/:id/context",
    "favourites": "GET /api/v1/favourites",
    "likers": "GET /api/v1/statuses/:id/favourited_by",
    "account": "GET /api/v1/accounts/:id",
}


class MastodonCollector:
    platform = records.PLATFORM

    def __init__(
        self,
        access_token: str | None,
        *,
        base_url: str | None = None,
        limits: Limits = DEFAULT_LIMITS,
        history_days: int = 90,
        thread_days: int = 14,
    ) -> None:
        self._token = access_token or None
        self.base_url = base_url
        self.limits = limits
        self.history = timedelta(days=history_days)
        self.thread_window = timedelta(days=thread_days)

    def collect(self, run: RunContext) -> None:
        instance = fediverse_instance(run.account.handle)
        client = MastodonClient(self.base_url or f"https://{instance}", self._token,
                                self.limits, on_request=run.count_call)  # fmt: skip
        _Collection(self, run, client, instance).collect()


class _Collection:
    """One run of one account: the client, and what the run learned along the way."""

    def __init__(
        self, options: MastodonCollector, run: RunContext, client: MastodonClient, instance: str
    ) -> None:
        self.options = options
        self.run = run
        self.client = client
        self.instance = instance
        self.account_id = ""
        self.known_roots: dict[str, str] = {}  # status id -> its conversation's root
        self.news: set[str] = set()  # roots of threads a notification brought a reply into

    def collect(self) -> None:
        run = self.run
        self.account_id = self._account_id()
        with run.section("statuses"):
            self._statuses()
        if self.client.signed_in:
            with run.section("mentions"):
                self._mentions()
        with run.section("threads"):
            self._threads()
        if self.client.signed_in:
            with run.section("favourites"):
                self._favourites()
        with run.section("roots"):
            self._roots()
        with run.section("likers"):
            self._likers()
        with run.section("followers"):
            self._followers()

    # --- the account ----------------------------------------------------------------

    def _account_id(self) -> str:
        run = self.run
        if run.account.platform_account_id:
            return run.account.platform_account_id
        handle = run.account.handle
        endpoint = ENDPOINTS["lookup"]
        try:
            body = self.client.get(run, "account_lookup", handle.lstrip("@"), endpoint=endpoint)
        except NotFound as exc:
            raise AccountNotFound(
                f"Mastodon account {handle} does not exist on {self.client.base_url}: {exc.detail}"
            ) from None
        account = records.account_from_payload(body, self.instance, endpoint)
        run.set_platform_account_id(account.id, account.name)
        if account.followers is not None:
            run.commit(Batch(followers=account.followers))
        return account.id

    # --- statuses and mentions ------------------------------------------------------

    def _records(
        self,
        statuses: Iterable[Any],
        endpoint: str,
        *,
        root_id: str | None = None,
        mentions: bool = False,
    ) -> list[ItemRecord]:
        found, private = [], []
        for status in statuses:
            try:
                found.append(records.status_from_payload(
                    status, self.run.own, self.instance, self.account_id, root_id=root_id,
                    mentions_account=mentions,
                ))  # fmt: skip
            except records.PrivateMessage as message:
                private.append(message.item_id)
            except PayloadProblem as problem:
                self.run.problem(problem, endpoint)
        if private:
            self.run.skip_private(private)
        return found

    def _rooted(self, items: Sequence[ItemRecord]) -> list[ItemRecord]:
        """The items with the roots that storage or this run already know."""
        unknown = {r.parent_id for r in items if r.root_id is None and r.parent_id}
        unknown -= set(self.known_roots)
        if unknown:
            with self.run.read() as session:
                found = stored.stored_roots(session, records.PLATFORM, unknown)
            self.known_roots.update({i: root for i, root in found.items() if root})
        rooted = []
        for item in sorted(items, key=lambda r: (r.created_at, r.platform_item_id)):
            if item.root_id is None and item.parent_id in self.known_roots:
                item = replace(item, root_id=self.known_roots[item.parent_id])
            if item.root_id is not None:
                self.known_roots[item.platform_item_id] = item.root_id
            rooted.append(item)
        return rooted

    def _statuses(self) -> None:
        run, key, endpoint = self.run, "statuses", ENDPOINTS["statuses"]
        cursor = SinceCursor.from_text(run.cursor(key))
        oldest = run.now - self.options.history
        since = cursor.since_id or records.snowflake(oldest)
        if cursor.resuming:
            page = self.client.get(run, "account_statuses", self.account_id, endpoint=endpoint,
                                   max_id=cursor.next_token, since_id=since,
                                   limit=STATUSES_PAGE)  # fmt: skip
        else:
            # The newest page, whatever is stored: it refreshes the newest statuses' counts.
            page = self.client.get(run, "account_statuses", self.account_id, endpoint=endpoint,
                                   limit=STATUSES_PAGE)  # fmt: skip
        while True:
            ids = _ids(page, endpoint)
            items = [r for r in self._records(page, endpoint) if r.created_at >= oldest]
            reached = len(page) < STATUSES_PAGE or not ids or min(ids) <= int(since)
            newest = str(max(ids)) if ids and max(ids) > int(since) else None
            next_token = None if reached else str(min(ids))
            cursor = cursor.after_page(newest, next_token)
            run.commit(Batch(items=self._rooted(items), cursors={key: cursor.to_text()}))
            if next_token is None:
                return
            page = self.client.get(run, "account_statuses", self.account_id, endpoint=endpoint,
                                   max_id=next_token, since_id=since,
                                   limit=STATUSES_PAGE)  # fmt: skip

    def _mentions(self) -> None:
        run, key, endpoint = self.run, "mentions", ENDPOINTS["mentions"]
        cursor = SinceCursor.from_text(run.cursor(key))
        oldest = run.now - self.options.history
        while True:
            params: dict[str, Any] = {"types": ["mention"], "limit": NOTIFICATIONS_PAGE}
            if cursor.since_id:
                params["since_id"] = cursor.since_id
            if cursor.next_token:
                params["max_id"] = cursor.next_token
            page = self.client.get(run, "notifications", endpoint=endpoint, **params)
            ids = _ids(page, endpoint)
            statuses = []
            for notification in page:
                try:
                    status = records.notification_status(notification)
                except PayloadProblem as problem:
                    run.problem(problem, endpoint)
                    continue
                if status is not None:
                    statuses.append(status)
            items = self._records(statuses, endpoint, mentions=True)
            # The first sweep reaches back to the history horizon, later ones to since_id.
            past = cursor.since_id is None and any(r.created_at < oldest for r in items)
            reached = len(page) < NOTIFICATIONS_PAGE or not ids or past
            next_token = None if reached else str(min(ids))
            cursor = cursor.after_page(str(max(ids)) if ids else None, next_token)
            rooted = self._rooted([r for r in items if r.created_at >= oldest])
            self.news.update(r.root_id for r in rooted if r.root_id and r.parent_id)
            run.commit(Batch(items=rooted, cursors={key: cursor.to_text()}))
            if next_token is None:
                return

    # --- threads --------------------------------------------------------------------

    def _own_posts(self) -> list[stored.StoredItem]:
        with self.run.read() as session:
            return stored.recent_own_posts(
                session, self.run.account.id, self.run.now - self.options.thread_window
            )

    def _threads(self) -> None:
        run = self.run
        posts = self._own_posts()
        young = {rereads.key(post.platform_item_id) for post in posts}
        states = run.keep_cursors(rereads.PREFIX, young)
        for post in posts:
            state = rereads.ThreadState.from_text(states.get(rereads.key(post.platform_item_id)))
            due = rereads.is_due(
                created_at=post.created_at, reply_count=post.reply_count, state=state,
                now=run.now, window=self.options.thread_window,
                news=post.platform_item_id in self.news,
            )  # fmt: skip
            if due:
                with run.section(f"thread of {post.platform_item_id}"):
                    self._thread(post)

    def _thread(self, post: stored.StoredItem) -> None:
        run, endpoint = self.run, ENDPOINTS["context"]
        root = post.platform_item_id
        name = rereads.key(root)
        try:
            context = self.client.get(run, "status_context", root, endpoint=endpoint)
        except NotFound:
            # The post is gone (deleted, or no longer public), and its thread with it.
            run.commit(Batch(removed=[root], threads=[ThreadView(root, frozenset())],
                             cursors={name: None}))  # fmt: skip
            return
        descendants = context.get("descendants") if isinstance(context, Mapping) else None
        if not isinstance(descendants, list):
            raise MalformedResponse("the context has no descendants list", endpoint)
        items = self._records(descendants, endpoint, root_id=root)
        seen = frozenset(
            str(s["id"]) for s in descendants if isinstance(s, Mapping) and s.get("id")
        )
        threads = [ThreadView(root, seen)] if self._complete(descendants, root) else []
        self.known_roots.update({item_id: root for item_id in seen})
        state = rereads.ThreadState(run.now, post.reply_count)
        run.commit(Batch(items=items, threads=threads, cursors={name: state.to_text()}))

    def _complete(self, descendants: list[Any], root: str) -> bool:
        """Whether Mastodon showed every reply: it cuts contexts (harder without a token)."""
        if len(descendants) >= (SIGNED_IN_CONTEXT if self.client.signed_in
                                else ANONYMOUS_CONTEXT):  # fmt: skip
            return False
        if self.client.signed_in:
            return True
        parents = {
            str(s["id"]): str(s.get("in_reply_to_id"))
            for s in descendants
            if isinstance(s, Mapping) and s.get("id")
        }

        def depth(status_id: str) -> int:
            level, visited = 0, set()
            while status_id != root and status_id in parents and status_id not in visited:
                visited.add(status_id)
                status_id = parents[status_id]
                level += 1
            return level

        return all(depth(status_id) < ANONYMOUS_DEPTH for status_id in parents)

    # --- the account's own favourites ---------------------------------------------------

    def _favourites(self) -> None:
        run, key, endpoint = self.run, "favourites", ENDPOINTS["favourites"]
        cursor = SinceCursor.from_text(run.cursor(key))
        if cursor.since_id and not cursor.resuming:
            # Favourites newer than the last one seen, oldest page first.
            since = cursor.since_id
            while True:
                page = self.client.get(run, "favourites", min_id=since,
                                       limit=FAVOURITES_PAGE, endpoint=endpoint)  # fmt: skip
                if not page:
                    return
                items, likes = self._liked(page, endpoint)
                newer = _link_id(page, "_pagination_prev", "min_id") if page else None
                since = newer or since
                run.commit(Batch(items=items, likes=likes,
                                 cursors={key: SinceCursor(since_id=since).to_text()}))  # fmt: skip
                if newer is None or len(page) < FAVOURITES_PAGE:
                    return
        # First collection (or resuming it): from the newest favourite back to the history
        # horizon; the ids in the Link headers are the favourites', not the statuses'.
        oldest = run.now - self.options.history
        params: dict[str, Any] = {"limit": FAVOURITES_PAGE}
        if cursor.next_token:
            params["max_id"] = cursor.next_token
        page = self.client.get(run, "favourites", endpoint=endpoint, **params)
        while True:
            items, likes = self._liked(page, endpoint)
            newest = _link_id(page, "_pagination_prev", "min_id")
            older = _link_id(page, "_pagination_next", "max_id")
            times = [t for t in (_created(s) for s in page) if t is not None]
            if len(page) < FAVOURITES_PAGE or (times and max(times) < oldest):
                older = None
            cursor = cursor.after_page(newest, older)
            run.commit(Batch(items=items, likes=likes, cursors={key: cursor.to_text()}))
            if older is None:
                return
            page = self.client.get(run, "favourites", max_id=older, limit=FAVOURITES_PAGE,
                                   endpoint=endpoint)  # fmt: skip

    def _liked(self, page: Any, endpoint: str) -> tuple[list[ItemRecord], list[LikeRecord]]:
        """The account's likes among ``page`` of favourited statuses. A status that is
        neither stored nor addressed to the account says nothing about its conversations
        and is ignored; one addressed to it and not stored yet is stored with the like."""
        if not isinstance(page, list):
            raise MalformedResponse("the response is not a list", endpoint)
        ids = [str(s["id"]) for s in page if isinstance(s, Mapping) and s.get("id")]
        with self.run.read() as session:
            known = stored.stored_roots(session, records.PLATFORM, ids)
        handle = self.run.account.handle
        addressed = [s for s in page if isinstance(s, Mapping) and s.get("id")
                     and str(s["id"]) not in known
                     and records.addressed_to(s, self.account_id)]  # fmt: skip
        items = self._rooted([r for r in self._records(addressed, endpoint) if not r.is_own])
        liked = set(known) | {r.platform_item_id for r in items}
        likes = [records.own_like(i, self.account_id, handle) for i in ids if i in liked]
        return items, likes

    # --- roots, likers, followers ---------------------------------------------------

    def _roots(self) -> None:
        run, endpoint = self.run, ENDPOINTS["context"]
        with run.read() as session:
            pending = stored.unrooted_replies(session, run.account.id, limit=1000)
            parents = stored.stored_roots(session, records.PLATFORM, {p for _, p in pending})
        self.known_roots.update({i: root for i, root in parents.items() if root})
        roots: dict[str, str] = {}
        lookups = 0
        for item_id, parent in pending:
            root = self.known_roots.get(parent)
            if root is None:
                if lookups >= MAX_ROOT_LOOKUPS:
                    continue  # the next run goes on
                lookups += 1
                root = self._root_from_context(item_id, parent, endpoint)
            roots[item_id] = root
            self.known_roots[item_id] = root
        if roots:
            run.commit(Batch(roots=roots))

    def _root_from_context(self, item_id: str, parent: str, endpoint: str) -> str:
        try:
            context = self.client.get(self.run, "status_context", item_id, endpoint=endpoint)
        except NotFound:
            return parent  # the reply is gone: its parent is the best that can be known
        ancestors = context.get("ancestors") if isinstance(context, Mapping) else None
        if not isinstance(ancestors, list):
            raise MalformedResponse("the context has no ancestors list", endpoint)
        chain = [str(a["id"]) for a in ancestors if isinstance(a, Mapping) and a.get("id")]
        # The first ancestor shown is the root, or the highest status still visible.
        root = chain[0] if chain else parent
        self.known_roots.update({ancestor: root for ancestor in chain})
        return root

    def _likers(self) -> None:
        run, endpoint = self.run, ENDPOINTS["likers"]
        posts = self._own_posts()
        read = self.run.keep_cursors("likers:", {f"likers:{p.platform_item_id}" for p in posts})
        for post in posts:
            name = f"likers:{post.platform_item_id}"
            if post.like_count == int(read.get(name, "0") or 0):
                continue
            with run.section(f"likers of {post.platform_item_id}"):
                try:
                    page = self.client.get(run, "status_favourited_by", post.platform_item_id,
                                           endpoint=endpoint)  # fmt: skip
                except NotFound:
                    continue  # gone; the thread part marks it
                likes: list[LikeRecord] = []
                while page is not None:
                    if not isinstance(page, list):
                        raise MalformedResponse("the response is not a list", endpoint)
                    likes += self._likes(page, post.platform_item_id, endpoint)
                    page = self.client.next_page(run, page, endpoint)
                run.commit(Batch(likes=likes, cursors={name: str(post.like_count)}))

    def _likes(self, page: list[Any], status_id: str, endpoint: str) -> list[LikeRecord]:
        likes = []
        for account in page:
            try:
                likes.append(
                    records.like_from_payload(account, status_id, self.run.own, self.instance)
                )
            except PayloadProblem as problem:
                self.run.problem(problem, endpoint)
        return likes

    def _followers(self) -> None:
        run, endpoint = self.run, ENDPOINTS["account"]
        with run.read() as session:
            last = stored.last_follower_count_at(session, run.account.id)
        if last is not None and run.now - last < FOLLOWERS_EVERY:
            return
        try:
            body = self.client.get(run, "account", self.account_id, endpoint=endpoint)
        except NotFound as exc:
            raise AccountNotFound(
                f"Mastodon account {run.account.handle} (id {self.account_id}) no longer "
                f"exists: {exc.detail}"
            ) from None
        account = records.account_from_payload(body, self.instance, endpoint)
        if account.followers is None:
            run.problem(PayloadProblem("followers_count is missing", account.id), endpoint)
            return
        run.commit(Batch(followers=account.followers))


def _ids(page: Any, endpoint: str) -> list[int]:
    """The numeric ids of a list response (statuses, notifications)."""
    if not isinstance(page, list):
        raise MalformedResponse("the response is not a list", endpoint)
    return [int(entry["id"]) for entry in page
            if isinstance(entry, Mapping) and str(entry.get("id", "")).isdigit()]  # fmt: skip


def _link_id(page: Any, attribute: str, name: str) -> str | None:
    """An id from a page's Link header, as Mastodon.py keeps it (favourite ids are only
    ever shown there)."""
    info = getattr(page, attribute, None)
    value = info.get(name) if isinstance(info, Mapping) else None
    return str(value) if value not in (None, "") else None


def _created(status: Any) -> datetime | None:
    try:
        return records.parse_time(status.get("created_at"), None)
    except (PayloadProblem, AttributeError):
        return None
