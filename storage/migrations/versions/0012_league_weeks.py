"""metrics: the portfolio's league table stored per client and week

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:30:00

``league_weeks``: the lines of the consultant's league table (a client and each of its
accounts) for the recent ISO weeks, written by the metrics refresh so that the portfolio
reads them instead of computing hundreds of subjects per request. Nothing existing
changes; the table fills at the next refresh or rebuild, and until then the portfolio
computes its lines as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "league_weeks",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("verdict", sa.String(length=24), nullable=False),
        sa.Column("response_ratio", sa.Float(), nullable=True),
        sa.Column("ratio_low", sa.Float(), nullable=True),
        sa.Column("ratio_high", sa.Float(), nullable=True),
        sa.Column("response_median_us", sa.BigInteger(), nullable=True),
        sa.Column("dialogue_share", sa.Float(), nullable=True),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("previous_response_ratio", sa.Float(), nullable=True),
        sa.Column("verdict_weeks", sa.Integer(), nullable=False),
        sa.Column("substantive_ratio", sa.Float(), nullable=True),
        sa.Column("redirect_share", sa.Float(), nullable=True),
        sa.Column("template_share", sa.Float(), nullable=True),
        sa.Column("hollow", sa.Boolean(), nullable=False),
        sa.Column("accounts_key", sa.Text(), nullable=False),
        sa.Column("computed_us", sa.BigInteger(), nullable=False),
        sa.Column("valid_until_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_league_weeks_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "week", "account_id", name=op.f("pk_league_weeks")),
    )


def downgrade() -> None:
    op.drop_table("league_weeks")
