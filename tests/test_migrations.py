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
