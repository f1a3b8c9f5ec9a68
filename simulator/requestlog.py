"""The request log: every API request with its tenant, service, method, path, query, body, status
and the virtual time. The conformance suites read it to prove, for example, that no write reached CRM.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import orjson

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS and self.service in ("crm", "books")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """A bounded, filterable log; the oldest entries fall off past ``limit``."""

    def __init__(self, *, limit: int = 100_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=limit)
        self._seq = 0

    def append(self, **fields: Any) -> LoggedRequest:
        self._seq += 1
        entry = LoggedRequest(seq=self._seq, **fields)
        self._entries.append(entry)
        return entry

    def clear(self, *, tenant_id: str | None = None) -> None:
        if tenant_id is None:
            self._entries.clear()
        else:
            kept = [e for e in self._entries if e.tenant_id != tenant_id]
            self._entries.clear()
            self._entries.extend(kept)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(list(self._entries))

    def filter(
        self,
        *,
        tenant_id: str | None = None,
        service: str | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        writes_only: bool = False,
        since_seq: int = 0,
    ) -> list[LoggedRequest]:
        return [
            e
            for e in list(self._entries)  # a snapshot: a server thread may append meanwhile
            if e.seq > since_seq
            and (tenant_id is None or e.tenant_id == tenant_id)
            and (service is None or e.service == service)
            and (method is None or e.method == method.upper())
            and (path_contains is None or path_contains in e.path)
            and (not writes_only or e.is_write)
        ]

    @property
    def last_seq(self) -> int:
        return self._seq


def decode_body(raw: bytes) -> Any:
    """JSON bodies are kept as JSON; anything else as text, so the log itself is always JSON."""
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def entries_json(entries: Iterable[LoggedRequest]) -> list[dict[str, Any]]:
    return [e.to_json() for e in entries]
