"""storage.among: ``column IN ids`` with one array parameter on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event, select

from storage.among import among
from storage.models import Client
from tests.support.factories import add_client


def test_selects_exactly_the_given_ids_on_each_database(session):
    ids = [add_client(session, f"Client {n}").id for n in range(5)]
    session.flush()
    chosen = [ids[0], ids[3], 10**12]  # an id that exists nowhere, beyond 32 bits
    found = session.scalars(select(Client.id).where(among(session, Client.id, chosen))).all()
    assert sorted(found) == [ids[0], ids[3]]
    assert session.scalars(select(Client.id).where(among(session, Client.id, []))).all() == []
    # a generator is read once, like a list
    found = session.scalars(select(Client.id).where(among(session, Client.id, iter(ids[1:3]))))
    assert sorted(found) == ids[1:3]


def test_the_statement_text_does_not_grow_with_the_number_of_ids(session, engine):
    add_client(session)
    session.flush()
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    for count in (3, 3_000):
        session.execute(select(Client.id).where(among(session, Client.id, range(count)))).all()
    small, large = sent[-2:]
    if engine.dialect.name == "postgresql":
        assert small == large and "ANY" in small
    else:
        assert len(large) > len(small)  # SQLite: the usual IN, one parameter per id


def test_a_text_statement_takes_the_ids_as_one_array_on_postgresql(session, engine):
    import pytest

    from storage.among import among_text

    ids = [add_client(session, f"Client {n}").id for n in range(4)]
    session.flush()
    sql = "SELECT id FROM clients WHERE id IN :ids AND name <> :name ORDER BY id"
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    for chosen in ([ids[1], ids[2], 10**12], ids, []):
        statement = among_text(sql, engine.dialect.name, "ids")
        found = session.scalars(statement, {"ids": chosen, "name": "Client 2"}).all()
        assert found == [i for i in sorted(chosen) if i != ids[2] and i in ids]
    if engine.dialect.name == "postgresql":
        assert len(set(sent[-3:])) == 1 and "ANY" in sent[-1]
    else:
        assert len({len(text) for text in sent[-3:]}) == 3
    with pytest.raises(ValueError, match="IN :others"):
        among_text(sql, "postgresql", "others")
