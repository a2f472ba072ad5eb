"""Facebook Pages: the Page's posts and visitors' posts, with every comment and reply.

The Page's feed (``/{page-id}/feed``) holds its own posts and visitors' posts. Whose a post
is follows its ``from.id``; some tokens and apps get Page posts without ``from``. For those
the Page's own posts endpoint (``/{page-id}/posts``, ids only, over the same time span)
decides: a post it lists is the Page's, any other is a visitor's. That costs one call per
feed page that has posts without ``from``, and none otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from collectors.contract import Batch, RunContext
from collectors.errors import AccountNotFound, PayloadProblem
from collectors.graph import records
from collectors.graph.client import GraphClient
from collectors.graph.threads import GraphThreadsCollector, not_found
from storage.records import ItemRecord

OWN_POSTS_PAGE = 100


class FacebookCollector(GraphThreadsCollector):
    platform = records.FACEBOOK
    edge = "feed"  # the Page's own posts and visitors' posts
    post_fields = records.POST_FIELDS
    summary_fields = records.POST_SUMMARY_FIELDS
    followers_fields = "followers_count,fan_count"

    def __init__(self, access_token: str, **options: Any) -> None:
        super().__init__(access_token, **options)
        # Of the posts being read without `from`: the ids the Page's own posts endpoint lists.
        self._without_from: dict[str, bool] = {}

    def resolve(self, run: RunContext, client: GraphClient) -> str:
        """The Page id from the handle (a Page id or username)."""
        handle = run.account.handle
        try:
            body = client.get(run, handle, fields="id,name,username,followers_count",
                              endpoint="GET /{page}")  # fmt: skip
        except AccountNotFound as exc:
            raise not_found(f"Facebook Page {handle!r}", exc) from None
        page = records.page_from_payload(body)
        run.set_platform_account_id(page.id, page.name)
        if page.followers is not None:
            run.commit(Batch(followers=page.followers))
        return page.id

    def prepare(
        self, run: RunContext, client: GraphClient, owner_id: str, payloads: Sequence[Any]
    ) -> None:
        """Ask the Page's own posts endpoint about the posts that come without ``from``."""
        anonymous = {}
        for payload in payloads:
            if not isinstance(payload, Mapping) or not payload.get("id"):
                continue
            if records.facebook_author(payload).id is None:
                try:
                    anonymous[str(payload["id"])] = records.parse_time(
                        payload.get("created_time"), str(payload["id"]), "created_time"
                    )
                except PayloadProblem:
                    continue  # post_record names the problem
        self._without_from = dict.fromkeys(anonymous, False)
        if not anonymous:
            return
        endpoint = "GET /{page-id}/posts"
        since = min(anonymous.values()) - timedelta(seconds=1)
        until = max(anonymous.values()) + timedelta(seconds=1)
        for body in client.pages(run, owner_id, "posts", endpoint=endpoint, fields="id",
                                 since=int(since.timestamp()), until=int(until.timestamp()),
                                 limit=OWN_POSTS_PAGE):  # fmt: skip
            for entry in body["data"]:
                if isinstance(entry, Mapping) and str(entry.get("id")) in anonymous:
                    self._without_from[str(entry["id"])] = True

    def post_record(self, run: RunContext, payload: Any, owner_id: str) -> ItemRecord:
        post_id = str(payload.get("id")) if isinstance(payload, Mapping) else ""
        posted_by_page = self._without_from.get(post_id)
        post, problem = records.post_from_payload(payload, owner_id, run.own, posted_by_page)
        if problem is not None:
            run.problem(problem, "GET /{page-id}/feed")
        if records.reacted_by_page(payload):
            self._own_likes.append(records.page_like(post.platform_item_id, owner_id,
                                                     run.account.handle))  # fmt: skip
        return post

    def summary(self, payload: Any) -> records.PostSummary:
        return records.post_summary(payload)

    def thread_records(
        self,
        run: RunContext,
        client: GraphClient,
        payload: Any,
        post: ItemRecord,
        into: list[ItemRecord],
    ) -> None:
        endpoint = "GET /{post-id}/comments"
        for page in self.edge_pages(run, client, payload.get("comments"), endpoint):
            for comment in page.get("data") or []:
                try:
                    record, problem = records.comment_from_payload(
                        comment, post.platform_item_id, run.own, run.account.platform_account_id
                    )
                except PayloadProblem as problem:
                    run.problem(problem, endpoint)
                    continue
                if problem is not None:
                    run.problem(problem, endpoint)
                into.append(record)
                if records.liked_by_page(comment):
                    page_id = run.account.platform_account_id or ""
                    self._own_likes.append(records.page_like(record.platform_item_id, page_id,
                                                             run.account.handle))  # fmt: skip
