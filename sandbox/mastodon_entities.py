"""Mastodon REST entities (Account, Status, Mention, Notification) for posts of a World.

The shapes follow real Mastodon 4.5 responses (tests/fixtures/mastodon-cassettes): the same
keys in the same order, the keys Mastodon adds only for a signed-in viewer (``favourited``,
``bookmarked`` ...) only then, ``pinned`` only on the viewer's own statuses. Content is HTML
the way Mastodon renders it: paragraphs, ``<br />``, and each mention as an h-card link. A
reply names the account it answers with ``@acct`` (Mastodon clients prefill it); a mentioned
account missing from the text is put in front of it.

Accounts whose handle has no ``@domain`` are local to the simulated instance; ``name@other``
handles are remote accounts, linked to their own instance.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from sandbox.world import Actor, Post, World
from sandbox.world_server import iso_millis

# Mastodon rounds an account's creation time to the day; the world does not know when its
# actors signed up, so all of them joined on one day before any simulated activity.
ACCOUNT_CREATED_AT = datetime(2022, 11, 1, tzinfo=UTC)


class MastodonRenderer:
    """Renders one request's entities; remembers per-account counts while it lives."""

    def __init__(self, world: World, base_url: str, domain: str, viewer: Actor | None) -> None:
        self.world = world
        self.base_url = base_url
        self.domain = domain
        self.viewer = viewer
        self._timelines: dict[str, list[Post]] = {}

    # --- accounts ---------------------------------------------------------------------

    def split_handle(self, actor: Actor) -> tuple[str, str | None]:
        """(username, remote domain or None for a local account)."""
        username, _, domain = actor.handle.lstrip("@").partition("@")
        if not domain or domain == self.domain:
            return username, None
        return username, domain

    def acct(self, actor: Actor) -> str:
        username, domain = self.split_handle(actor)
        return username if domain is None else f"{username}@{domain}"

    def profile_url(self, actor: Actor) -> str:
        username, domain = self.split_handle(actor)
        return f"{self.base_url}/@{username}" if domain is None else f"https://{domain}/@{username}"

    def _actor_uri(self, actor: Actor) -> str:
        username, domain = self.split_handle(actor)
        if domain is None:
            return f"{self.base_url}/ap/users/{actor.id}"
        return f"https://{domain}/users/{username}"

    def _timeline(self, actor: Actor) -> list[Post]:
        if actor.id not in self._timelines:
            self._timelines[actor.id] = self.world.by_author(actor.id)
        return self._timelines[actor.id]

    def account(self, actor: Actor) -> dict[str, object]:
        username, _ = self.split_handle(actor)
        timeline = self._timeline(actor)
        missing = f"{self.base_url}/avatars/original/missing.png"
        missing_header = f"{self.base_url}/headers/original/missing.png"
        return {
            "id": actor.id,
            "username": username,
            "acct": self.acct(actor),
            "display_name": actor.name,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "indexable": True,
            "group": False,
            "created_at": iso_millis(ACCOUNT_CREATED_AT),
            "note": "",
            "url": self.profile_url(actor),
            "uri": self._actor_uri(actor),
            "avatar": missing,
            "avatar_static": missing,
            "avatar_description": "",
            "header": missing_header,
            "header_static": missing_header,
            "header_description": "",
            "followers_count": actor.followers,
            "following_count": 0,
            "statuses_count": len(timeline),
            "last_status_at": timeline[0].created_at.strftime("%Y-%m-%d") if timeline else None,
            "hide_collections": None,
            "show_media": True,
            "show_media_replies": True,
            "show_featured": True,
            "noindex": False,
            "feature_approval": {"automatic": [], "manual": [], "current_user": "denied"},
            "emojis": [],
            "roles": [],
            "fields": [],
        }

    def credential_account(self, actor: Actor) -> dict[str, object]:
        """verify_credentials: the account plus its ``source`` settings."""
        account = self.account(actor)
        account["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": None,
            "note": "",
            "fields": [],
            "follow_requests_count": 0,
            "hide_collections": None,
            "discoverable": True,
            "indexable": True,
            "attribution_domains": [],
            "quote_policy": "public",
        }
        return account

    def mention(self, actor: Actor) -> dict[str, str]:
        username, _ = self.split_handle(actor)
        return {
            "id": actor.id,
            "username": username,
            "url": self.profile_url(actor),
            "acct": self.acct(actor),
        }

    # --- statuses ---------------------------------------------------------------------

    def mentioned(self, post: Post) -> list[Actor]:
        """Accounts a status mentions: the one it answers first, then those in the text."""
        ids: list[str] = []
        if post.parent_id is not None:
            ids.append(self.world.posts[post.parent_id].author_id)
        ids.extend(post.mentions)
        seen: set[str] = {post.author_id}
        actors = []
        for actor_id in ids:
            if actor_id not in seen and actor_id in self.world.actors:
                seen.add(actor_id)
                actors.append(self.world.actors[actor_id])
        return actors

    def content(self, post: Post, mentioned: list[Actor]) -> str:
        text = post.text.strip()
        missing = [a for a in mentioned if not self._mention_pattern([a]).search(text)]
        if missing:
            text = " ".join(f"@{self.acct(a)}" for a in missing) + (f" {text}" if text else "")
        pattern = self._mention_pattern(mentioned) if mentioned else None
        by_acct = {name.lower(): a for a in mentioned for name in self._mention_names(a)}

        def link(match: re.Match[str]) -> str:
            actor = by_acct[match.group(1).lower()]
            username = html.escape(self.split_handle(actor)[0])
            return (
                '<span class="h-card" translate="no">'
                f'<a href="{html.escape(self.profile_url(actor))}" class="u-url mention">'
                f"@<span>{username}</span></a></span>"
            )

        paragraphs = []
        for paragraph in re.split(r"\n\s*\n", text):
            escaped = html.escape(paragraph, quote=False)
            if pattern is not None:
                escaped = pattern.sub(link, escaped)
            paragraphs.append("<p>" + escaped.replace("\n", "<br />") + "</p>")
        return "".join(paragraphs)

    def _mention_names(self, actor: Actor) -> set[str]:
        """How a text may write a mention of ``actor`` (after the @)."""
        username, domain = self.split_handle(actor)
        if domain is None:
            return {username, f"{username}@{self.domain}"}
        return {f"{username}@{domain}"}

    def _mention_pattern(self, actors: list[Actor]) -> re.Pattern[str]:
        names = {name for actor in actors for name in self._mention_names(actor)}
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        return re.compile(rf"(?<![\w/@])@({alternatives})(?![\w@])", re.IGNORECASE)

    def status_urls(self, post: Post) -> tuple[str, str]:
        """(uri, url) of a status: ActivityPub id and the page people open."""
        author = self.world.actors[post.author_id]
        username, domain = self.split_handle(author)
        suffix = "/activity" if post.kind == "repost" else ""
        if domain is None:
            uri = f"{self.base_url}/ap/users/{author.id}/statuses/{post.id}{suffix}"
            url = uri if suffix else f"{self.base_url}/@{username}/{post.id}"
            return uri, url
        uri = f"https://{domain}/users/{username}/statuses/{post.id}{suffix}"
        return uri, uri if suffix else f"https://{domain}/@{username}/{post.id}"

    def status(self, post: Post) -> dict[str, object] | None:
        """The Status entity, or None for a boost whose original is gone."""
        author = self.world.actors[post.author_id]
        reblog: dict[str, object] | None = None
        if post.kind == "repost":
            original = self.world.get(post.reposted_id or "")
            if original is None or original.kind == "repost":
                return None
            reblog = self.status(original)
        mentioned = [] if reblog is not None else self.mentioned(post)
        parent = self.world.posts.get(post.parent_id) if post.parent_id else None
        uri, url = self.status_urls(post)
        signed_in = self.viewer is not None
        entity: dict[str, object] = {
            "id": post.id,
            "created_at": iso_millis(post.created_at),
            "in_reply_to_id": post.parent_id,
            "in_reply_to_account_id": parent.author_id if parent is not None else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": post.visibility,
            "language": None,
            "uri": uri,
            "url": url,
            "replies_count": 0 if reblog else len(self.world.children(post.id)),
            "reblogs_count": 0 if reblog else self.reblogs_count(post),
            "favourites_count": 0 if reblog else self.world.like_count(post),
            "quotes_count": 0 if reblog else post.quotes,
            "edited_at": None,
        }
        if signed_in:
            entity.update(
                favourited=self._viewer_favourited(post),
                reblogged=self._viewer_reblogged(post),
                muted=False,
                bookmarked=False,
            )
            if self.viewer is author:
                entity["pinned"] = False
        entity["content"] = "" if reblog else self.content(post, mentioned)
        if signed_in:
            entity["filtered"] = []
        entity["reblog"] = reblog
        if self.split_handle(author)[1] is None:
            # Mastodon shows the posting app only for its own users' statuses.
            entity["application"] = {"name": "Web", "website": None}
        entity.update(
            account=self.account(author),
            media_attachments=[],
            mentions=[self.mention(a) for a in mentioned],
            tags=[],
            emojis=[],
            tagged_collections=[],
            quote=None,
            card=None,
            poll=None,
            quote_approval={
                "automatic": ["public"],
                "manual": [],
                "current_user": "automatic" if signed_in else "unknown",
            },
        )
        return entity

    def reblogs_count(self, post: Post) -> int:
        return post.reposts + len(self.world.reposts_of(post.id))

    def _viewer_favourited(self, post: Post) -> bool:
        viewer = self.viewer
        return viewer is not None and any(
            like.actor_id == viewer.id for like in self.world.likes_of(post)
        )

    def _viewer_reblogged(self, post: Post) -> bool:
        viewer = self.viewer
        return viewer is not None and any(
            boost.author_id == viewer.id for boost in self.world.reposts_of(post.id)
        )

    # --- notifications ----------------------------------------------------------------

    def mention_notification(self, notification_id: int, post: Post) -> dict[str, object]:
        return {
            "id": str(notification_id),
            "type": "mention",
            "created_at": iso_millis(post.created_at),
            "group_key": f"ungrouped-{notification_id}",
            "account": self.account(self.world.actors[post.author_id]),
            "status": self.status(post),
        }
