"""The privacy boundary: every batch a collector commits passes here before storage.

``RunContext.commit`` calls :meth:`PrivacyBoundary.apply` inside the batch's transaction,
for every platform alike, so that nothing a collector hands over reaches the database
unless it may be kept (storage/privacy.py explains the rules):

- **The erasure list.** An item by a forgotten author arrives without text, handle and
  link, under the author's pseudonym, marked purged; a like by one, under the pseudonym
  and without a handle. Item ids that contain a forgotten author's id (Bluesky's
  ``at://DID/…``) carry the pseudonym instead, wherever the batch names them: items,
  parents, roots, likes, removals, thread views.
- **Pseudonyms already given.** An author whose items carry a pseudonym (a retention
  purge gave it to them) gets it for their new items too, so that their author keys
  agree; a liker whose like on an item was pseudonymised keeps it.

While the database holds no pseudonym at all (nothing purged or forgotten yet) the batch
passes unchanged and the installation's key is never asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.errors import CollectionError
from storage.models import Account, Item, Like, PurgeReason
from storage.platforms import PLATFORMS
from storage.privacy import (
    KeyMismatch,
    Pseudonyms,
    check_key,
    erased_digests,
    is_pseudonym,
    pseudonyms_in_use,
)
from storage.records import ItemRecord, LikeRecord

if TYPE_CHECKING:
    from collectors.contract import Batch

# Returns the installation's privacy key (replywatch.privacy_key); called at most once a run.
KeySource = Callable[[], bytes]


class PrivacyKeyMissing(CollectionError):
    """The database holds pseudonyms, and this run cannot make matching ones."""


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class PrivacyBoundary:
    """Applies the erasure list and the given pseudonyms to one account's batches."""

    def __init__(self, platform: str, client_id: int, now: datetime, key: KeySource | None) -> None:
        self.platform = platform
        self.client_id = client_id
        self.now = now
        self._key = key
        self._pseudonyms: Pseudonyms | None = None
        self._spec = PLATFORMS.get(platform)

    def _load(self, session: Session) -> Pseudonyms:
        if self._pseudonyms is None:
            if self._key is None:
                raise PrivacyKeyMissing(
                    "the database holds pseudonymised authors, and this collection was "
                    "started without the privacy key to recognise them"
                )
            pseudonyms = Pseudonyms(self._key())
            try:
                check_key(session, pseudonyms, self.now)
            except KeyMismatch as exc:
                raise PrivacyKeyMissing(str(exc)) from None
            self._pseudonyms = pseudonyms
        return self._pseudonyms

    def apply(self, session: Session, batch: Batch) -> Batch:
        """The batch as it may be stored."""
        if not pseudonyms_in_use(session):
            return batch
        pseudonyms = self._load(session)
        erased = erased_digests(session, self.platform, self.client_id)
        rewrite = self._id_rewriter(pseudonyms, erased)
        items = [self._item(pseudonyms, erased, rewrite, record) for record in batch.items]
        items = self._given_pseudonyms(session, pseudonyms, items)
        likes = self._likes(session, pseudonyms, erased, rewrite, batch.likes)
        return replace(
            batch,
            items=items,
            likes=likes,
            removed=[rewrite(value) for value in batch.removed],
            private=[rewrite(value) for value in batch.private],
            roots={rewrite(key): rewrite(value) for key, value in batch.roots.items()},
            threads=[
                replace(
                    thread,
                    root_id=rewrite(thread.root_id),
                    seen_ids=frozenset(rewrite(value) for value in thread.seen_ids),
                )
                for thread in batch.threads
            ],
        )

    # --- ids ---------------------------------------------------------------------------

    def _id_rewriter(self, pseudonyms: Pseudonyms, erased: frozenset[str]) -> Callable[..., str]:
        spec = self._spec
        if spec is None or spec.author_in_item_id is None or not erased:
            return lambda value: value

        def rewrite(value: str) -> str:
            embedded = spec.item_id_author(value)
            if embedded is None or is_pseudonym(embedded):
                return value
            if pseudonyms.digest(self.platform, embedded) not in erased:
                return value
            return spec.item_id_with_author(value, pseudonyms.of(self.platform, embedded))

        return rewrite

    # --- items ---------------------------------------------------------------------------

    def _item(
        self,
        pseudonyms: Pseudonyms,
        erased: frozenset[str],
        rewrite: Callable[[str], str],
        record: ItemRecord,
    ) -> ItemRecord:
        record = replace(
            record,
            platform_item_id=rewrite(record.platform_item_id),
            parent_id=None if record.parent_id is None else rewrite(record.parent_id),
            root_id=None if record.root_id is None else rewrite(record.root_id),
        )
        if record.is_own:
            return record
        if not pseudonyms.digests(self.platform, record.author_id, record.author_handle) & erased:
            return record
        return replace(
            record,
            author_id=pseudonyms.author(self.platform, record.author_id, record.author_handle),
            author_handle=None,
            text="",
            permalink=None,
            purged=PurgeReason.ERASURE,
        )

    def _given_pseudonyms(
        self, session: Session, pseudonyms: Pseudonyms, items: list[ItemRecord]
    ) -> list[ItemRecord]:
        """New items of authors who carry a pseudonym in this client already get it too
        (metrics compare authors within a client; ``forget --client`` names one)."""
        wanted: dict[int, str] = {}  # index -> pseudonym
        for index, record in enumerate(items):
            if record.is_own or is_pseudonym(record.author_id):
                continue
            pseudonym = pseudonyms.author(self.platform, record.author_id, record.author_handle)
            if pseudonym is not None:
                wanted[index] = pseudonym
        if not wanted:
            return items
        given: set[str] = set()
        for chunk in _chunks(sorted(set(wanted.values()))):
            given |= set(
                session.scalars(
                    select(Item.author_id)
                    .join(Account, Account.id == Item.account_id)
                    .where(
                        Item.platform == self.platform,
                        Item.author_id.in_(chunk),
                        Account.client_id == self.client_id,
                    )
                    .distinct()
                )
            )
        mapped = list(items)
        for index, pseudonym in wanted.items():
            if pseudonym in given:
                mapped[index] = replace(items[index], author_id=pseudonym)
        return mapped

    # --- likes ---------------------------------------------------------------------------

    def _likes(
        self,
        session: Session,
        pseudonyms: Pseudonyms,
        erased: frozenset[str],
        rewrite: Callable[[str], str],
        likes: Sequence[LikeRecord],
    ) -> list[LikeRecord]:
        mapped = []
        for record in likes:
            record = replace(record, item_platform_id=rewrite(record.item_platform_id))
            if not record.is_own and (
                pseudonyms.digests(self.platform, record.liker_id, record.liker_handle) & erased
            ):
                record = replace(
                    record,
                    liker_id=pseudonyms.of(self.platform, record.liker_id),
                    liker_handle=None,
                )
            mapped.append(record)
        wanted = {
            index: pseudonyms.of(self.platform, record.liker_id)
            for index, record in enumerate(mapped)
            if not record.is_own and not is_pseudonym(record.liker_id)
        }
        if not wanted:
            return mapped
        liked = sorted({mapped[index].item_platform_id for index in wanted})
        names = sorted(set(wanted.values()))
        given: set[tuple[str, str]] = set()
        for chunk in _chunks(liked):
            rows = session.execute(
                select(Item.platform_item_id, Like.liker_id)
                .join(Like, Like.item_id == Item.id)
                .where(
                    Item.platform == self.platform,
                    Item.platform_item_id.in_(chunk),
                    Like.liker_id.in_(names),
                )
            )
            given |= {(row.platform_item_id, row.liker_id) for row in rows}
        for index, pseudonym in wanted.items():
            if (mapped[index].item_platform_id, pseudonym) in given:
                mapped[index] = replace(mapped[index], liker_id=pseudonym, liker_handle=None)
        return mapped


__all__ = ["KeySource", "PrivacyBoundary", "PrivacyKeyMissing"]
