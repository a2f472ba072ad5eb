"""Collecting one X account: what is read, in which order, and what it costs.

X charges per post read, so every part reads only what is new:

1. **posts** — ``GET /2/users/:id/tweets`` since the stored ``since_id`` (the account's
   posts, replies and retweets). First collection: back ``history_days``.
2. **mentions** — ``GET /2/users/:id/mentions`` since its own ``since_id``.
3. **conversations** — ``GET /2/tweets/search/recent`` for ``conversation_id:`` of the
   account's own posts younger than 7 days (search/recent reaches back no further),
   several conversations OR-ed into one query of at most 512 characters, without the
   account's own posts (``-from:``), since the newest reply already seen.
4. **refresh** — at most every 6 hours, ``GET /2/tweets?ids=`` for the account's items
   younger than 7 days: fresh like/reply/repost counts, and ids X no longer returns are
   marked removed (a full view of each item; nothing is marked from a partial view).
5. **likers** — ``GET /2/tweets/:id/liking_users`` for own posts younger than 7 days
   whose like count changed since their likers were last read; X lists at most 100 likers
   per post, so counts always come from ``public_metrics``.
6. **followers** — ``GET /2/users/:id`` when the last follower count is a day old.
7. **liked** — at most every 6 hours, ``GET /2/users/:id/liked_tweets``: the account's own
   likes of tweets that are stored or addressed to it (for "liked, not answered"), newest
   first down to the newest liked tweet of the last read. Likes are private on X: only a
   user-context token of the account itself may read them. With an app-only bearer token
   the refusal is recorded as a problem once and asked again after a week.

An incremental run without new data therefore costs 2 calls plus one search call per 12
young conversations (plus the refresh and the liked tweets every 6 hours and the follower
count once a day).
Each page is committed with the cursor that covers it (``collectors.cursors``), so a 429
or a killed process resumes exactly there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors import stored
from collectors.contract import Batch, RunContext
from collectors.cursors import SinceCursor
from collectors.errors import AccountNotFound, CredentialsRejected, PayloadProblem
from collectors.transport import DEFAULT_LIMITS, Limits
from collectors.x import records
from collectors.x.client import DEFAULT_BASE_URL, RequestRefused, XClient
from storage.models import ItemKind
from storage.records import ItemRecord, LikeRecord

SEARCH_REACH = timedelta(days=7)
# A conversation this close to the 7-day edge is left out: its search would be refused
# by the time the request arrives.
SEARCH_MARGIN = timedelta(minutes=5)
REFRESH_EVERY = timedelta(hours=6)
FOLLOWERS_EVERY = timedelta(hours=24)
LIKED_EVERY = timedelta(hours=6)
LIKED_REFUSED_RETRY = timedelta(days=7)
MAX_QUERY_LENGTH = 512
LIKERS_CAP = 100
PAGE_SIZE = 100
_SNOWFLAKE_EPOCH_MS = 1288834974657

ENDPOINTS = {
    "lookup": "GET /2/users/by/username/:username",
    "posts": "GET /2/users/:id/tweets",
    "mentions": "GET /2/users/:id/mentions",
    "search": "GET /2/tweets/search/recent",
    "refresh": "GET /2/tweets",
    "likers": "GET /2/tweets/:id/liking_users",
    "user": "GET /2/users/:id",
    "liked": "GET /2/users/:id/liked_tweets",
}


def snowflake_time(tweet_id: str) -> datetime:
    """When an X id was made (ids carry their creation time in milliseconds)."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000, UTC)


@dataclass(frozen=True)
class ConversationCursor:
    """Where conversation search stands: the newest reply seen, and when the last full
    round over all young conversations finished (roots first stored after it are new)."""

    since_id: str | None = None
    swept_at: str | None = None

    @classmethod
    def from_text(cls, text: str | None) -> ConversationCursor:
        return cls(**json.loads(text)) if text else cls()

    def to_text(self) -> str:
        values = {"since_id": self.since_id, "swept_at": self.swept_at}
        return json.dumps({k: v for k, v in values.items() if v}, separators=(",", ":"))


@dataclass(frozen=True)
class LikedCursor:
    """When the account's liked tweets were last read completely, the newest liked tweet
    then (the next read stops there), and whether X refused to show them."""

    read_at: str | None = None
    newest: str | None = None
    refused: bool = False

    @classmethod
    def from_text(cls, text: str | None) -> LikedCursor:
        return cls(**json.loads(text)) if text else cls()

    def to_text(self) -> str:
        values = {"read_at": self.read_at, "newest": self.newest, "refused": self.refused}
        return json.dumps({k: v for k, v in values.items() if v}, separators=(",", ":"))


