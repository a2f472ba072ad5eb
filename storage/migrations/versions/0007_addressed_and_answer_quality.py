"""who is addressed (version 2), acknowledgments and answer quality

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00

Items get where they mention the account (``mention_place``) and three classifications
metrics fill in like ``is_question``. The derived tables (``item_facts`` and the weekly
rollups) get the new roles and counts; they are emptied here and every day that has
items is marked dirty, so the next ``replywatch metrics refresh`` (or the service's)
computes all history by the version 2 rules. Items, likes, settings in force and
everything collected stay as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_WEEK_TABLES = ("account_weeks", "client_weeks")
_WEEK_COLUMNS = (
    "acknowledgments",
    "customer_conversation",
    "answering_replies",
    "redirect_replies",
    "template_replies",
    "substantive_answered",
)
_FACT_FLAGS = ("ack_text", "redirect", "template", "answering", "substantive")


def _clear_derived() -> None:
    for table in ("item_facts", "hour_counts", *_WEEK_TABLES):
        op.execute(f"DELETE FROM {table}")


def _mark_everything_dirty() -> None:
    """Every (account, UTC day) with items: the next refresh recomputes them all."""
    day = (
        "date(created_at)"
        if op.get_bind().dialect.name == "sqlite"
        else "CAST(created_at AT TIME ZONE 'UTC' AS DATE)"
    )
    op.execute("DELETE FROM rollup_dirty")
    op.execute(
        f"INSERT INTO rollup_dirty (account_id, day) SELECT DISTINCT account_id, {day} FROM items"
    )


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mention_place", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("is_ack_text", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("is_redirect", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("reply_key", sa.BigInteger(), nullable=True))
    _clear_derived()
    # Emptied first: the new columns are NOT NULL, and SQLite copies the (empty) tables.
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("item_facts", schema=None, recreate=recreate) as batch_op:
        batch_op.alter_column(
            "role", existing_type=sa.String(length=12), type_=sa.String(length=16)
        )
        for name in _FACT_FLAGS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column("reply_key", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("customer_key", sa.String(length=300), nullable=True))
        batch_op.create_index(
            "ix_item_facts_reply_key",
            ["client_id", "reply_key", "created_us"],
            unique=False,
            sqlite_where=sa.text("reply_key IS NOT NULL"),
            postgresql_where=sa.text("reply_key IS NOT NULL"),
        )
    for table in _WEEK_TABLES:
        with op.batch_alter_table(table, schema=None, recreate=recreate) as batch_op:
            for name in _WEEK_COLUMNS:
                batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False))
    _mark_everything_dirty()


def downgrade() -> None:
    _clear_derived()
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    for table in _WEEK_TABLES:
        with op.batch_alter_table(table, schema=None, recreate=recreate) as batch_op:
            for name in _WEEK_COLUMNS:
                batch_op.drop_column(name)
    with op.batch_alter_table("item_facts", schema=None, recreate=recreate) as batch_op:
        batch_op.drop_index("ix_item_facts_reply_key")
        for name in (*_FACT_FLAGS, "reply_key", "customer_key"):
            batch_op.drop_column(name)
        batch_op.alter_column(
            "role", existing_type=sa.String(length=16), type_=sa.String(length=12)
        )
    with op.batch_alter_table("items", schema=None) as batch_op:
        for name in ("reply_key", "is_redirect", "is_ack_text", "mention_place"):
            batch_op.drop_column(name)
    _mark_everything_dirty()
