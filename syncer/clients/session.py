"""Everything a sync run needs to talk to Zoho, built from a ``Connection``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

import httpx

from syncer.clients.auth import TokenSource
from syncer.clients.books import BooksClient
from syncer.clients.clock import SyncClock, WallClock
from syncer.clients.counter import CallCounter
from syncer.clients.crm import CrmClient
from syncer.clients.http import ZohoHttp
from syncer.clients.policy import RetryPolicy
from syncer.config import Connection

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@dataclass
class ZohoClients:
    http: ZohoHttp
    crm: CrmClient
    books: BooksClient
    owns_client: bool = False

    @property
    def counter(self) -> CallCounter:
        return self.http.counter

    def close(self) -> None:
        if self.owns_client:
            self.http.client.close()

    def __enter__(self) -> ZohoClients:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def connect(
    connection: Connection,
    *,
    client: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
    clock: SyncClock | None = None,
    retry: RetryPolicy | None = None,
    books_per_minute: int | None = 100,
    on_wait: Callable[[str], None] | None = None,
    read_only: bool = False,
) -> ZohoClients:
    """``client`` (or ``transport``) is the seam: tests pass ``simulator.testing.in_process_client(app)``
    or a mock transport. Without a client, one is made here and closed by ``close()``.
    ``read_only``: any write (a request but a GET or a COQL query) raises ``ReadOnly`` before it is
    sent."""
    missing = [
        name
        for name in ("client_id", "client_secret", "refresh_token", "books_organization_id")
        if not getattr(connection, name)
    ]
    if missing:
        raise ValueError(f"the connection lacks {', '.join(missing)}: fill them in before connecting")
    clock = clock or WallClock()
    http_client = client or httpx.Client(transport=transport, timeout=DEFAULT_TIMEOUT)
    counter = CallCounter()
    tokens = TokenSource(
        http_client,
        accounts_url=connection.accounts_url,
        client_id=connection.client_id,
        client_secret=connection.client_secret,
        refresh_token=connection.refresh_token,
        clock=clock,
        counter=counter,
    )
    http = ZohoHttp(
        http_client,
        tokens=tokens,
        clock=clock,
        retry=retry,
        books_per_minute=books_per_minute,
        on_wait=on_wait,
        read_only=read_only,
    )
    return ZohoClients(
        http=http,
        crm=CrmClient(http, connection.crm_url),
        books=BooksClient(http, connection.books_url, connection.books_organization_id),
        owns_client=client is None,
    )
