"""Outsiders' personal data: pseudonyms, the retention purge, erasure and access on request.

What customers wrote, their names, handles and ids are personal data of people who never
agreed to be audited. The metrics need none of it once an item's facts are computed: its
role, times, thread links, whether it was answered and whether it asked a question are
stored apart from the text. So:

- **Retention** (:func:`purge_expired`): items of outsiders older than their client's
  ``retention_months`` lose text, handle and link, and their author id becomes a
  pseudonym. Likes by outsiders that old lose the liker's handle and id the same way.
- **Erasure** (:func:`forget_author`): one author's items and likes, of every age, the same;
  their handle in others' texts becomes ``@[removed]``; item ids that contain their id
  (Bluesky) get the pseudonym instead; and a keyed hash goes on the erasure list, which the
  collectors apply to everything collected later (collectors/privacy.py).
- **Access** (:func:`stored_about`): what is stored about one author, for an export.

A pseudonym is ``anon:`` + a keyed hash (HMAC-SHA-256) of the platform and the author's
id, or of their handle when no id is known: the same author gets the same pseudonym
everywhere, so "a later message of the same author" (METRICS.md, answering rule 2) and
every count stay as they were, and nobody without the installation's key can tell whose
it is. The key lives outside the database (replywatch/privacy_key.py); its fingerprint is
stored, so that a different key is refused instead of silently making pseudonyms that
match nothing.

A pseudonym is given to all of an author's items on the platform at once (the young ones
keep their text and handle until their own time comes), and the collectors give it to
their later items too: author keys that disagreed would break rule 2 in a thread and count
one customer as two in the template rule when the facts are computed again.

Purged items keep ``purged_at``; no later sighting fills their text, handle, link or
author id in again (storage/upsert.py), and metrics never classify them again.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import (
    Account,
    Client,
    ErasedAuthor,
    Item,
    ItemFact,
    Like,
    PseudonymKey,
    PurgeReason,
)
from storage.platforms import PlatformSpec

PSEUDONYM_PREFIX = "anon:"
# What replaces a forgotten author's handle in the texts of others.
REMOVED_HANDLE = "@[removed]"
BATCH = 1000
_FINGERPRINT_INPUT = b"replywatch pseudonym key check"


class KeyMismatch(RuntimeError):
    """The privacy key is not the one this database's pseudonyms were made with."""


def is_pseudonym(value: str | None) -> bool:
    return value is not None and value.startswith(PSEUDONYM_PREFIX)


def author_key(author_id: str | None, author_handle: str | None) -> str | None:
    """What tells authors apart: their id, else their handle (as metrics/facts.py does)."""
    if author_id is not None:
        return author_id
    if author_handle:
        return "handle:" + author_handle.strip().lstrip("@").lower()
    return None


@dataclass(frozen=True)
class Pseudonyms:
    """Stable pseudonyms made with the installation's key."""

    key: bytes = field(repr=False)

    def digest(self, platform: str, key: str) -> str:
        """The keyed hash of an author key on a platform (what the erasure list keeps)."""
        message = f"{platform}\x1f{key}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]

    def of(self, platform: str, key: str) -> str:
        """The pseudonym of an author key; a pseudonym stays itself."""
        return key if is_pseudonym(key) else PSEUDONYM_PREFIX + self.digest(platform, key)

    def author(self, platform: str, author_id: str | None, author_handle: str | None) -> str | None:
        key = author_key(author_id, author_handle)
        return None if key is None else self.of(platform, key)

    def digests(self, platform: str, author_id: str | None, author_handle: str | None) -> set[str]:
        """The erasure-list entries an author can be recognised by: id and handle."""
        found = set()
        if author_id is not None and not is_pseudonym(author_id):
            found.add(self.digest(platform, author_id))
        if author_handle:
            found.add(self.digest(platform, author_key(None, author_handle) or ""))
        return found

    @property
    def fingerprint(self) -> str:
        return hmac.new(self.key, _FINGERPRINT_INPUT, hashlib.sha256).hexdigest()


def pseudonyms_in_use(session: Session) -> bool:
    """Whether this database holds pseudonyms (then every writer needs the key)."""
    return session.scalar(select(PseudonymKey.id)) is not None


