"""The request log: every API request with its tenant, service, method, path, query, body, status
and the virtual time. The conformance suites read it to prove, for example, that no write reached CRM.

Outbound deliveries (notification callbacks, webhooks: ``simulator.delivery``) are logged too, with
``direction`` "outbound"; they are appended from the delivery thread, so the log takes a lock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import orjson

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: A header that marks who inside the simulator made a request (the Books CRM integration); logged
#: as the entry's ``source``.
SOURCE_HEADER = "X-Zohosim-Source"


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    time: str
    tenant_id: str | None
    service: str
    method: str
    path: str
    query: str
    body: Any
    status: int
    fault: str | None = None
    #: Who inside the simulator made the request (``SOURCE_HEADER``); None for outside clients.
    source: str | None = None
    #: The body's size on the wire; when it is over ``BODY_LIMIT`` (or not JSON the log can
    #: re-encode), ``body`` holds only its first ``BODY_LIMIT`` bytes, as text.
    body_bytes: int = 0
    body_truncated: bool = False
    #: "inbound" for a request to the simulator, "outbound" for a delivery it made.
    direction: str = "inbound"

    @property
    def is_write(self) -> bool:
        return (
            self.direction == "inbound" and self.method in WRITE_METHODS and self.service in ("crm", "books")
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: Bytes of one request body the log keeps.
BODY_LIMIT = 64 * 1024
#: Bytes of bodies the whole log keeps; past it the oldest entries fall off.
LOG_BYTES = 64 * 1024 * 1024
#: What an entry costs besides its body, for the byte budget.
_ENTRY_OVERHEAD = 512


class RequestLog:
    """A filterable log, bounded in entries and in bytes: the oldest entries fall off past either."""

    def __init__(self, *, limit: int = 100_000, max_bytes: int = LOG_BYTES) -> None:
        self._entries: deque[LoggedRequest] = deque()
        self._limit, self._max_bytes = limit, max_bytes
        self._bytes = 0
        self._seq = 0
        self._lock = threading.Lock()

    def append(self, *, raw_body: bytes, **fields: Any) -> LoggedRequest:
        body, truncated = decode_body(raw_body)
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(
                seq=self._seq, body=body, body_bytes=len(raw_body), body_truncated=truncated, **fields
            )
            self._entries.append(entry)
            self._bytes += _cost(entry)
            while len(self._entries) > self._limit or self._bytes > self._max_bytes:
                self._bytes -= _cost(self._entries.popleft())
        return entry

    def clear(self, *, tenant_id: str | None = None) -> None:
        with self._lock:
            kept = [] if tenant_id is None else [e for e in self._entries if e.tenant_id != tenant_id]
            self._entries.clear()
            self._entries.extend(kept)
            self._bytes = sum(_cost(e) for e in kept)

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._entries))

    def filter(
        self,
        *,
        tenant_id: str | None = None,
        service: str | None = None,
        method: str | None = None,
        source: str | None = None,
        path_contains: str | None = None,
        writes_only: bool = False,
        since_seq: int = 0,
        direction: str | None = None,
    ) -> list[LoggedRequest]:
        with self._lock:
            entries = list(self._entries)
        return [
            e
            for e in entries
            if e.seq > since_seq
            and (direction is None or e.direction == direction)
            and (tenant_id is None or e.tenant_id == tenant_id)
            and (service is None or e.service == service)
            and (method is None or e.method == method.upper())
            and (path_contains is None or path_contains in e.path)
            and (not writes_only or e.is_write)
            and (source is None or e.source == source)
        ]

    @property
    def last_seq(self) -> int:
        return self._seq


def _cost(entry: LoggedRequest) -> int:
    return _ENTRY_OVERHEAD + min(entry.body_bytes, BODY_LIMIT)


def decode_body(raw: bytes) -> tuple[Any, bool]:
    """The body to log, and whether it was cut.

    JSON bodies are kept as JSON and anything else as text, so that the log itself is always JSON
    (JSON nested deeper than the log's encoder goes is kept as text too); a body over
    ``BODY_LIMIT`` is kept as the text of its first ``BODY_LIMIT`` bytes.
    """
    if not raw:
        return None, False
    if len(raw) <= BODY_LIMIT:
        try:
            body = orjson.loads(raw)
            orjson.dumps(body)  # nesting orjson can read but not write back would break the log
            return body, False
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):
            return raw.decode("utf-8", "replace"), False
    return raw[:BODY_LIMIT].decode("utf-8", "replace"), True


def entries_json(entries: Iterable[LoggedRequest]) -> list[dict[str, Any]]:
    return [e.to_json() for e in entries]
