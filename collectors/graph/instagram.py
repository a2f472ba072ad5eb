"""Instagram business accounts: media with their comments and replies."""

from __future__ import annotations

from typing import Any

from collectors.contract import RunContext
from collectors.errors import AccountNotFound, PayloadProblem
from collectors.graph import records
from collectors.graph.client import GraphClient
from collectors.graph.threads import GraphThreadsCollector, not_found
from storage.records import ItemRecord


class InstagramCollector(GraphThreadsCollector):
    platform = records.INSTAGRAM
    edge = "media"
    post_fields = records.MEDIA_FIELDS
    summary_fields = records.MEDIA_SUMMARY_FIELDS
    followers_fields = "followers_count"

    def resolve(self, run: RunContext, client: GraphClient) -> str:
        """The IG user id: the business account linked to the Page whose token this is."""
        handle = run.account.handle
        try:
            body = client.get(run, "me", fields="id,name,instagram_business_account{id,username}",
                              endpoint="GET /me")  # fmt: skip
        except AccountNotFound as exc:
            raise not_found("the Facebook Page of this token", exc) from None
        page = records.page_from_payload(body)
        if page.instagram_id is None:
            raise AccountNotFound(
                f"Instagram account {handle}: no Instagram business account is linked to the "
                f"Facebook Page {page.name or page.id} whose token is configured"
            )
        linked = "@" + (page.instagram_username or "").lower()
        if page.instagram_username and linked != handle.lower():
            raise AccountNotFound(
                f"Instagram account {handle}: the configured token belongs to {linked} "
                f"(Facebook Page {page.name or page.id})"
            )
        run.set_platform_account_id(page.instagram_id, page.instagram_username)
        return page.instagram_id

    def post_record(self, run: RunContext, payload: Any, owner_id: str) -> ItemRecord:
        return records.media_from_payload(payload, owner_id, run.own)

    def summary(self, payload: Any) -> records.PostSummary:
        return records.media_summary(payload)

    def thread_records(
        self,
        run: RunContext,
        client: GraphClient,
        payload: Any,
        post: ItemRecord,
        into: list[ItemRecord],
    ) -> None:
        endpoint = "GET /{media-id}/comments"
        media = (post.platform_item_id, post.permalink)
        for page in self.edge_pages(run, client, payload.get("comments"), endpoint):
            for comment in page.get("data") or []:
                if not self._keep(run, comment, media, None, endpoint, into):
                    continue
                top_id = into[-1].platform_item_id
                replies = comment.get("replies") if isinstance(comment, dict) else None
                reply_endpoint = "GET /{comment-id}/replies"
                for reply_page in self.edge_pages(run, client, replies, reply_endpoint):
                    for reply in reply_page.get("data") or []:
                        self._keep(run, reply, media, top_id, reply_endpoint, into)

    def _keep(
        self,
        run: RunContext,
        payload: Any,
        media: tuple[str, str | None],  # the media's id and link
        parent_id: str | None,
        endpoint: str,
        into: list[ItemRecord],
    ) -> bool:
        media_id, media_link = media
        try:
            record, problem = records.ig_comment_from_payload(
                payload, media_id, run.own, parent_id, run.account.handle, media_link
            )
        except PayloadProblem as problem:
            run.problem(problem, endpoint)
            return False
        if problem is not None:
            run.problem(problem, endpoint)
        into.append(record)
        return True