def check_key(session: Session, pseudonyms: Pseudonyms, now: datetime) -> None:
    """Remember the key's fingerprint on its first use; refuse any other key later."""
    stored = session.scalar(select(PseudonymKey.fingerprint).where(PseudonymKey.id == 1))
    if stored is None:
        dialect = session.get_bind().dialect.name
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(PseudonymKey)
            .values(id=1, fingerprint=pseudonyms.fingerprint, first_used_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        stored = session.scalar(select(PseudonymKey.fingerprint).where(PseudonymKey.id == 1))
    if stored != pseudonyms.fingerprint:
        raise KeyMismatch(
            "the privacy key is not the one this database's pseudonyms were made with; "
            "restore the key file privacy-key from the backup of the data folder, or set "
            "privacy.key_ref to the secret that held it (docs/operators/privacy.md)"
        )


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (the 31st becomes the month's last
    day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _handle_is(column: Any, handle: str) -> ColumnElement[bool]:
    # The same function on both sides: SQLite's LOWER folds ASCII only.
    return func.lower(func.ltrim(column, "@")) == func.lower(handle.strip().lstrip("@"))


# --- writing pseudonyms ---------------------------------------------------------------


def _set_author_ids(session: Session, changes: dict[int, str]) -> None:
    """Give items a pseudonym as author id, in items and in their stored facts.

    The metrics' facts know the author by the same key twice: as ``author_key`` of their
    items, and as ``customer_key`` of the own replies in the thread that answer them; both
    change together, so that a later incremental refresh finds them agreeing.
    """
    rows = sorted(changes.items())
    for chunk in _chunks(rows):
        pseudonyms = dict(chunk)
        facts = session.execute(
            select(
                ItemFact.item_id, ItemFact.platform, ItemFact.thread_key, ItemFact.author_key
            ).where(ItemFact.item_id.in_(list(pseudonyms)))
        ).all()
        session.execute(update(Item), [{"id": i, "author_id": a} for i, a in chunk])
        if not facts:
            continue
        session.execute(
            update(ItemFact),
            [{"item_id": f.item_id, "author_key": pseudonyms[f.item_id]} for f in facts],
        )
        renamed = {
            (f.platform, f.thread_key, f.author_key): pseudonyms[f.item_id]
            for f in facts
            if f.author_key is not None and f.author_key != pseudonyms[f.item_id]
        }
        for (platform, thread, old), pseudonym in sorted(renamed.items()):
            session.execute(
                update(ItemFact)
                .where(
                    ItemFact.platform == platform,
                    ItemFact.thread_key == thread,
                    ItemFact.customer_key == old,
                )
                .values(customer_key=pseudonym)
            )


def _pseudonymise_authors(
    session: Session, groups: dict[tuple[str, str], str], accounts: Sequence[int]
) -> int:
    """Give the pseudonym of (platform, author key) to that author's other items in these
    accounts (one client's: metrics compare authors within a client); returns how many got
    it. The younger ones keep their text and handle until their own time."""
    changes: dict[int, str] = {}
    for platform in sorted({platform for platform, _ in groups}):
        keys = sorted(key for p, key in groups if p == platform)
        ids = [key for key in keys if not key.startswith("handle:")]
        handles = [key.removeprefix("handle:") for key in keys if key.startswith("handle:")]
        for chunk in _chunks(ids):
            query = select(Item.id, Item.author_id).where(
                Item.platform == platform,
                Item.is_own.is_(False),
                Item.author_id.in_(chunk),
                Item.account_id.in_(accounts),
            )
            for row in session.execute(query):
                changes[row.id] = groups[(platform, row.author_id)]
        for handle in handles:  # authors known by handle only: rare, one query each
            query = select(Item.id).where(
                Item.platform == platform,
                Item.is_own.is_(False),
                Item.author_id.is_(None),
                Item.account_id.in_(accounts),
                _handle_is(Item.author_handle, handle),
            )
            for item_id in session.scalars(query):
                changes[item_id] = groups[(platform, "handle:" + handle)]
    _set_author_ids(session, changes)
    return len(changes)


# --- retention ------------------------------------------------------------------------


@dataclass
class ClientPurge:
    """What a purge removed (or, in a dry run, would remove) for one client."""

    client_id: int
    client: str
    retention_months: int
    cutoff: datetime
    items: int = 0  # outsiders' items whose text, handle and link were removed
    likes: int = 0  # likes by outsiders whose liker id and handle were replaced
    related: int = 0  # younger items of the same authors in the same threads: pseudonym only
    # past the cutoff, but their metrics are not computed yet: purged by a later run
    waiting: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.items or self.likes or self.related)


def _client_accounts(session: Session, client_id: int) -> list[int]:
    return list(session.scalars(select(Account.id).where(Account.client_id == client_id)))


def purge_expired(
    session: Session,
    pseudonyms: Pseudonyms | None,
    now: datetime,
    *,
    dry_run: bool = False,
    client_ids: Iterable[int] | None = None,
) -> list[ClientPurge]:
    """Remove outsiders' personal data older than each client's retention period.

    Only items whose facts the metrics have computed are purged (their question flag and
    answer are stored by then); the others are counted as ``waiting``. The caller commits.
    ``pseudonyms`` may be None in a dry run only.
    """
    clients = select(Client).order_by(Client.name)
    if client_ids is not None:
        clients = clients.where(Client.id.in_(list(client_ids)))
    results = []
    for client in session.scalars(clients).all():
        cutoff = months_before(now, client.retention_months)
        result = ClientPurge(client.id, client.name, client.retention_months, cutoff)
        accounts = _client_accounts(session, client.id)
        if accounts:
            _purge_client(session, pseudonyms, now, result, accounts, dry_run)
        results.append(result)
    return results


def _due_items(accounts: Sequence[int], cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        Item.account_id.in_(accounts),
        Item.is_own.is_(False),
        Item.purged_at.is_(None),
        Item.created_at < cutoff,
    )


def _due_likes(accounts: Sequence[int], cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        Like.item_id.in_(select(Item.id).where(Item.account_id.in_(accounts))),
        Like.is_own.is_(False),
        func.coalesce(Like.liked_at, Like.first_seen) < cutoff,
        or_(Like.liker_handle.is_not(None), ~Like.liker_id.startswith(PSEUDONYM_PREFIX)),
    )


def _purge_client(
    session: Session,
    pseudonyms: Pseudonyms | None,
    now: datetime,
    result: ClientPurge,
    accounts: Sequence[int],
    dry_run: bool,
) -> None:
    due = _due_items(accounts, result.cutoff)
    computed = Item.id.in_(select(ItemFact.item_id))
    result.waiting = session.scalar(select(func.count()).where(due, ~computed)) or 0
    if dry_run:
        result.items = session.scalar(select(func.count()).where(due, computed)) or 0
        result.likes = (
            session.scalar(select(func.count()).where(_due_likes(accounts, result.cutoff))) or 0
        )
        return
    assert pseudonyms is not None, "a purge that writes needs the privacy key"
    likes_due = _due_likes(accounts, result.cutoff)
    nothing = select(Item.id).where(due, computed).limit(1)
    if (
        session.scalar(nothing) is None
        and session.scalar(select(Like.id).where(likes_due).limit(1)) is None
    ):
        return  # no key is used (nor its fingerprint stored) before there is work for it
    check_key(session, pseudonyms, now)
    after = -1
    while True:
        rows = session.execute(
            select(
                Item.id, Item.platform, Item.platform_item_id, Item.root_id,
                Item.author_id, Item.author_handle,
            )
            .where(due, computed, Item.id > after)
            .order_by(Item.id)
            .limit(BATCH)
        ).all()  # fmt: skip
        if not rows:
            break
        after = rows[-1].id
        groups: dict[tuple[str, str], str] = {}
        updates = []
        for row in rows:
            key = author_key(row.author_id, row.author_handle)
            pseudonym = None if key is None else pseudonyms.of(row.platform, key)
            if key is not None and pseudonym is not None and not is_pseudonym(key):
                groups[(row.platform, key)] = pseudonym
            updates.append((row.id, pseudonym))
        _erase_items(session, updates, now, PurgeReason.RETENTION)
        result.items += len(rows)
        result.related += _pseudonymise_authors(session, groups, accounts)
    result.likes = _pseudonymise_likes(session, pseudonyms, likes_due)


def _erase_items(
    session: Session, updates: Sequence[tuple[int, str | None]], now: datetime, reason: str
) -> None:
    """Remove text, handle and link of these items; their author ids become the pseudonyms."""
    for chunk in _chunks(list(updates)):
        session.execute(
            update(Item),
            [
                {
                    "id": item_id,
                    "text": "",
                    "author_handle": None,
                    "permalink": None,
                    "purged_at": now,
                    "purge_reason": reason,
                }
                for item_id, _ in chunk
            ],
        )
    _set_author_ids(session, {i: a for i, a in updates if a is not None})


def _pseudonymise_likes(
    session: Session, pseudonyms: Pseudonyms, condition: ColumnElement[bool]
) -> int:
    done = 0
    after = -1
    while True:
        rows = session.execute(
            select(Like.id, Like.liker_id, Item.platform)
            .join(Item, Item.id == Like.item_id)
            .where(condition, Like.id > after)
            .order_by(Like.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return done
        after = rows[-1].id
        session.execute(
            update(Like),
            [
                {
                    "id": row.id,
                    "liker_id": pseudonyms.of(row.platform, row.liker_id),
                    "liker_handle": None,
                }
                for row in rows
            ],
        )
        done += len(rows)


# --- one author: finding, forgetting, exporting ----------------------------------------


@dataclass(frozen=True)
class AuthorMatch:
    """How one author is recognised on a platform: ids, handle, the pseudonyms they got."""

    platform: str
    handle: str  # what was typed, without "@"
    ids: frozenset[str]  # raw ids: the one typed (it may be one) and those found stored
    pseudonyms: frozenset[str]

    def item_condition(self) -> ColumnElement[bool]:
        return and_(
            Item.platform == self.platform,
            Item.is_own.is_(False),
            or_(
                Item.author_id.in_(sorted(self.ids | self.pseudonyms)),
                _handle_is(Item.author_handle, self.handle),
            ),
        )

    def like_condition(self) -> ColumnElement[bool]:
        return and_(
            Like.is_own.is_(False),
            Like.item_id.in_(select(Item.id).where(Item.platform == self.platform)),
            or_(
                Like.liker_id.in_(sorted(self.ids | self.pseudonyms)),
                _handle_is(Like.liker_handle, self.handle),
            ),
        )


def find_author(
    session: Session, pseudonyms: Pseudonyms, platform: str, author: str
) -> AuthorMatch:
    """Everything ``author`` (a handle or an id, as typed) is stored under on ``platform``."""
    typed = author.strip()
    handle = typed.lstrip("@")
    # "@name" is a handle; anything else may be an id as well as a handle.
    ids = {typed} if not (is_pseudonym(typed) or typed.startswith("@")) else set()
    by_handle = (
        select(Item.author_id)
        .where(Item.platform == platform, Item.is_own.is_(False))
        .where(_handle_is(Item.author_handle, handle), Item.author_id.is_not(None))
        .distinct()
    )
    likers = (
        select(Like.liker_id)
        .join(Item, Item.id == Like.item_id)
        .where(Item.platform == platform, Like.is_own.is_(False))
        .where(_handle_is(Like.liker_handle, handle))
        .distinct()
    )
    found = set(session.scalars(by_handle)) | set(session.scalars(likers))
    ids |= {value for value in found if not is_pseudonym(value)}
    keys = ids | {author_key(None, handle) or ""}
    names = {pseudonyms.of(platform, key) for key in keys}
    if is_pseudonym(typed):
        names.add(typed)
    names |= {value for value in found if is_pseudonym(value)}
    return AuthorMatch(platform, handle, frozenset(ids), frozenset(names))


@dataclass
class ForgetResult:
    platform: str
    client: str | None  # None: every client
    items: int = 0  # the author's items: text, handle, link removed, id pseudonymised
    likes: int = 0
    mentions: int = 0  # texts of others in which their handle was replaced
    item_ids: int = 0  # items whose id (or parent, root) contained the author's id
    listed: bool = False  # a new erasure-list entry (False: they were on it already)


def _scope(session: Session, platform: str, client_id: int | None) -> list[int]:
    query = select(Account.id).where(Account.platform == platform)
    if client_id is not None:
        query = query.where(Account.client_id == client_id)
    return list(session.scalars(query))


def forget_author(
    session: Session,
    pseudonyms: Pseudonyms,
    spec: PlatformSpec,
    author: str,
    now: datetime,
    *,
    client: Client | None = None,
) -> ForgetResult:
    """Remove everything personal of one author and put them on the erasure list.

    ``client``: only that client's accounts (the request came to that business); None:
    every client. Items of the own side are never touched. The caller commits.
    """
    check_key(session, pseudonyms, now)
    platform = spec.name
    match = find_author(session, pseudonyms, platform, author)
    accounts = _scope(session, platform, client.id if client else None)
    result = ForgetResult(platform, client.name if client else None)
    in_scope = Item.account_id.in_(accounts)

    rows = session.execute(
        select(Item.id, Item.author_id, Item.author_handle).where(match.item_condition(), in_scope)
    ).all()
    handles = {match.handle} | {row.author_handle.lstrip("@") for row in rows if row.author_handle}
    _erase_items(
        session,
        [(row.id, pseudonyms.author(platform, row.author_id, row.author_handle)) for row in rows],
        now,
        PurgeReason.ERASURE,
    )
    result.items = len(rows)
    result.likes = _pseudonymise_likes(
        session,
        pseudonyms,
        and_(match.like_condition(), Like.item_id.in_(select(Item.id).where(in_scope))),
    )
    result.mentions = _remove_mentions(session, platform, accounts, handles)
    result.item_ids = _rewrite_item_ids(session, pseudonyms, spec, match.ids, accounts)
    result.listed = _list(session, pseudonyms, platform, match, client, now)
    return result


def _remove_mentions(
    session: Session, platform: str, accounts: Sequence[int], handles: set[str]
) -> int:
    """Replace ``@handle`` in the stored texts of these accounts' items by REMOVED_HANDLE."""
    changed = 0
    for handle in sorted(h for h in handles if h):
        pattern = re.compile(rf"(?<![\w@])@{re.escape(handle)}(?![\w@])", re.IGNORECASE)
        rows = session.execute(
            select(Item.id, Item.text).where(
                Item.platform == platform,
                Item.account_id.in_(accounts),
                Item.text.icontains(f"@{handle}", autoescape=True),
            )
        ).all()
        updates = []
        for row in rows:
            text = pattern.sub(REMOVED_HANDLE, row.text)
            if text != row.text:
                updates.append({"id": row.id, "text": text})
        for chunk in _chunks(updates):
            session.execute(update(Item), list(chunk))
        changed += len(updates)
    return changed


def _rewrite_item_ids(
    session: Session,
    pseudonyms: Pseudonyms,
    spec: PlatformSpec,
    ids: Iterable[str],
    accounts: Sequence[int],
) -> int:
    """Item ids that contain the author's id (Bluesky) get their pseudonym instead."""
    if spec.author_in_item_id is None:
        return 0

    def rewrite(value: str | None) -> str | None:
        if value is None:
            return None
        embedded = spec.item_id_author(value)
        if embedded is None or embedded not in ids:
            return value
        return spec.item_id_with_author(value, pseudonyms.of(spec.name, embedded))

    changed = 0
    for author_id in sorted(ids):
        contains = [
            column.contains(author_id, autoescape=True)
            for column in (Item.platform_item_id, Item.parent_id, Item.root_id)
        ]
        rows = session.execute(
            select(Item.id, Item.platform_item_id, Item.parent_id, Item.root_id).where(
                Item.platform == spec.name, Item.account_id.in_(accounts), or_(*contains)
            )
        ).all()
        updates = []
        for row in rows:
            new = {
                "platform_item_id": rewrite(row.platform_item_id),
                "parent_id": rewrite(row.parent_id),
                "root_id": rewrite(row.root_id),
            }
            if new != {"platform_item_id": row.platform_item_id, "parent_id": row.parent_id,
                       "root_id": row.root_id}:  # fmt: skip
                updates.append({"id": row.id, **new})
        for chunk in _chunks(updates):
            session.execute(update(Item), list(chunk))
            facts = session.execute(
                select(ItemFact.item_id, ItemFact.thread_key, ItemFact.top_key).where(
                    ItemFact.item_id.in_([u["id"] for u in chunk])
                )
            ).all()
            if facts:
                session.execute(
                    update(ItemFact),
                    [
                        {
                            "item_id": fact.item_id,
                            "thread_key": rewrite(fact.thread_key),
                            "top_key": rewrite(fact.top_key),
                        }
                        for fact in facts
                    ],
                )
        changed += len(updates)
    return changed


def _list(
    session: Session,
    pseudonyms: Pseudonyms,
    platform: str,
    match: AuthorMatch,
    client: Client | None,
    now: datetime,
) -> bool:
    """Put the author's ids and handle on the erasure list; False if all were on it."""
    digests = {pseudonyms.digest(platform, key) for key in match.ids}
    digests.add(pseudonyms.digest(platform, author_key(None, match.handle) or ""))
    client_id = client.id if client else None
    listed = set(
        session.scalars(
            select(ErasedAuthor.digest).where(
                ErasedAuthor.platform == platform,
                ErasedAuthor.digest.in_(sorted(digests)),
                ErasedAuthor.client_id.is_(None)
                if client_id is None
                else ErasedAuthor.client_id == client_id,
            )
        )
    )
    new = sorted(digests - listed)
    for digest in new:
        session.add(ErasedAuthor(platform=platform, digest=digest, client_id=client_id,
                                 erased_at=now))  # fmt: skip
    session.flush()
    return bool(new)


def erased_digests(session: Session, platform: str, client_id: int) -> frozenset[str]:
    """The erasure-list entries that apply to a client's accounts on a platform."""
    return frozenset(
        session.scalars(
            select(ErasedAuthor.digest).where(
                ErasedAuthor.platform == platform,
                or_(ErasedAuthor.client_id.is_(None), ErasedAuthor.client_id == client_id),
            )
        )
    )


def stored_about(
    session: Session,
    pseudonyms: Pseudonyms,
    platform: str,
    author: str,
    moment: datetime,
) -> dict[str, Any]:
    """Everything stored about one author, as plain values for a JSON export.

    Items and likes under their id, handle or pseudonym, in every client; whether they are
    on the erasure list.
    """
    match = find_author(session, pseudonyms, platform, author)
    accounts = {
        account.id: account
        for account in session.scalars(select(Account).where(Account.platform == platform))
    }
    clients = {client.id: client.name for client in session.scalars(select(Client))}

    def account_of(account_id: int) -> dict[str, Any]:
        account = accounts[account_id]
        return {"account": f"{account.platform}:{account.handle}",
                "client": clients.get(account.client_id)}  # fmt: skip

    items = [
        {
            **account_of(item.account_id),
            "platform_item_id": item.platform_item_id,
            "kind": item.kind,
            "created_at": item.created_at.isoformat(),
            "author_id": item.author_id,
            "author_handle": item.author_handle,
            "text": item.text,
            "permalink": item.permalink,
            "parent_id": item.parent_id,
            "root_id": item.root_id,
            "mentions_account": item.mentions_account,
            "mention_place": item.mention_place,
            "is_question": item.is_question,
            "is_ack_text": item.is_ack_text,
            "like_count": item.like_count,
            "reply_count": item.reply_count,
            "repost_count": item.repost_count,
            "first_seen": item.first_seen.isoformat(),
            "last_seen": item.last_seen.isoformat(),
            "removed_at": item.removed_at.isoformat() if item.removed_at else None,
            "removed_reason": item.removed_reason,
            "purged_at": item.purged_at.isoformat() if item.purged_at else None,
            "purge_reason": item.purge_reason,
        }
        for item in session.scalars(
            select(Item).where(match.item_condition()).order_by(Item.created_at, Item.id)
        )
    ]
    likes = [
        {
            **account_of(item.account_id),
            "liked_item": item.platform_item_id,
            "liker_id": like.liker_id,
            "liker_handle": like.liker_handle,
            "liked_at": like.liked_at.isoformat() if like.liked_at else None,
            "first_seen": like.first_seen.isoformat(),
            "last_seen": like.last_seen.isoformat(),
        }
        for like, item in session.execute(
            select(Like, Item)
            .join(Item, Item.id == Like.item_id)
            .where(match.like_condition())
            .order_by(Like.first_seen, Like.id)
        ).all()
    ]
    digests = {pseudonyms.digest(platform, key) for key in match.ids}
    digests.add(pseudonyms.digest(platform, author_key(None, match.handle) or ""))
    erasures = session.execute(
        select(ErasedAuthor.client_id, func.min(ErasedAuthor.erased_at))
        .where(ErasedAuthor.platform == platform, ErasedAuthor.digest.in_(sorted(digests)))
        .group_by(ErasedAuthor.client_id)
    ).all()
    return {
        "platform": platform,
        "author": author.strip(),
        "exported_at": moment.isoformat(),
        "pseudonyms": sorted(match.pseudonyms),
        "erasure": [
            {
                "client": clients.get(client_id) if client_id else None,
                "forgotten_at": erased_at.isoformat(),
            }
            for client_id, erased_at in erasures
        ],
        "items": items,
        "likes": likes,
    }


__all__ = [
    "PSEUDONYM_PREFIX",
    "REMOVED_HANDLE",
    "AuthorMatch",
    "ClientPurge",
    "ForgetResult",
    "KeyMismatch",
    "Pseudonyms",
    "author_key",
    "check_key",
    "erased_digests",
    "find_author",
    "forget_author",
    "is_pseudonym",
    "months_before",
    "pseudonyms_in_use",
    "purge_expired",
    "stored_about",
]
