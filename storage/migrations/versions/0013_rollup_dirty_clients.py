"""metrics: a mark for clients that lost an account, written by a trigger

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 22:00:00

A deleted account takes its rollups with it while its client's weeks still count them.
The refresh used to find such client weeks by comparing every client week with the sum
of its account weeks, on every refresh (50 ms at 10^6 items, growing with the history).
Now a trigger on ``accounts`` marks the client in ``rollup_dirty_clients`` whenever an
account row is deleted, however it is deleted, and the refresh compares that client's
weeks only. Every client with rollups is marked once here, so the first refresh after
the upgrade checks them all as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Every client with rollups: the first refresh after the upgrade compares all of them
# once, as every refresh did before.
_CHECK_ONCE = (
    "INSERT INTO rollup_dirty_clients (client_id) SELECT DISTINCT client_id FROM client_weeks"
)


def upgrade() -> None:
    op.create_table(
        "rollup_dirty_clients",
        sa.Column("client_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_rollup_dirty_clients")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
CREATE FUNCTION rollup_dirty_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_dirty_clients (client_id) VALUES (OLD.client_id) ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$"""
        )
        op.execute(
            "CREATE TRIGGER accounts_mark_client AFTER DELETE ON accounts "
            "FOR EACH ROW EXECUTE FUNCTION rollup_dirty_client()"
        )
    else:
        op.execute(
            "CREATE TRIGGER accounts_mark_client AFTER DELETE ON accounts BEGIN "
            "INSERT OR IGNORE INTO rollup_dirty_clients (client_id) VALUES (OLD.client_id); "
            "END"
        )
    op.execute(_CHECK_ONCE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS accounts_mark_client ON accounts")
        op.execute("DROP FUNCTION IF EXISTS rollup_dirty_client()")
    else:
        op.execute("DROP TRIGGER IF EXISTS accounts_mark_client")
    op.drop_table("rollup_dirty_clients")
