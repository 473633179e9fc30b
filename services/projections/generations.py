"""Generations of the rebuildable read models: where each lives and which one is in force.

Generation 0 is where a read model has always lived: the service's own schema (PostgreSQL) or
``projections.sqlite``. A rebuild writes generation *n* + 1 into a place of its own, a schema
``<schema>_<model>_g<n>`` or a file ``projections.<model>.g<n>.sqlite``, and records the switch
in ``projection_generation`` (in the service's own store) so a restart opens the generation in
force. Dropping a generation removes its schema or file; for generation 0, its tables and its
positions.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, cast

from eventsourcing.persistence import InfrastructureFactory

from services.platform.sqlviews import PostgresView, SQLiteView, dialect
from services.projections.digests import created_tables
from services.projections.settings import ProjectionsSettings

SQLITE_FILE = "projections.sqlite"
_CREATE = ("CREATE TABLE IF NOT EXISTS {s}projection_generation (read_model TEXT PRIMARY KEY,"
           " generation INTEGER NOT NULL)",)
_RECORD = ("INSERT INTO {s}projection_generation VALUES (%(read_model)s, %(generation)s)"
           " ON CONFLICT (read_model) DO UPDATE SET generation = excluded.generation")
_SELECT = "SELECT read_model, generation FROM {s}projection_generation"


def sqlite_path(settings: ProjectionsSettings, model: str, generation: int) -> Path:
    name = SQLITE_FILE if generation == 0 else f"projections.{model}.g{generation}.sqlite"
    return settings.sqlite_dir / name


def schema_name(settings: ProjectionsSettings, model: str, generation: int) -> str:
    base = settings.postgres_schema
    return base if generation == 0 else f"{base}_{model}_g{generation}"


def location_env(settings: ProjectionsSettings, model: str, generation: int) -> dict[str, str]:
    """The eventsourcing ``env=`` of a read model's generation."""
    env = settings.eventsourcing_env(SQLITE_FILE)
    if settings.persistence == "sqlite":
        return {**env, "SQLITE_DBNAME": str(sqlite_path(settings, model, generation))}
    return {**env, "POSTGRES_SCHEMA": schema_name(settings, model, generation)}


class _Statements:
    def __init__(self, schema_prefix: str, *, sqlite: bool) -> None:
        def fmt(sql: str) -> str:
            return dialect(sql, schema_prefix=schema_prefix, sqlite=sqlite)

        self.create = [fmt(sql) for sql in _CREATE]
        self.record = fmt(_RECORD)
        self.select = fmt(_SELECT)


class _Generations:
    """Shared by both stores: which generation of each read model is in force."""

    sql: _Statements
    datastore: Any
    settings: ProjectionsSettings

    def in_force(self) -> dict[str, int]:
        """Read model -> its generation in force (absent: 0)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql.select)
            return {r["read_model"]: int(r["generation"]) for r in curs.fetchall()}

    def record(self, generations: dict[str, int]) -> None:
        """Put these generations in force (one transaction)."""
        with self.datastore.transaction(commit=True) as curs:
            for model, generation in sorted(generations.items()):
                curs.execute(self.sql.record, {"read_model": model, "generation": generation})

    def _drop_generation_zero(self, model: str, view: Any, tracking_table: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for qualified in created_tables(view.sql.create).values():
                curs.execute(f"DROP TABLE IF EXISTS {qualified}")
            curs.execute(f"DELETE FROM {tracking_table} WHERE application_name LIKE"  # noqa: S608
                         f" '{model}:%'")


class SQLiteGenerations(_Generations, SQLiteView):
    """Generations on SQLite: one file per read model and generation above 0."""

    statements = _Statements

    def prepare(self, model: str, generation: int) -> None:
        """Make an empty place for a new generation (a leftover of a failed rebuild goes)."""
        _unlink(sqlite_path(self.settings, model, generation))

    def drop(self, model: str, generation: int, view: Any) -> None:
        """Remove a generation no longer in force; ``view`` is its (last) view."""
        view.datastore.close()
        if generation == 0:
            self._drop_generation_zero(model, view, "tracking")
        else:
            _unlink(sqlite_path(self.settings, model, generation))


class PostgresGenerations(_Generations, PostgresView):
    """Generations on PostgreSQL: one schema per read model and generation above 0."""

    statements = _Statements

    def prepare(self, model: str, generation: int) -> None:
        schema = schema_name(self.settings, model, generation)
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            curs.execute(f'CREATE SCHEMA "{schema}"')

    def drop(self, model: str, generation: int, view: Any) -> None:
        view.datastore.close()
        if generation == 0:
            base = self.settings.postgres_schema
            self._drop_generation_zero(model, view, f'"{base}"."{view.tracking_table_name}"')
        else:
            schema = schema_name(self.settings, model, generation)
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _unlink(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


Generations = SQLiteGenerations | PostgresGenerations


def open_generations(settings: ProjectionsSettings) -> Generations:
    """The service's own store of generations (in generation 0's place)."""
    cls = SQLiteGenerations if settings.persistence == "sqlite" else PostgresGenerations
    store = cast("Generations", InfrastructureFactory.construct(
        settings.eventsourcing_env(SQLITE_FILE)).tracking_recorder(cls))
    store.settings = settings
    return store
