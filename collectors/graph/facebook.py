"""Facebook Pages: the Page's posts and visitors' posts, with every comment and reply."""

from __future__ import annotations

from typing import Any

from collectors.contract import Batch, RunContext
from collectors.errors import AccountNotFound, PayloadProblem
from collectors.graph import records
from collectors.graph.client import GraphClient
from collectors.graph.threads import GraphThreadsCollector, not_found
from storage.records import ItemRecord


class FacebookCollector(GraphThreadsCollector):
    platform = records.FACEBOOK
    edge = "feed"  # the Page's own posts and visitors' posts
    post_fields = records.POST_FIELDS
    followers_fields = "followers_count,fan_count"

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

    def post_record(self, run: RunContext, payload: Any, owner_id: str) -> ItemRecord:
        post, problem = records.post_from_payload(payload, owner_id, run.own)
        if problem is not None:
            run.problem(problem, "GET /{page-id}/feed")
        if records.reacted_by_page(payload):
            self._own_likes.append(records.page_like(post.platform_item_id, owner_id,
                                                     run.account.handle))  # fmt: skip
        return post

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
                        comment, post.platform_item_id, run.own
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
