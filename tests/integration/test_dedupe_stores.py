"""The dedupe store on SQLite and PostgreSQL: first arrival wins, durably, until purged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fangxin.local.postgres import PostgresServer
from services.intake.dedupe import PostgresSeenStore, SeenStore, SQLiteSeenStore

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    opened: list[SeenStore] = []

    def make() -> SeenStore:
        if request.param == "sqlite":
            store: SeenStore = SQLiteSeenStore(tmp_path / "seen.sqlite")
        else:
            pg: PostgresServer = request.getfixturevalue("postgres")
            database = request.getfixturevalue("pg_database")
            store = PostgresSeenStore(pg.dsn(database))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def test_the_first_arrival_of_a_key_is_recorded_and_returned(open_store):
    store = open_store()

    first = store.claim([(("lab", "1"), "kafka:in:0:7"), (("lab", "2"), "kafka:in:1:3")])

    assert first == {("lab", "1"): "kafka:in:0:7", ("lab", "2"): "kafka:in:1:3"}


def test_within_one_batch_the_earlier_copy_wins(open_store):
    first = open_store().claim([(("lab", "1"), "p1"), (("lab", "1"), "p2")])

    assert first == {("lab", "1"): "p1"}


def test_a_later_claim_gets_the_original_position_even_after_reopening(open_store):
    open_store().claim([(("lab", "1"), "p1")])

    first = open_store().claim([(("lab", "1"), "p9"), (("lab", "3"), "p10")])

    assert first == {("lab", "1"): "p1", ("lab", "3"): "p10"}


def test_purge_forgets_keys_first_seen_before_the_cutoff(open_store):
    store = open_store()
    store.claim([(("lab", "1"), "p1")])

    assert store.purge(datetime.now(UTC) - timedelta(days=1)) == 0
    assert store.purge(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert store.claim([(("lab", "1"), "p2")]) == {("lab", "1"): "p2"}
