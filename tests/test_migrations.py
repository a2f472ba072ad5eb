"""The migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.engine import make_engine
from storage.migrate import current_revision, head_revision, is_up_to_date, upgrade
from storage.models import Base
from storage.types import UTCDateTime
from tests.support.cli import run_main


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
    """0007 empties the derived tables (their columns changed) and marks every day with
    items dirty; 0008 adds the run's private-message count. Items survive; the next
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


def test_0013_marks_every_client_with_rollups_for_one_full_check(empty_url):
    """Clients that lost an account before the trigger existed are found by the first
    refresh after the upgrade, which compares all of them once."""
    from sqlalchemy import text

    engine = make_engine(empty_url)
    upgrade(engine, "0012")
    created = "2026-11-16 09:00:00"
    weeks = sa.Table("client_weeks", sa.MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        for client_id, name in ((1, "Huber"), (2, "Maier"), (3, "Empty")):
            connection.execute(text("INSERT INTO clients (id, name, time_zone, answer_window_hours, "
                                    "response_target_minutes, min_settled, responsive_ratio, "
                                    "partly_responsive_ratio, no_conversation_min_posts, "
                                    "widen_max_weeks, created_at) VALUES (:id, :name, 'UTC', 72, "
                                    "240, 5, 0.9, 0.65, 3, 8, :at)"),
                               {"id": client_id, "name": name, "at": created})  # fmt: skip
        for client_id, week in ((1, 2960), (1, 2961), (2, 2961)):
            row = {c.name: 0 for c in weeks.columns if not c.nullable}
            row.update(client_id=client_id, week=week, computed_at=datetime(2026, 11, 16))
            connection.execute(weeks.insert().values(row))
    upgrade(engine)
    with engine.connect() as connection:
        marked = connection.execute(text("SELECT client_id FROM rollup_dirty_clients")).all()
    assert sorted(row[0] for row in marked) == [1, 2]
    engine.dispose()


def test_0014_drops_the_unused_fact_indexes_and_indexes_the_answer_windows(empty_url):
    """Issue 21.3: two indexes of item_facts that no statement uses go (every refresh
    wrote them); the longest answer window is read from an index. Downgrade restores."""
    from alembic import command

    from storage.migrate import alembic_config

    engine = make_engine(empty_url)

    def indexes(table: str) -> set[str]:
        return {index["name"] for index in sa.inspect(engine).get_indexes(table)}

    upgrade(engine, "0013")
    assert {"ix_item_facts_parent_item", "ix_item_facts_top"} <= indexes("item_facts")
    assert "ix_metric_settings_answer_window" not in indexes("metric_settings")
    upgrade(engine)
    assert indexes("item_facts") == {
        "ix_item_facts_account_week_created",
        "ix_item_facts_thread_author",
        "ix_item_facts_reply_key",
    }
    assert indexes("metric_settings") == {"ix_metric_settings_answer_window"}
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT MAX(answer_window_seconds) FROM metric_settings"
            ).all()
        assert "ix_metric_settings_answer_window" in " ".join(str(row[-1]) for row in plan)
    config = alembic_config(engine)
    command.downgrade(config, "0013")
    assert {"ix_item_facts_parent_item", "ix_item_facts_top"} <= indexes("item_facts")
    assert "ix_metric_settings_answer_window" not in indexes("metric_settings")
    engine.dispose()


