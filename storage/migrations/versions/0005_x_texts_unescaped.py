"""items: X texts as written, not HTML-escaped

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:00:00

The X API v2 sends a tweet's ``text`` with ``&``, ``<`` and ``>`` escaped as ``&amp;``,
``&lt;`` and ``&gt;``, and nothing else escaped. Collectors before this revision stored it
that way; from now on the X record boundary unescapes it once. This migration does the same
to what is stored: exactly once, and only where it is due.

- Only X items collected from the API: items imported from the TWCS data set were already
  unescaped on import; their permalinks (``https://x.com/i/web/status/…``) tell them apart
  from collected ones (``https://x.com/{handle}/status/…``).
- One pass: ``&lt;`` and ``&gt;`` are replaced before ``&amp;``. In an escaped text every
  ``&`` starts one of the three escapes, so this turns ``&amp;lt;`` (a customer who typed
  ``&lt;``) into ``&lt;``, never into ``<``.
- Alembic runs it once per database (``alembic_version``). Its downgrade is its exact
  inverse (escape ``&`` first, then ``<`` and ``>``) over the same items, so a downgrade
  followed by an upgrade leaves every text as it was: it can never unescape twice.

No rollup needs recomputing: the escapes never decide whether an item is a question.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Collected X items; TWCS imports are unescaped already (see above).
_COLLECTED_X = (
    "platform = 'x' AND text LIKE '%&%' "
    "AND (permalink IS NULL OR permalink NOT LIKE 'https://x.com/i/web/status/%')"
)


def upgrade() -> None:
    op.execute(
        "UPDATE items SET text = "
        "REPLACE(REPLACE(REPLACE(text, '&lt;', '<'), '&gt;', '>'), '&amp;', '&') "
        f"WHERE {_COLLECTED_X}"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE items SET text = "
        "REPLACE(REPLACE(REPLACE(text, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') "
        "WHERE platform = 'x' AND (text LIKE '%&%' OR text LIKE '%<%' OR text LIKE '%>%') "
        "AND (permalink IS NULL OR permalink NOT LIKE 'https://x.com/i/web/status/%')"
    )
