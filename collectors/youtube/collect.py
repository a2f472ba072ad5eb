"""Collecting one YouTube channel: what is read, in which order, and what it costs.

YouTube bills every call against a daily quota (10,000 units by default, reset at
midnight Pacific time); each call below is a ``list`` call of 1 unit, so a run's
``api_calls`` is its quota cost. The channel's videos are its posts, the top-level comments
under them are what customers write, and the channel's replies under a top-level comment
are its answers (a flat thread, as on Facebook).

1. **channel** — ``channels?forHandle=@name`` (or ``?id=UC…``) on the first collection:
   the channel id, its title, its uploads playlist and subscriber count. The id is stored
   with the account, the playlist as the cursor ``uploads``.
2. **videos** — ``playlistItems`` of the uploads playlist, newest first, 50 a page, down to
   the window: videos of the last ``collect.thread_days`` days (first collection:
   ``collect.history_days``); then ``videos?id=`` (50 a call) for their titles and counts
   (``likeCount``, ``commentCount``; views are not kept). Videos stored for the window and
   missing from a complete read of it (deleted, made private) are marked removed with
   their comments.
3. **new comments** — ``commentThreads?allThreadsRelatedToChannelId=`` ordered by time,
   100 threads a page, down to the threads without activity since the last sweep. A thread
   shows a few replies; when ``totalReplyCount`` says there are more, ``comments?parentId=``
   reads them all. A thread on a video that is not stored (older than the window: customers
   comment on old videos too) brings its video along (``videos?id=``, 50 a call). Each page
   is committed with a cursor that says where the sweep stands, so a quota stop or a
   killed process resumes there.
4. **held for review** (OAuth token of the channel only) — the same list with
   ``moderationStatus=heldForReview``: comments YouTube holds until the channel approves
   them are stored hidden, like a comment a Page hid on Facebook. With an API key the API
   does not show them at all.
5. **threads** — ``commentThreads?videoId=`` (all pages, all replies) for videos younger
   than ``collect.thread_days``, when due (:mod:`collectors.rereads`: never read, the
   video's comment count changed, or by a schedule that slows as the video ages). Each
   read is a full view: comments stored earlier and missing now are marked removed.
6. **subscribers** — ``channels?id=`` once a day.

Likes by the channel: the API tells who liked a comment only to that viewer
(``viewerRating``), so with the channel's OAuth token a comment it liked is stored with the
channel's like; with an API key nothing is known. The "heart" a creator gives a comment is
not in the Data API at all.

A quiet run (nothing new) costs 3 units: one page of the uploads playlist, one
``videos`` call for the counts of the window's videos, one page of comment threads; plus 1
with an OAuth token (held comments), 1 per young video whose thread is due, and 1 once a
day for the subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors import rereads, stored
from collectors.contract import Batch, RunContext, ThreadView
from collectors.cursors import SinceCursor
from collectors.errors import (
    AccountNotFound,
    CredentialsRejected,
    MalformedResponse,
    PayloadProblem,
)
from collectors.transport import DEFAULT_LIMITS, Limits
from collectors.youtube import records
from collectors.youtube.client import (
    DEFAULT_ROOT_URL,
    CommentsDisabled,
    NotFound,
    PageTokenRefused,
    YouTubeClient,
    next_token,
)
from storage.models import ItemKind
from storage.records import ItemRecord, LikeRecord

log = logging.getLogger(__name__)

VIDEOS_PAGE = 50  # the API's maximum page sizes
THREADS_PAGE = 100
REPLIES_PAGE = 100
VIDEOS_PER_CALL = 50
FOLLOWERS_EVERY = timedelta(hours=24)
# Our clock and YouTube's may differ a little; read a margin before the last sweep.
OVERLAP = timedelta(hours=1)

ENDPOINTS = {
    "channels": "GET /youtube/v3/channels",
    "playlistItems": "GET /youtube/v3/playlistItems",
    "videos": "GET /youtube/v3/videos",
    "commentThreads": "GET /youtube/v3/commentThreads",
    "comments": "GET /youtube/v3/comments",
}


class YouTubeCollector:
    platform = records.PLATFORM

    def __init__(
        self,
        secret: str,
        *,
        root_url: str = DEFAULT_ROOT_URL,
        limits: Limits = DEFAULT_LIMITS,
        history_days: int = 90,
        thread_days: int = 14,
    ) -> None:
        self._secret = secret
        self.root_url = root_url
        self.limits = limits
        self.history = timedelta(days=history_days)
        self.thread_window = timedelta(days=thread_days)

    def collect(self, run: RunContext) -> None:
        client = YouTubeClient(self._secret, root_url=self.root_url, limits=self.limits,
                               on_request=run.count_call)  # fmt: skip
        try:
            _Collection(self, run, client).collect()
        finally:
            log.info("YouTube %s: %d quota units in this run", run.account.handle,
                     client.quota_units)  # fmt: skip


class _Collection:
    """One run of one channel: the client, and what the run learned along the way."""

    def __init__(self, options: YouTubeCollector, run: RunContext, client: YouTubeClient) -> None:
        self.options = options
        self.run = run
        self.client = client
        self.channel_id = ""
        self.videos: set[str] = set()  # video ids stored or read in this run
        self.subscribers_read = False

    def collect(self) -> None:
        run = self.run
        uploads = self._channel()
        with run.section("videos"):
            self._videos(uploads)
        with run.section("new comments"):
            self._new_comments()
        if self.client.oauth:
            with run.section("held for review"):
                self._held()
        with run.section("threads"):
            self._threads()
        with run.section("subscribers"):
            self._subscribers()

    # --- the channel ------------------------------------------------------------------

    def _channel(self) -> str:
        """The channel id (resolved from the handle on the first run) and its uploads."""
        run = self.run
        known, uploads = run.account.platform_account_id, run.cursor("uploads")
        if known and uploads:
            self.channel_id = known
            return uploads
        handle = run.account.handle
        wanted = {"id": known or handle} if (known or handle.startswith("UC")) else {
            "forHandle": handle}  # fmt: skip
        body = self.client.list(run, "channels", endpoint=ENDPOINTS["channels"],
                                part="id,snippet,contentDetails,statistics", **wanted)  # fmt: skip
        found = records.items_of(body)
        if not found:
            raise AccountNotFound(f"YouTube channel {handle} does not exist (channels with "
                                  f"{next(iter(wanted))}={next(iter(wanted.values()))} found "
                                  "none)", ENDPOINTS["channels"])  # fmt: skip
        try:
            channel = records.channel_from_payload(found[0])
        except PayloadProblem as problem:
            raise MalformedResponse(problem.detail, ENDPOINTS["channels"]) from None
        if channel.uploads is None:
            raise MalformedResponse("the channel has no uploads playlist", ENDPOINTS["channels"])
        if not known:
            run.set_platform_account_id(channel.id, channel.title)
        self.channel_id = channel.id
        run.commit(Batch(followers=channel.subscribers,
                         cursors={"uploads": channel.uploads,
                                  "subscribers": run.now.isoformat()}))  # fmt: skip
        self.subscribers_read = True
        return channel.uploads

    # --- videos -----------------------------------------------------------------------

    def window_start(self) -> datetime:
        run, last = self.run, self.run.cursor("videos")
        if last is None:
            return run.now - self.options.history
        return min(run.now - self.options.thread_window, datetime.fromisoformat(last) - OVERLAP)

    def _videos(self, uploads: str) -> None:
        run, endpoint = self.run, ENDPOINTS["playlistItems"]
        start = self.window_start()
        seen: set[str] = set()
        try:
            for body in self.client.pages(run, "playlistItems", endpoint=endpoint,
                                          part="snippet,contentDetails", playlistId=uploads,
                                          maxResults=VIDEOS_PAGE):  # fmt: skip
                entries = []
                for payload in records.items_of(body):
                    try:
                        entries.append(records.upload_from_payload(payload))
                    except PayloadProblem as problem:
                        run.problem(problem, endpoint)
                young = [entry.video_id for entry in entries if entry.published_at >= start]
                items = self._read_videos(young)
                seen.update(item.platform_item_id for item in items)
                run.commit(Batch(items=items))
                # The playlist runs newest first: a page ending before the window ends it.
                if entries and entries[-1].published_at < start:
                    break
        except NotFound:
            pass  # a channel that never uploaded has no uploads playlist to show
        # Only reached when every page of the window was read.
        with run.read() as session:
            known = [v.platform_item_id for v in stored.recent_own_posts(session, run.account.id,
                                                                         start)]  # fmt: skip
        gone = sorted(set(known) - seen)
        self.videos.update(seen)
        run.commit(Batch(removed=gone, threads=[ThreadView(video, frozenset()) for video in gone],
                         cursors={"videos": run.now.isoformat()}))  # fmt: skip

    def _read_videos(self, video_ids: Sequence[str]) -> list[ItemRecord]:
        """The channel's videos among ``video_ids`` with their counts; the ones the API
        does not show (deleted, private, another channel's) are left out."""
        run, endpoint = self.run, ENDPOINTS["videos"]
        found: list[ItemRecord] = []
        for first in range(0, len(video_ids), VIDEOS_PER_CALL):
            chunk = video_ids[first : first + VIDEOS_PER_CALL]
            body = self.client.list(run, "videos", endpoint=endpoint, part="snippet,statistics",
                                    id=",".join(chunk), maxResults=VIDEOS_PER_CALL)  # fmt: skip
            for payload in records.items_of(body):
                if records.channel_of_video(payload) != self.channel_id:
                    continue
                try:
                    found.append(records.video_from_payload(payload, run.own))
                except PayloadProblem as problem:
                    run.problem(problem, endpoint)
        return found

    # --- comments -----------------------------------------------------------------------

    def _new_comments(self) -> None:
        """The channel-wide sweep of comment threads, newest first, down to the last one."""
        run, key = self.run, "comments"
        cursor = SinceCursor.from_text(run.cursor(key))
        since = (datetime.fromisoformat(cursor.since_id) if cursor.since_id
                 else run.now - self.options.history)  # fmt: skip
        threshold = since - OVERLAP if cursor.since_id else since
        started = cursor.newest_id or run.now.isoformat()
        token = cursor.next_token
        while True:
            try:
                body = self.client.list(
                    run, "commentThreads", endpoint=ENDPOINTS["commentThreads"],
                    part="snippet,replies", allThreadsRelatedToChannelId=self.channel_id,
                    order="time", maxResults=THREADS_PAGE, textFormat="plainText",
                    pageToken=token,
                )  # fmt: skip
            except PageTokenRefused:
                if token is None:
                    raise
                token, cursor = None, cursor.restarted()  # start the sweep again
                continue
            except CommentsDisabled:
                body = {}  # the channel takes no comments at all
            threads = self._threads_of(body)
            items, likes, _ = self._thread_records(
                [t for t in threads if _latest(t) >= threshold], complete=False
            )
            token = next_token(body)
            done = token is None or all(_latest(t) < threshold for t in threads)
            cursor = cursor.after_page(started, None if done else token)
            run.commit(Batch(items=items, likes=likes, cursors={key: cursor.to_text()}))
            if done:
                return

    def _held(self) -> None:
        """Comments held for review on the channel's videos (readable by the channel only)."""
        run = self.run
        oldest = run.now - self.options.thread_window
        try:
            for body in self.client.pages(
                run, "commentThreads", endpoint=ENDPOINTS["commentThreads"], part="snippet",
                allThreadsRelatedToChannelId=self.channel_id, moderationStatus="heldForReview",
                maxResults=THREADS_PAGE, textFormat="plainText",
            ):  # fmt: skip
                threads = [t for t in self._threads_of(body) if _latest(t) >= oldest]
                items, _, _ = self._thread_records(threads, complete=False)
                run.commit(Batch(items=items))
                if len(threads) < len(records.items_of(body)):
                    return
        except CredentialsRejected as exc:
            # A token of someone else than the channel may read, but not what it holds.
            run.problem(PayloadProblem(f"comments held for review cannot be read with this "
                                       f"token: {exc.detail}", None), exc.endpoint)  # fmt: skip
        except CommentsDisabled:
            return

    def _threads_of(self, body: Mapping[str, Any]) -> list[records.Thread]:
        threads = []
        for payload in records.items_of(body):
            try:
                threads.append(records.thread_from_payload(payload))
            except PayloadProblem as problem:
                self.run.problem(problem, ENDPOINTS["commentThreads"])
        return threads

    def _thread_records(
        self, threads: Sequence[records.Thread], *, complete: bool
    ) -> tuple[list[ItemRecord], list[LikeRecord], bool]:
        """Records of the threads with all their replies, and whether every reply was read
        (``complete``: the caller wants a full view; a reply list that vanished spoils it).
        Threads on videos that are not stored bring their video along, if it is the
        channel's; threads on anybody else's video are left out."""
        unknown = sorted({t.video_id for t in threads if t.video_id} - self.videos)
        if unknown:
            with self.run.read() as session:
                self.videos.update(stored.stored_roots(session, records.PLATFORM, unknown))
        missing = [video for video in unknown if video not in self.videos]
        items: list[ItemRecord] = self._read_videos(missing) if missing else []
        self.videos.update(item.platform_item_id for item in items)
        likes: list[LikeRecord] = []
        whole = True
        for thread in threads:
            if thread.video_id is not None and thread.video_id not in self.videos:
                continue
            replies: Iterable[Any] | None = thread.replies
            if thread.total_replies > len(thread.replies):
                replies = self._all_replies(thread.id)
            if replies is None:
                whole, replies = False, thread.replies
            items += self._records_of(thread, replies, likes)
        return items, likes, whole and complete

    def _records_of(self, thread: records.Thread, replies: Iterable[Any],
                    likes: list[LikeRecord]) -> list[ItemRecord]:  # fmt: skip
        run, endpoint = self.run, ENDPOINTS["commentThreads"]
        on_channel = thread.video_id is None
        root = thread.id if on_channel else thread.video_id
        assert root is not None
        found: list[ItemRecord] = []
        try:
            top, problem = records.comment_from_payload(
                thread.top, run.own, root_id=root, video_id=thread.video_id,
                kind=ItemKind.VISITOR_POST if on_channel else ItemKind.COMMENT,
                reply_count=thread.total_replies,
            )  # fmt: skip
        except PayloadProblem as problem:
            run.problem(problem, endpoint)
            return found
        if problem is not None:
            run.problem(problem, endpoint)
        if not thread.public:
            top = replace(top, hidden=True)  # a thread not everybody may see
        found.append(top)
        replies = list(replies)
        for payload in replies:
            try:
                reply, problem = records.comment_from_payload(
                    payload, run.own, root_id=root, parent_id=top.platform_item_id,
                    video_id=thread.video_id,
                )  # fmt: skip
            except PayloadProblem as problem:
                run.problem(problem, ENDPOINTS["comments"])
                continue
            if problem is not None:
                run.problem(problem, ENDPOINTS["comments"])
            found.append(reply)
        if self.client.oauth:
            # viewerRating is the token owner's: the channel's own likes.
            handle = run.account.handle
            for payload in [thread.top, *replies]:
                liked_id = records.payload_id(payload)
                if liked_id and records.viewer_liked(payload):
                    likes.append(records.channel_like(liked_id, self.channel_id, handle))
        return found

    def _all_replies(self, top_id: str) -> list[Any] | None:
        """Every reply under a top-level comment (None when the comment went away)."""
        replies: list[Any] = []
        try:
            for body in self.client.pages(self.run, "comments", endpoint=ENDPOINTS["comments"],
                                          part="snippet", parentId=top_id,
                                          maxResults=REPLIES_PAGE,
                                          textFormat="plainText"):  # fmt: skip
                replies += [r for r in records.items_of(body) if isinstance(r, Mapping)]
        except NotFound:
            return None
        return replies

    # --- threads of young videos ----------------------------------------------------------

    def _threads(self) -> None:
        run = self.run
        with run.read() as session:
            videos = stored.recent_own_posts(session, run.account.id,
                                             run.now - self.options.thread_window)  # fmt: skip
        young = {rereads.key(video.platform_item_id) for video in videos}
        states = run.keep_cursors(rereads.PREFIX, young)
        for video in videos:
            state = rereads.ThreadState.from_text(states.get(rereads.key(video.platform_item_id)))
            due = rereads.is_due(created_at=video.created_at, reply_count=video.reply_count,
                                 state=state, now=run.now,
                                 window=self.options.thread_window)  # fmt: skip
            if due:
                with run.section(f"comments of {video.platform_item_id}"):
                    self._thread(video)

    def _thread(self, video: stored.StoredItem) -> None:
        """A full view of a video's comments: every thread, every reply."""
        run, video_id = self.run, video.platform_item_id
        name = rereads.key(video_id)
        state = rereads.ThreadState(run.now, video.reply_count)
        items: list[ItemRecord] = []
        likes: list[LikeRecord] = []
        complete = True
        try:
            for body in self.client.pages(run, "commentThreads",
                                          endpoint=ENDPOINTS["commentThreads"],
                                          part="snippet,replies", videoId=video_id,
                                          maxResults=THREADS_PAGE,
                                          textFormat="plainText"):  # fmt: skip
                found, liked, whole = self._thread_records(self._threads_of(body), complete=True)
                items += found
                likes += liked
                complete = complete and whole
        except NotFound:
            # The video is gone (deleted, made private), and its comments with it.
            run.commit(Batch(removed=[video_id], threads=[ThreadView(video_id, frozenset())],
                             cursors={name: None}))  # fmt: skip
            return
        except CommentsDisabled:
            # Comments turned off hide them; they are not deleted: decide nothing.
            run.commit(Batch(cursors={name: state.to_text()}))
            return
        seen = frozenset(item.platform_item_id for item in items if item.root_id == video_id)
        views = [ThreadView(video_id, seen)] if complete else []
        # Held comments are stored hidden (removed) already and are not part of the view.
        run.commit(Batch(items=items, likes=likes, threads=views, cursors={name: state.to_text()}))

    # --- subscribers ------------------------------------------------------------------------

    def _subscribers(self) -> None:
        run = self.run
        if self.subscribers_read:
            return
        # The time of the last read, not of the last count: a channel that hides its
        # subscriber count is asked once a day too, not on every run.
        last = run.cursor("subscribers")
        if last is not None and run.now - datetime.fromisoformat(last) < FOLLOWERS_EVERY:
            return
        body = self.client.list(run, "channels", endpoint=ENDPOINTS["channels"],
                                part="statistics,contentDetails", id=self.channel_id)  # fmt: skip
        found = records.items_of(body)
        if not found:
            raise AccountNotFound(f"YouTube channel {run.account.handle} (id {self.channel_id}) "
                                  "no longer exists", ENDPOINTS["channels"])  # fmt: skip
        channel = records.channel_from_payload(found[0])
        cursors = {"subscribers": run.now.isoformat()}
        if channel.uploads:
            cursors["uploads"] = channel.uploads
        # A channel that hides its subscriber count shows none; nothing to record then.
        run.commit(Batch(followers=channel.subscribers, cursors=cursors))


def _latest(thread: records.Thread) -> datetime:
    """The newest activity the thread shows: its top-level comment or an included reply."""
    moments = []
    for payload in [thread.top, *thread.replies]:
        snippet = payload.get("snippet") if isinstance(payload, Mapping) else None
        try:
            moments.append(records.parse_time((snippet or {}).get("publishedAt"), None, ""))
        except PayloadProblem:
            continue
    # No readable time: take it for new, so that it is read and its problem recorded.
    return max(moments) if moments else datetime.max.replace(tzinfo=UTC)
