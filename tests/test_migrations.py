"""The migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.engine import make_engine
from storage.migrate import current_revision, head_revision, is_up_to_date, upgrade
from storage.models import Base


def _differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("empty_postgres_url")


def test_migrations_produce_the_models_schema(empty_url):
    engine = make_engine(empty_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert is_up_to_date(engine)
    assert _differences(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_autogenerate_would_notice_a_missing_column(empty_url):
    """The comparison can fail: drop a column behind alembic's back and it is reported."""
    engine = make_engine(empty_url)
    upgrade(engine)
    from alembic.operations import Operations

    with engine.begin() as connection:
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("identities") as batch:
            batch.drop_column("label")
    differences = _differences(engine)
    assert any(d[0] == "add_column" and d[3].name == "label" for d in differences)
    engine.dispose()


def test_upgrade_twice_changes_nothing(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine)
    upgrade(engine)
    assert _differences(engine) == []
    engine.dispose()


def test_version_2_of_the_metrics_recomputes_all_history_after_the_upgrade(empty_url):
    """0005 empties the derived tables (their columns changed) and marks every day with
    items dirty; 0006 adds the run's private-message count. Items survive; the next
    refresh computes every fact by the version 2 rules."""
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from metrics import api

    engine = make_engine(empty_url)
    upgrade(engine, "0004")
    created = "2026-11-16 09:00:00"
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO clients (id, name, time_zone, answer_window_hours, "
                                "response_target_minutes, min_settled, responsive_ratio, "
                                "partly_responsive_ratio, no_conversation_min_posts, "
                                "widen_max_weeks, created_at) VALUES (1, 'Huber', 'UTC', 72, "
                                "240, 5, 0.9, 0.65, 3, 8, :at)"), {"at": created})  # fmt: skip
        connection.execute(text("INSERT INTO accounts (id, client_id, platform, handle, active, "
                                "credential_status, collect_interval_minutes, created_at) VALUES "
                                "(1, 1, 'x', '@huber', TRUE, 'ok', 60, :at)"), {"at": created})  # fmt: skip
        for number, (author, own, parent) in enumerate(
            (("100", True, None), ("901", False, "1"), ("100", True, "2")), start=1
        ):
            connection.execute(
                text(
                    "INSERT INTO items (platform, platform_item_id, account_id, author_id, "
                    "author_handle, is_own, kind, mentions_account, parent_id, root_id, "
                    "created_at, text, like_count, reply_count, repost_count, first_seen, "
                    "last_seen) VALUES ('x', :id, 1, :author, :author, :own, :kind, FALSE, "
                    ":parent, '1', :at, 'Danke!', 0, 0, 0, :at, :at)"
                ),
                {"id": str(number), "author": author, "own": own, "parent": parent, "at": created,
                 "kind": "post" if parent is None else "reply"},
            )  # fmt: skip
    upgrade(engine)
    with Session(engine) as session:
        dirty = session.execute(text("SELECT COUNT(*) FROM rollup_dirty")).scalar_one()
        assert dirty == 1  # one account, one day
        assert session.execute(text("SELECT private_skipped FROM collection_runs")).all() == []
        result = api.refresh(session, now=datetime(2026, 12, 1, tzinfo=UTC))
        session.commit()
        assert result.items == 3 and result.answered == 1
    engine.dispose()
