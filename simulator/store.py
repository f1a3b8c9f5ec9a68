"""Durable state for ``zohosim serve --data-dir``: an embedded SQLite database.

Each org's JSON state is split into a small metadata document and one row per entity (a record,
a contact, a token…); after a write, only the rows that changed are written, in one transaction,
before the reply leaves the gate. SQLite in WAL mode then keeps every acknowledged write
through a restart or a ``kill -9`` of the server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

#: Keys that identify an entity in a list, in order of preference.
ENTITY_KEYS = ("id", "contact_id", "item_id", "token", "code", "client_id")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (owner TEXT, part TEXT, doc BLOB, PRIMARY KEY (owner, part));
CREATE TABLE IF NOT EXISTS entities (
    owner TEXT, part TEXT, collection TEXT, entity_id TEXT, ord INTEGER, doc BLOB,
    PRIMARY KEY (owner, part, collection, entity_id)
);
"""

Split = tuple[bytes, dict[tuple[str, str], bytes]]


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process kill
        self._db.executescript(_SCHEMA)
        self._known: dict[tuple[str, str], Split] = {}
        self._ord = self._db.execute("SELECT COALESCE(MAX(ord), 0) FROM entities").fetchone()[0]
        #: Inside ``atomic()``: what ``_known`` becomes once the transaction commits.
        self._pending: dict[tuple[str, str], Split] | None = None

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Every ``save`` inside is one transaction: all of them reach the disk, or none does."""
        if self._pending is not None:
            yield
            return
        self._pending, first_ord = {}, self._ord
        try:
            with self._transaction():
                yield
            self._known.update(self._pending)
        except BaseException:
            self._ord = first_ord
            raise
        finally:
            self._pending = None

    def save(self, owner: str, part: str, document: dict[str, Any]) -> None:
        """Persist ``document`` as ``owner``/``part``, writing only what changed since last time."""
        meta, entities = split(document)
        with self.atomic():
            self._save(owner, part, meta, entities)

    def _save(self, owner: str, part: str, meta: bytes, entities: dict[tuple[str, str], bytes]) -> None:
        assert self._pending is not None
        old_meta, old_entities = self._pending.get((owner, part)) or self._known.get((owner, part), (b"", {}))
        reordered = _reordered(old_entities, entities)
        db = self._db
        if meta != old_meta:
            db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?)", (owner, part, meta))
        for (collection, entity_id), doc in entities.items():
            if collection in reordered:
                self._write_entity(db, owner, part, collection, entity_id, doc, renumber=True)
            elif old_entities.get((collection, entity_id)) != doc:
                self._write_entity(db, owner, part, collection, entity_id, doc)
        for collection, entity_id in old_entities.keys() - entities.keys():
            db.execute(
                "DELETE FROM entities WHERE owner=? AND part=? AND collection=? AND entity_id=?",
                (owner, part, collection, entity_id),
            )
        self._pending[(owner, part)] = (meta, entities)

    def load(self, owner: str, part: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT doc FROM documents WHERE owner=? AND part=?", (owner, part)).fetchone()
        if row is None:
            return None
        rows = self._db.execute(
            "SELECT collection, entity_id, doc FROM entities WHERE owner=? AND part=? ORDER BY ord",
            (owner, part),
        ).fetchall()
        entities = {(collection, entity_id): bytes(doc) for collection, entity_id, doc in rows}
        self._known[(owner, part)] = (bytes(row[0]), entities)
        return join(bytes(row[0]), entities)

    def owners(self) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT owner FROM documents ORDER BY owner").fetchall()
        return [owner for (owner,) in rows]

    def forget(self, owner: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE owner=?", (owner,))
            db.execute("DELETE FROM entities WHERE owner=?", (owner,))
        for key in [k for k in self._known if k[0] == owner]:
            del self._known[key]

    def forget_part(self, owner: str, part: str) -> None:
        """Delete one part of ``owner``'s (inside ``atomic()``, in its transaction)."""
        with self.atomic():
            assert self._pending is not None
            self._db.execute("DELETE FROM documents WHERE owner=? AND part=?", (owner, part))
            self._db.execute("DELETE FROM entities WHERE owner=? AND part=?", (owner, part))
            self._pending.pop((owner, part), None)
        self._known.pop((owner, part), None)

    def close(self) -> None:
        self._db.close()

    def _write_entity(
        self,
        db: sqlite3.Connection,
        owner: str,
        part: str,
        collection: str,
        entity_id: str,
        doc: bytes,
        *,
        renumber: bool = False,
    ) -> None:
        """Write one row; it keeps its place (``ord``) unless ``renumber`` moves it to the end."""
        if renumber:
            self._ord += 1
            db.execute(
                "INSERT OR REPLACE INTO entities VALUES (?, ?, ?, ?, ?, ?)",
                (owner, part, collection, entity_id, self._ord, doc),
            )
            return
        updated = db.execute(
            "UPDATE entities SET doc=? WHERE owner=? AND part=? AND collection=? AND entity_id=?",
            (doc, owner, part, collection, entity_id),
        )
        if updated.rowcount == 0:
            self._ord += 1
            db.execute(
                "INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?)",
                (owner, part, collection, entity_id, self._ord, doc),
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN")
        return self.db

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def split(document: dict[str, Any]) -> Split:
    """Lists of identifiable objects become entity rows; the rest stays in the metadata document.

    A collection's place in the metadata is kept as ``{"$entities": "<collection path>"}``.
    """
    entities: dict[tuple[str, str], bytes] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            return {key: walk(item, f"{path}/{key}") for key, item in value.items()}
        key = _entity_key(value)
        if key is None:
            return value
        for item in value:
            entities[(path, str(item[key]))] = orjson.dumps(item)
        return {"$entities": path}

    meta = walk(document, "")
    return orjson.dumps(meta), entities


def join(meta: bytes, entities: dict[tuple[str, str], bytes]) -> dict[str, Any]:
    by_collection: dict[str, list[Any]] = {}
    for (collection, _), doc in entities.items():
        by_collection.setdefault(collection, []).append(orjson.loads(doc))

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$entities"}:
                return by_collection.get(value["$entities"], [])
            return {key: walk(item) for key, item in value.items()}
        return value

    return walk(orjson.loads(meta))


def _reordered(old: dict[tuple[str, str], bytes], new: dict[tuple[str, str], bytes]) -> set[str]:
    """The collections whose new order the rows' places would not keep, so that they are renumbered.

    A row keeps its place when rewritten and a new row goes last; that is the new order unless
    rows came back in the middle (a snapshot restored, an import), or moved.
    """
    if old.keys() == new.keys() and list(old) == list(new):
        return set()
    rank = {key: n for n, key in enumerate(old)}
    last: dict[str, int] = {}
    added: set[str] = set()
    reordered: set[str] = set()
    for key in new:
        collection = key[0]
        place = rank.get(key)
        if place is None:
            added.add(collection)
        elif collection in added or place < last.get(collection, -1):
            reordered.add(collection)
        else:
            last[collection] = place
    return reordered


def _entity_key(value: Any) -> str | None:
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        return None
    for key in ENTITY_KEYS:
        if all(key in item for item in value):
            return key
    return None