class XCollector:
    platform = records.PLATFORM

    def __init__(
        self,
        bearer_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        limits: Limits = DEFAULT_LIMITS,
        history_days: int = 90,
    ) -> None:
        self._token = bearer_token
        self.base_url = base_url
        self.limits = limits
        self.history = timedelta(days=history_days)

    def collect(self, run: RunContext) -> None:
        client = XClient(self._token, self.base_url, self.limits, on_request=run.count_call)
        user_id = self._user_id(run, client)
        with run.section("posts"):
            self._sweep(run, client, "get_users_tweets", user_id, "posts", mentions=False)
        with run.section("mentions"):
            self._sweep(run, client, "get_users_mentions", user_id, "mentions", mentions=True)
        with run.section("conversations"):
            self._conversations(run, client, user_id)
        with run.section("refresh"):
            self._refresh(run, client)
        with run.section("likers"):
            self._likers(run, client)
        with run.section("followers"):
            self._followers(run, client, user_id)
        with run.section("liked"):
            self._liked(run, client, user_id)

    # --- the account ----------------------------------------------------------------

    def _user_id(self, run: RunContext, client: XClient) -> str:
        if run.account.platform_account_id:
            return run.account.platform_account_id
        username = run.account.handle.lstrip("@")
        endpoint = ENDPOINTS["lookup"]
        body = client.get(run, "get_user", username=username, user_fields=["public_metrics"],
                          endpoint=endpoint)  # fmt: skip
        user = records.user_from_payload(body, endpoint)
        if user is None:
            reason = records.lookup_error(body) or "no such user"
            raise AccountNotFound(f"X account {run.account.handle} does not exist: {reason}")
        run.set_platform_account_id(user.id, user.name)
        if user.followers is not None:
            run.commit(Batch(followers=user.followers))
        return user.id

    # --- posts and mentions ------------------------------------------------------------

    def _sweep(
        self,
        run: RunContext,
        client: XClient,
        method: str,
        user_id: str,
        key: str,
        *,
        mentions: bool,
    ) -> None:
        cursor = SinceCursor.from_text(run.cursor(key))
        if cursor.since_id is None and cursor.start_time is None:
            start = run.now - self.history
            cursor = replace(cursor, start_time=start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        try:
            self._sweep_pages(run, client, method, user_id, key, cursor, mentions)
        except RequestRefused:
            if not cursor.resuming:
                raise
            # The stored page token is no longer accepted: start the sweep over.
            self._sweep_pages(run, client, method, user_id, key, cursor.restarted(), mentions)

    def _sweep_pages(
        self,
        run: RunContext,
        client: XClient,
        method: str,
        user_id: str,
        key: str,
        cursor: SinceCursor,
        mentions: bool,
    ) -> None:
        endpoint = ENDPOINTS[key]
        params: dict[str, Any] = {
            "max_results": PAGE_SIZE,
            "tweet_fields": records.TWEET_FIELDS,
            "expansions": records.EXPANSIONS,
            "user_fields": records.USER_FIELDS,
        }
        if cursor.since_id:
            params["since_id"] = cursor.since_id
        elif cursor.start_time:
            params["start_time"] = cursor.start_time
        for body in client.pages(run, method, user_id, endpoint=endpoint,
                                 pagination_token=cursor.next_token, **params):  # fmt: skip
            page = records.page_from_payload(body, endpoint)
            items = self._items(run, page, endpoint, mentions=mentions)
            cursor = cursor.after_page(page.newest_id, page.next_token)
            run.commit(Batch(items=items, cursors={key: cursor.to_text()}))

    def _items(
        self, run: RunContext, page: records.Page, endpoint: str, *, mentions: bool = False
    ) -> list[ItemRecord]:
        items = []
        unavailable = page.unavailable_authors()
        for tweet in page.tweets:
            try:
                item = records.item_from_payload(
                    tweet,
                    page.users,
                    run.own,
                    mentions_account=mentions,
                    account_id=run.account.platform_account_id,
                    account_handle=run.account.handle,
                )
            except PayloadProblem as problem:
                run.problem(problem, endpoint)
                continue
            if item.author_id in unavailable:
                reason = unavailable[item.author_id]
                run.problem(PayloadProblem(f"author unavailable: {reason}", item.platform_item_id),
                            endpoint)  # fmt: skip
            items.append(item)
        return items

    # --- conversations ----------------------------------------------------------------

    def _conversations(self, run: RunContext, client: XClient, user_id: str) -> None:
        oldest = run.now - SEARCH_REACH + SEARCH_MARGIN
        with run.read() as session:
            roots = [
                root
                for root in stored.recent_items(
                    session, run.account.id, oldest, own_top_level_only=True
                )
                if root.kind == ItemKind.POST
            ]
        if not roots:
            return
        state = ConversationCursor.from_text(run.cursor("conversations"))
        swept_at = datetime.fromisoformat(state.swept_at) if state.swept_at else None
        endpoint = ENDPOINTS["search"]
        newest = int(state.since_id) if state.since_id else 0
        batches = list(_query_batches([r.platform_item_id for r in roots], user_id))
        by_id = {r.platform_item_id: r for r in roots}
        for number, batch in enumerate(batches, start=1):
            # Roots stored after the last full round may have older replies than since_id.
            fresh = [i for i in batch if swept_at is None or by_id[i].first_seen > swept_at]
            candidates = [int(i) for i in fresh]
            if state.since_id:
                candidates.append(int(state.since_id))
            else:
                candidates += [int(i) for i in batch]
            lowest = str(min(candidates))
            # An id older than search's reach is refused; every reply of a young
            # conversation is inside the reach anyway.
            since_id = lowest if snowflake_time(lowest) > oldest else None
            params: dict[str, Any] = {
                "max_results": PAGE_SIZE,
                "tweet_fields": records.TWEET_FIELDS,
                "expansions": records.EXPANSIONS,
                "user_fields": records.USER_FIELDS,
            }
            if since_id:
                params["since_id"] = since_id
            query = _search_query(batch, user_id)
            for body in client.pages(run, "search_recent_tweets", query, endpoint=endpoint,
                                     **params):  # fmt: skip
                page = records.page_from_payload(body, endpoint)
                items = self._items(run, page, endpoint)
                if page.newest_id:
                    newest = max(newest, int(page.newest_id))
                cursors = {}
                if number == len(batches) and page.next_token is None:
                    done = ConversationCursor(
                        since_id=str(newest) if newest else None, swept_at=run.now.isoformat()
                    )
                    cursors["conversations"] = done.to_text()
                run.commit(Batch(items=items, cursors=cursors))

    # --- counts and removals --------------------------------------------------------

    def _refresh(self, run: RunContext, client: XClient) -> None:
        last = run.cursor("refresh")
        if last and run.now - datetime.fromisoformat(last) < REFRESH_EVERY:
            return
        with run.read() as session:
            recent = stored.recent_items(session, run.account.id, run.now - SEARCH_REACH)
        ids = [item.platform_item_id for item in recent]
        endpoint = ENDPOINTS["refresh"]
        chunks = [ids[start : start + 100] for start in range(0, len(ids), 100)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            items: list[ItemRecord] = []
            gone: set[str] = set()
            if chunk:
                body = client.get(run, "get_tweets", chunk, tweet_fields=records.TWEET_FIELDS,
                                  expansions=records.EXPANSIONS, user_fields=records.USER_FIELDS,
                                  endpoint=endpoint)  # fmt: skip
                page = records.page_from_payload(body, endpoint)
                items = self._items(run, page, endpoint)
                gone = page.missing("tweet", "ids") & set(chunk)
            cursors = {"refresh": run.now.isoformat()} if number == len(chunks) else {}
            run.commit(Batch(items=items, removed=sorted(gone), cursors=cursors))

    def _likers(self, run: RunContext, client: XClient) -> None:
        with run.read() as session:
            posts = [
                post
                for post in stored.recent_items(
                    session, run.account.id, run.now - SEARCH_REACH, own_top_level_only=True
                )
                if post.kind == ItemKind.POST
            ]
        read_at = run.cursors_with_prefix("likers:")
        young = {f"likers:{post.platform_item_id}" for post in posts}
        stale = {key: None for key in read_at if key not in young}
        if stale:
            run.commit(Batch(cursors=stale))
        endpoint = ENDPOINTS["likers"]
        for post in posts:
            key = f"likers:{post.platform_item_id}"
            count_when_read = int(read_at.get(key, "0"))
            if post.like_count == count_when_read or count_when_read >= LIKERS_CAP:
                continue
            body = client.get(run, "get_liking_users", post.platform_item_id, max_results=100,
                              user_fields=["username"], endpoint=endpoint)  # fmt: skip
            likes = list(self._likes(run, body, post.platform_item_id, endpoint))
            run.commit(Batch(likes=likes, cursors={key: str(post.like_count)}))

    def _likes(
        self, run: RunContext, body: Any, tweet_id: str, endpoint: str
    ) -> Iterable[LikeRecord]:
        page = records.page_from_payload(body, endpoint)
        for user in page.tweets:  # liking_users lists users under "data"
            try:
                yield records.like_from_payload(user, tweet_id, run.own)
            except PayloadProblem as problem:
                run.problem(problem, endpoint)

    def _followers(self, run: RunContext, client: XClient, user_id: str) -> None:
        with run.read() as session:
            last = stored.last_follower_count_at(session, run.account.id)
        if last is not None and run.now - last < FOLLOWERS_EVERY:
            return
        endpoint = ENDPOINTS["user"]
        body = client.get(run, "get_user", id=user_id, user_fields=["public_metrics"],
                          endpoint=endpoint)  # fmt: skip
        user = records.user_from_payload(body, endpoint)
        if user is None:
            raise AccountNotFound(
                f"X account {run.account.handle} (id {user_id}) no longer exists: "
                f"{records.lookup_error(body) or 'no such user'}"
            )
        if user.followers is None:
            run.problem(PayloadProblem("followers_count is missing", user_id), endpoint)
            return
        run.commit(Batch(followers=user.followers))

    # --- the account's own likes ---------------------------------------------------

    def _liked(self, run: RunContext, client: XClient, user_id: str) -> None:
        state = LikedCursor.from_text(run.cursor("liked"))
        if state.read_at:
            pause = LIKED_REFUSED_RETRY if state.refused else LIKED_EVERY
            if run.now - datetime.fromisoformat(state.read_at) < pause:
                return
        endpoint = ENDPOINTS["liked"]
        oldest = run.now - self.history
        newest: str | None = None
        try:
            for body in client.pages(run, "get_liked_tweets", user_id, endpoint=endpoint,
                                     max_results=PAGE_SIZE, tweet_fields=records.TWEET_FIELDS,
                                     expansions=records.EXPANSIONS,
                                     user_fields=records.USER_FIELDS):  # fmt: skip
                page = records.page_from_payload(body, endpoint)
                ids = [str(t["id"]) for t in page.tweets if isinstance(t, dict) and t.get("id")]
                newest = newest or (ids[0] if ids else None)
                items, likes = self._own_likes(run, page, endpoint, user_id)
                times = [t.created_at for t in items] + self._times(page)
                done = (
                    page.next_token is None
                    or (state.newest is not None and state.newest in ids)
                    or (bool(times) and max(times) < oldest)
                )
                cursors = {}
                if done:
                    finished = LikedCursor(read_at=run.now.isoformat(),
                                           newest=newest or state.newest)  # fmt: skip
                    cursors["liked"] = finished.to_text()
                run.commit(Batch(items=items, likes=likes, cursors=cursors))
                if done:
                    return
        except CredentialsRejected as exc:
            # The bearer token reads everything else; the account's likes need its own
            # user-context token. Say so once, and ask again in a week.
            run.problem(PayloadProblem(
                f"X shows the account's likes only to a user-context token of the account "
                f"itself (OAuth 2.0 with like.read): {exc.detail}", user_id), endpoint)  # fmt: skip
            refused = LikedCursor(read_at=run.now.isoformat(), newest=state.newest, refused=True)
            run.commit(Batch(cursors={"liked": refused.to_text()}))

    def _times(self, page: records.Page) -> list[datetime]:
        found = []
        for tweet in page.tweets:
            try:
                found.append(records.parse_time(tweet.get("created_at"), None))
            except (PayloadProblem, AttributeError):
                continue
        return found

    def _own_likes(
        self, run: RunContext, page: records.Page, endpoint: str, user_id: str
    ) -> tuple[list[ItemRecord], list[LikeRecord]]:
        """Likes of tweets that are stored or addressed to the account (stored with the
        like); a like of any other tweet says nothing about the account's conversations."""
        ids = [str(t["id"]) for t in page.tweets if isinstance(t, dict) and t.get("id")]
        with run.read() as session:
            known = set(stored.stored_roots(session, records.PLATFORM, ids))
        addressed = [t for t in page.tweets if isinstance(t, dict) and str(t.get("id")) not in
                     known and records.addressed_to(t, user_id)]  # fmt: skip
        new_page = replace(page, tweets=addressed)
        items = [i for i in self._items(run, new_page, endpoint, mentions=True) if not i.is_own]
        liked = known | {item.platform_item_id for item in items}
        handle = run.account.handle
        likes = [records.own_like(i, user_id, handle) for i in ids if i in liked]
        return items, likes


def _search_query(root_ids: Sequence[str], user_id: str) -> str:
    """Replies in these conversations, without the account's own posts: those come from its
    timeline already, and X bills every post read."""
    terms = " OR ".join(f"conversation_id:{i}" for i in root_ids)
    grouped = f"({terms})" if len(root_ids) > 1 else terms
    return f"{grouped} -from:{user_id}"


def _query_batches(root_ids: Sequence[str], user_id: str) -> Iterable[list[str]]:
    """Group conversation ids into search queries of at most MAX_QUERY_LENGTH characters."""
    batch: list[str] = []
    length = len(f"() -from:{user_id}")
    for root in root_ids:
        term = len(f"conversation_id:{root}") + (4 if batch else 0)
        if batch and length + term > MAX_QUERY_LENGTH:
            yield batch
            batch, length = [], len(f"() -from:{user_id}")
            term -= 4
        batch.append(root)
        length += term
    if batch:
        yield batch
