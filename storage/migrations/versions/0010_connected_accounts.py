"""connected accounts: sealed tokens, per-instance app registrations, connects in progress

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00.000000

Accounts whose owners connect them through the platform's consent screen keep their
tokens in ``connections`` (encrypted; the key is a file outside the database), the
Mastodon app registrations per instance in ``oauth_apps`` and each connect in progress in
``connect_flows`` (only the SHA-256 of its ``state``). Accounts with a ``credentials_ref``
are not touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("connected_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("connected_by", sa.Integer(), nullable=True),
        sa.Column("access_expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"],
            name=op.f("fk_connections_account_id_accounts"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connected_by"], ["users.id"],
            name=op.f("fk_connections_connected_by_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_connections")),
    )  # fmt: skip
    op.create_table(
        "oauth_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("server", sa.String(length=300), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=300), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_apps")),
        sa.UniqueConstraint(
            "platform", "server", "redirect_uri",
            name=op.f("uq_oauth_apps_platform_server_redirect_uri"),
        ),
    )  # fmt: skip
    op.create_table(
        "connect_flows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("holder_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("server", sa.String(length=300), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"],
            name=op.f("fk_connect_flows_client_id_clients"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_connect_flows_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connect_flows")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_connect_flows_state_hash")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("connect_flows")
    op.drop_table("oauth_apps")
    op.drop_table("connections")
