"""login counters; user names unique regardless of case

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00

``login_counters`` rows are what simultaneous login attempts on one name or address wait
for, so that each is decided knowing the ones before it (storage/logins.py).

``users.username_key`` is the user name in its canonical form, unique: ``Anna`` and
``anna`` can no longer both exist. Where they already do, the upgrade is refused before
anything is changed, naming the users, so that an operator decides which name changes.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

import storage.types
from storage.migrate import MigrationRefused

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _canonical(name: str) -> str:
    # storage.usernames.canonical_username as of this revision, written out so that this
    # migration keeps doing what it did if that rule ever changes (a later migration would
    # then recompute the keys).
    return name.strip().casefold()[:64]


def _keys_or_refuse(connection: sa.Connection) -> dict[int, str]:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
    rows = connection.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id))
    keys: dict[int, str] = {}
    names: defaultdict[str, list[str]] = defaultdict(list)
    for user_id, username in rows:
        keys[user_id] = _canonical(username)
        names[keys[user_id]].append(username)
    clashes = [group for group in names.values() if len(group) > 1]
    if clashes:
        listed = "; ".join(" and ".join(repr(name) for name in group) for group in clashes)
        raise MigrationRefused(
            "user names are now the same name whatever their case, and these users differ "
            f"only in case: {listed}. Nothing was changed. Give all but one of each a new "
            "name (replywatch user rename OLD NEW) or remove them (replywatch user remove "
            "NAME), then run replywatch db upgrade again"
        )
    return keys


def upgrade() -> None:
    keys = _keys_or_refuse(op.get_bind())
    op.create_table(
        "login_counters",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("last_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_login_counters")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_key", sa.String(length=64), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username_key", sa.String))
    for user_id, key in keys.items():
        op.execute(users.update().where(users.c.id == user_id).values(username_key=key))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("username_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_username_key"), ["username_key"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_username_key"), type_="unique")
        batch_op.drop_column("username_key")
    op.drop_table("login_counters")