def test_x_texts_are_unescaped_once_and_only_for_collected_x_items(empty_url):
    """Issue 14.3: migration 0005 unescapes what collectors stored HTML-escaped from X;
    TWCS imports (already unescaped) and other platforms stay; downgrade + upgrade is a
    round trip, never a second unescape."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import column, select, table
    from sqlalchemy import insert as sa_insert

    from storage.migrate import alembic_config
    from storage.models import Account, Client, Item

    engine = make_engine(empty_url)
    upgrade(engine, "0004")
    stored = {  # platform item id: (platform, permalink, text as stored before 0005)
        "1": ("x", "https://x.com/anna_k/status/1", "Brot &amp; Brezen &lt;3 &gt; alles"),
        "2": ("x", "https://x.com/i/status/2", "wer schreibt &amp;amp; oder &amp;lt; so?"),
        "3": ("x", "https://x.com/i/web/status/3", "TWCS: A & B, &amp; literally"),
        "4": ("mastodon", "https://social.example/@a/4", "Toot &amp; more"),
        "5": ("x", "https://x.com/ben/status/5", "nichts zu tun"),
    }

    def insert(model: type, **values: object):
        # The table as revision 0004 has it: only the columns given, without the Python
        # defaults of columns that later revisions add.
        columns = (column(name) for name in values)
        statement = sa_insert(table(model.__tablename__, *columns)).values(**values)
        return statement.returning(column("id"))

    with engine.begin() as connection:
        client_id = connection.execute(
            insert(Client, name="C", time_zone="UTC", answer_window_hours=72,
                                            response_target_minutes=240, min_settled=5,
                                            responsive_ratio=0.9, partly_responsive_ratio=0.65,
                                            no_conversation_min_posts=3, widen_max_weeks=8,
                                            created_at=datetime(2026, 1, 1, tzinfo=UTC))
        ).scalar_one()  # fmt: skip
        account_id = connection.execute(
            insert(Account, client_id=client_id, platform="x", handle="@c",
                                             active=True, credential_status="unchecked",
                                             collect_interval_minutes=60,
                                             created_at=datetime(2026, 1, 1, tzinfo=UTC))
        ).scalar_one()  # fmt: skip
        moment = datetime(2026, 11, 16, 9, tzinfo=UTC)
        for item_id, (platform, permalink, text) in stored.items():
            connection.execute(insert(Item,
                platform=platform, platform_item_id=item_id, account_id=account_id,
                author_id="9", is_own=False, kind="reply", mentions_account=False,
                created_at=moment, text=text, permalink=permalink, like_count=0,
                reply_count=0, repost_count=0, first_seen=moment, last_seen=moment))  # fmt: skip

    def texts() -> dict[str, str]:
        with engine.connect() as connection:
            rows = connection.execute(select(Item.platform_item_id, Item.text))
            return dict(rows.all())

    upgrade(engine)
    unescaped = {
        "1": "Brot & Brezen <3 > alles",
        "2": "wer schreibt &amp; oder &lt; so?",
        "3": "TWCS: A & B, &amp; literally",
        "4": "Toot &amp; more",
        "5": "nichts zu tun",
    }
    assert texts() == unescaped
    command.downgrade(alembic_config(engine), "0004")
    assert texts() == {item_id: text for item_id, (_, _, text) in stored.items()}
    upgrade(engine)
    assert texts() == unescaped


def _add_user_before_0006(connection: sa.Connection, username: str) -> None:
    users = sa.table(
        "users", sa.column("username"), sa.column("password_hash"), sa.column("role"),
        sa.column("language"), sa.column("created_at", UTCDateTime()),
    )  # fmt: skip
    connection.execute(
        users.insert().values(
            username=username, password_hash="x", role="owner", language="en",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
    )  # fmt: skip


def test_names_differing_only_in_case_stop_the_upgrade_until_one_is_renamed(
    empty_url, monkeypatch, tmp_path, capsys
):
    engine = make_engine(empty_url)
    upgrade(engine, "0005")
    with engine.begin() as connection:
        for name in ("Anna", "anna", "bob"):
            _add_user_before_0006(connection, name)
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", empty_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)

    refused = run_main(capsys, "db", "upgrade")
    assert refused.code == 2
    assert "differ only in case: 'Anna' and 'anna'. Nothing was changed." in refused.err
    assert "replywatch user rename OLD NEW" in refused.err
    assert current_revision(engine) == "0005"
    assert "login_counters" not in inspect(engine).get_table_names()
    assert "username_key" not in {c["name"] for c in inspect(engine).get_columns("users")}

    # The commands the message names work on the database waiting for the upgrade.
    ambiguous = run_main(capsys, "user", "rename", "ANNA", "anna.berger")
    assert ambiguous.code == 2 and "could be 'Anna' and 'anna'" in ambiguous.err
    assert run_main(capsys, "user", "rename", "anna", "anna.berger").code == 0
    upgraded = run_main(capsys, "db", "upgrade")
    assert upgraded.code == 0, upgraded.err
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT username, username_key FROM users ORDER BY id")
        ).all()
    assert [tuple(row) for row in stored] == [
        ("Anna", "anna"), ("anna.berger", "anna.berger"), ("bob", "bob"),
    ]  # fmt: skip
    assert _differences(engine) == []
    engine.dispose()
