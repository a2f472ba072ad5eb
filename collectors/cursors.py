"""Cursor values that say exactly where a paged, newest-first sweep stands.

X (and Mastodon) timelines page from the newest item backwards and take a ``since_id``.
Storing only ``since_id`` is not crash-safe when a sweep spans pages: if page 1 were
committed together with its newest id as the new ``since_id``, a crash before page 2
would skip pages 2..n forever. A :class:`SinceCursor` therefore keeps, while a sweep is
under way, the old ``since_id``, the newest id the sweep will move it to, and the token of
the next page; only the transaction that commits the last page moves ``since_id``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class SinceCursor:
    since_id: str | None = None  # everything up to this id is stored
    newest_id: str | None = None  # the sweep under way will move since_id here
    next_token: str | None = None  # where the sweep under way continues
    start_time: str | None = None  # first sweep only: how far back it reaches (ISO time)

    @classmethod
    def from_text(cls, text: str | None) -> SinceCursor:
        if not text:
            return cls()
        if not text.startswith("{"):
            return cls(since_id=text)  # a bare id, as written by hand or older versions
        values = json.loads(text)
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    def to_text(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None},
                          separators=(",", ":"))  # fmt: skip

    @property
    def resuming(self) -> bool:
        return self.next_token is not None

    def after_page(self, page_newest: str | None, page_next: str | None) -> SinceCursor:
        """The cursor to commit together with a page's items."""
        sweep_newest = self.newest_id or page_newest
        if page_next:
            return replace(self, newest_id=sweep_newest, next_token=page_next)
        return SinceCursor(since_id=sweep_newest or self.since_id)

    def restarted(self) -> SinceCursor:
        """Forget a sweep under way (its page token was refused) and start it again."""
        return SinceCursor(since_id=self.since_id, start_time=self.start_time)
