"""privacy: retention per client, purged items, the erasure list, the pseudonym key check

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00

- ``clients.retention_months`` (13 for every existing client): after it, outsiders'
  texts, names and handles are removed (``replywatch privacy purge``, daily in the service).
- ``items.purged_at`` / ``items.purge_reason``: which items that happened to, and why;
  an index on (platform, author_id) to find an author's items.
- ``erased_authors``: keyed hashes of the authors who asked to be forgotten.
- ``pseudonym_keys``: the fingerprint of the key that made the pseudonyms.
- ``privacy_events``: what each purge, erasure and export did (counts, never whose data).

Nothing stored changes: existing items are purged by the first purge after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_months", sa.Integer(), server_default="13", nullable=False)
        )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purged_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("purge_reason", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_items_platform_author", ["platform", "author_id"], unique=False)
    op.create_table(
        "erased_authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("erased_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_erased_authors_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_authors")),
    )
    with op.batch_alter_table("erased_authors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erased_authors_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            "ix_erased_authors_platform_digest", ["platform", "digest"], unique=False
        )
    op.create_table(
        "pseudonym_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("first_used_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pseudonym_keys")),
    )
    op.create_table(
        "privacy_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("happened_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("client_name", sa.String(length=200), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_privacy_events_client_id_clients"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_events")),
    )
    with op.batch_alter_table("privacy_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_events_happened_at"), ["happened_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("privacy_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_events_happened_at"))
    op.drop_table("privacy_events")
    op.drop_table("pseudonym_keys")
    with op.batch_alter_table("erased_authors", schema=None) as batch_op:
        batch_op.drop_index("ix_erased_authors_platform_digest")
        batch_op.drop_index(batch_op.f("ix_erased_authors_client_id"))
    op.drop_table("erased_authors")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not batch mode: batch mode copies
    # and drops the table, and with foreign keys on, dropping ``clients`` deletes every
    # account and item through ON DELETE CASCADE.
    op.drop_index("ix_items_platform_author", table_name="items")
    op.drop_column("items", "purge_reason")
    op.drop_column("items", "purged_at")
    op.drop_column("clients", "retention_months")
