"""The syncer's own memory, in SQLite: links, what each linked pair last agreed on, indexes of both
sides for duplicate checks, checkpoints for incremental runs, and write-ahead intents.

An intent is recorded before every create and cleared when the link is recorded. A run killed
in between leaves the intent behind, and the next run looks for the record the create may have
made before it creates again: a resumed run makes no duplicates.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

_LINK_COLUMNS = "crm_module, crm_id, books_id, person_id, agreed, books_record, books_modified"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    sync TEXT, crm_module TEXT, crm_id TEXT, books_id TEXT, person_id TEXT,
    agreed BLOB, books_record BLOB, books_modified TEXT,
    PRIMARY KEY (sync, crm_module, crm_id)
);
CREATE INDEX IF NOT EXISTS links_by_books ON links (sync, books_id);
CREATE TABLE IF NOT EXISTS books_index (
    kind TEXT, books_id TEXT, match_key TEXT, sku TEXT, created TEXT, modified TEXT,
    PRIMARY KEY (kind, books_id)
);
CREATE TABLE IF NOT EXISTS crm_index (
    crm_module TEXT, crm_id TEXT, match_key TEXT, sku TEXT, PRIMARY KEY (crm_module, crm_id)
);
CREATE TABLE IF NOT EXISTS checkpoints (sync TEXT PRIMARY KEY, crm_read_at TEXT, books_read_at TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS intents (
    sync TEXT, side TEXT, source_id TEXT, match_key TEXT, started TEXT, PRIMARY KEY (sync, side, source_id)
);
"""


@dataclass(frozen=True)
class Link:
    crm_module: str
    crm_id: str
    books_id: str
    person_id: str | None
    agreed: dict[str, Any]
    books_record: dict[str, Any] | None
    books_modified: str | None


@dataclass(frozen=True)
class Indexed:
    """A record of the other side, as the duplicate check needs it."""

    record_id: str
    match_key: str
    sku: str
    created: str = ""


@dataclass(frozen=True)
class Checkpoint:
    crm_read_at: datetime | None
    books_read_at: datetime | None


@dataclass(frozen=True)
class Intent:
    side: str
    source_id: str
    match_key: str
    started: datetime


