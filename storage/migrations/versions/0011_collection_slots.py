"""service: collection slots shared by several processes on one PostgreSQL

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:40:00

``collection_slots``: one row per account that the service has scheduled; an open slot
(``opened_at``) is a due collection that any ``replywatch run`` on the database may take,
claimed by locking the row (``SELECT … FOR UPDATE SKIP LOCKED``) for the collection.
Rows are made when the scheduler first opens an account's slot; nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_slots",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "opened_after_run",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_collection_slots_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_collection_slots")),
    )
    with op.batch_alter_table("collection_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_slots_opened_at"), ["opened_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("collection_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_slots_opened_at"))
    op.drop_table("collection_slots")
