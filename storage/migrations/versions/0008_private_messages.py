"""private messages: counted per collection run, never stored

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:30:00

Collectors drop private messages (Mastodon ``visibility: direct``) before they reach
storage and count them on the run (``private_skipped``).

Deleting the ones stored before: they cannot be told apart. Mastodon's ``visibility`` was
never stored, and a direct status looks like any public mention or reply in every column
we kept (kind, text, parent, link). Instead of guessing, this migration deletes nothing
and the collector deletes a stored item as soon as the platform shows it again as private
(``storage.upsert.forget_items``): in a thread it reads again, or, for the account's own
direct replies, on the newest page of its statuses.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("private_skipped", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.drop_column("private_skipped")