class SyncState:
    def __init__(self, path: str | Path = ":memory:") -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Each link is its own transaction (a killed run keeps what it wrote); in WAL mode NORMAL
        # keeps them through a crash of the process without an fsync per commit.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def copy_of(cls, path: str | Path) -> SyncState:
        """An in-memory copy of the state file at ``path`` (empty when there is none): a dry run
        plans on it, so the file stays exactly as it was."""
        state = cls()
        if not Path(path).exists():
            return state
        with tempfile.TemporaryDirectory() as folder:  # SQLite would add -wal/-shm beside the file
            copy = Path(folder) / "state.sqlite3"
            for suffix in ("", "-wal"):
                if Path(f"{path}{suffix}").exists():
                    shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
            source = sqlite3.connect(copy)
            try:
                source.backup(state._db)
            finally:
                source.close()
        return state

    def close(self) -> None:
        self._db.close()

    # ---- links ----------------------------------------------------------------------------

    def link(self, sync: str, crm_module: str, crm_id: str) -> Link | None:
        row = self._db.execute(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE sync=? AND crm_module=? AND crm_id=?",
            (sync, crm_module, crm_id),
        ).fetchone()
        return _link(row) if row else None

    def links(self, sync: str, crm_module: str | None = None) -> Iterator[Link]:
        query = f"SELECT {_LINK_COLUMNS} FROM links WHERE sync=?"
        args: tuple[str, ...] = (sync,)
        if crm_module:
            query += " AND crm_module=?"
            args += (crm_module,)
        for row in self._db.execute(query, args).fetchall():
            yield _link(row)

    def recent_links(self, count: int) -> list[Link]:
        """The ``count`` record links (not contact persons) saved last, over every module sync."""
        rows = self._db.execute(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE person_id IS NULL ORDER BY rowid DESC LIMIT ?",
            (count,),
        ).fetchall()
        return [_link(row) for row in rows]

    def forget_all(self) -> None:
        """Empty every table: the records the state speaks of are gone (a reset org)."""
        for table in ("links", "books_index", "crm_index", "checkpoints", "meta", "intents"):
            self._db.execute(f"DELETE FROM {table}")

    def link_by_books(self, sync: str, books_id: str) -> Link | None:
        row = self._db.execute(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE sync=? AND books_id=? AND person_id IS NULL",
            (sync, books_id),
        ).fetchone()
        return _link(row) if row else None

    def linked_books_ids(self, sync: str) -> set[str]:
        rows = self._db.execute("SELECT books_id FROM links WHERE sync=? AND person_id IS NULL", (sync,))
        return {books_id for (books_id,) in rows.fetchall()}

    def save_link(
        self,
        sync: str,
        *,
        crm_module: str,
        crm_id: str,
        books_id: str,
        agreed: dict[str, Any],
        person_id: str | None = None,
        books_record: dict[str, Any] | None = None,
        books_modified: str | None = None,
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sync,
                crm_module,
                crm_id,
                books_id,
                person_id,
                orjson.dumps(agreed),
                orjson.dumps(books_record) if books_record is not None else None,
                books_modified,
            ),
        )

    # ---- the other sides' indexes --------------------------------------------------------------

    def index_books(self, kind: str, rows: list[Indexed], *, modified: dict[str, str] | None = None) -> None:
        modified = modified or {}
        # One transaction: in autocommit every row would be a commit of its own (thousands in a big org).
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO books_index VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (kind, r.record_id, r.match_key, r.sku, r.created, modified.get(r.record_id, ""))
                    for r in rows
                ],
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def books_index(self, kind: str) -> list[Indexed]:
        rows = self._db.execute(
            "SELECT books_id, match_key, sku, created FROM books_index WHERE kind=?", (kind,)
        ).fetchall()
        return [Indexed(*row) for row in rows]

    def forget_books(self, kind: str, books_id: str) -> None:
        self._db.execute("DELETE FROM books_index WHERE kind=? AND books_id=?", (kind, books_id))

    def index_crm(self, crm_module: str, rows: list[Indexed]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO crm_index VALUES (?, ?, ?, ?)",
            [(crm_module, r.record_id, r.match_key, r.sku) for r in rows],
        )

    def crm_keys(self, crm_module: str) -> set[str]:
        rows = self._db.execute("SELECT match_key, sku FROM crm_index WHERE crm_module=?", (crm_module,))
        keys: set[str] = set()
        for match_key, sku in rows.fetchall():
            keys.add(match_key)
            if sku:
                keys.add(f"sku:{sku}")
        return keys

    def crm_ids_with_key(self, crm_module: str, match_key: str) -> list[str]:
        rows = self._db.execute(
            "SELECT crm_id FROM crm_index WHERE crm_module=? AND match_key=? ORDER BY crm_id",
            (crm_module, match_key),
        )
        return [crm_id for (crm_id,) in rows.fetchall()]

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ---- checkpoints and intents ------------------------------------------------------------------

    def checkpoint(self, sync: str) -> Checkpoint:
        row = self._db.execute(
            "SELECT crm_read_at, books_read_at FROM checkpoints WHERE sync=?", (sync,)
        ).fetchone()
        if row is None:
            return Checkpoint(None, None)
        return Checkpoint(*(datetime.fromisoformat(value) if value else None for value in row))

    def save_checkpoint(self, sync: str, *, crm_read_at: datetime, books_read_at: datetime) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)",
            (sync, crm_read_at.isoformat(), books_read_at.isoformat()),
        )

    def begin_intent(
        self, sync: str, *, side: str, source_id: str, match_key: str, started: datetime
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO intents VALUES (?, ?, ?, ?, ?)",
            (sync, side, source_id, match_key, started.isoformat()),
        )

    def end_intent(self, sync: str, *, side: str, source_id: str) -> None:
        self._db.execute(
            "DELETE FROM intents WHERE sync=? AND side=? AND source_id=?", (sync, side, source_id)
        )

    def intents(self, sync: str, side: str) -> dict[str, Intent]:
        rows = self._db.execute(
            "SELECT side, source_id, match_key, started FROM intents WHERE sync=? AND side=?", (sync, side)
        ).fetchall()
        return {row[1]: Intent(row[0], row[1], row[2], datetime.fromisoformat(row[3])) for row in rows}


def _link(row: tuple[Any, ...]) -> Link:
    crm_module, crm_id, books_id, person_id, agreed, books_record, books_modified = row
    return Link(
        crm_module=crm_module,
        crm_id=crm_id,
        books_id=books_id,
        person_id=person_id,
        agreed=orjson.loads(agreed),
        books_record=orjson.loads(books_record) if books_record else None,
        books_modified=books_modified,
    )
