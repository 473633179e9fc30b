"""What a read model's tables hold, as one SHA-256 (is a rebuilt generation equal to the live
one?), and which tables a read model's DDL creates (what dropping a generation removes)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

_CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\S+?)\s*\(")


def created_tables(create: Iterable[str]) -> dict[str, str]:
    """``{table: qualified name}`` of the tables a list of DDL statements creates."""
    found = (_CREATE_TABLE.match(statement) for statement in create)
    return {m.group(1).rsplit(".", 1)[-1]: m.group(1) for m in found if m}


def digest_rows(datastore: Any, selects: Mapping[str, str]) -> str:
    """SHA-256 of every row of every table (``{table: SELECT * ...}``), in a canonical order;
    the schema a generation lives in is not part of it."""
    digest = hashlib.sha256()
    with datastore.transaction(commit=False) as curs:
        for table, sql in sorted(selects.items()):
            curs.execute(sql)
            lines = sorted(json.dumps(dict(r), sort_keys=True, default=str)
                           for r in curs.fetchall())
            digest.update(f"{table}:{len(lines)}\n".encode())
            for line in lines:
                digest.update(line.encode() + b"\n")
    return digest.hexdigest()


class TableDigest:
    """``digest()`` of a view whose ``sql.create`` lists its DDL."""

    sql: Any
    datastore: Any

    def digest(self) -> str:
        """SHA-256 of every row of every table of this read model (rebuild = live?)."""
        tables = created_tables(self.sql.create)
        selects = {table: f"SELECT * FROM {qualified}"  # noqa: S608 - names from our DDL
                   for table, qualified in tables.items()}
        return digest_rows(self.datastore, selects)
