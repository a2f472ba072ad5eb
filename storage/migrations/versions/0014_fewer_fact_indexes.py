"""metrics: drop two indexes of item_facts no query uses; index the answer windows

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:00:00

``ix_item_facts_parent_item`` and ``ix_item_facts_top`` date from when the answer rules
ran on item_facts itself; they run on the work table ``rw_facts`` (with its own indexes)
since, and no statement of the project looks item_facts up by parent or top-level
comment. Every fact a refresh writes still updated both: two of the six B-trees its
insert and delete touch, scattered pages that the commit then writes (at 10^6 items the
commit after a refresh of 1,000 new items took 78 ms, 48 ms without them). A rebuild
no longer builds them either.

``ix_metric_settings_answer_window`` lets the longest answer window (which items can
still be waiting) be read from the end of an index instead of from every client week.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_facts") as batch_op:
        batch_op.drop_index("ix_item_facts_parent_item")
        batch_op.drop_index("ix_item_facts_top")
    with op.batch_alter_table("metric_settings") as batch_op:
        batch_op.create_index(
            "ix_metric_settings_answer_window", ["answer_window_seconds"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("metric_settings") as batch_op:
        batch_op.drop_index("ix_metric_settings_answer_window")
    with op.batch_alter_table("item_facts") as batch_op:
        batch_op.create_index("ix_item_facts_top", ["platform", "top_key"], unique=False)
        batch_op.create_index("ix_item_facts_parent_item", ["parent_item"], unique=False)
