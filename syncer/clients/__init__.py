"""Clients for Zoho CRM v8, Books v3 and the accounts server, using only Zoho's public API.

``connect(connection)`` builds them all; ``ZohoHttp`` retries, backs off and keeps Books under its
per-minute limit; time comes from a ``SyncClock`` (wall, simulator, or manual).
"""

from syncer.clients.auth import TokenSource
from syncer.clients.books import BooksClient
from syncer.clients.clock import ManualClock, SimulatorClock, SyncClock, WallClock
from syncer.clients.counter import CallCounter
from syncer.clients.crm import CrmClient, Outcome
from syncer.clients.dates import crm_datetime, parse_zoho_datetime
from syncer.clients.errors import (
    AuthFailed,
    RateLimited,
    RequestInfo,
    ViewPastTokenLimit,
    WriteOutcomeUnknown,
    ZohoApiError,
    ZohoClientError,
    ZohoUnavailable,
)
from syncer.clients.http import Service, WriteKind, ZohoHttp
from syncer.clients.policy import RetryPolicy, RollingBudget
from syncer.clients.session import ZohoClients, connect

__all__ = [
    "AuthFailed",
    "BooksClient",
    "CallCounter",
    "CrmClient",
    "ManualClock",
    "Outcome",
    "RateLimited",
    "RequestInfo",
    "RetryPolicy",
    "RollingBudget",
    "Service",
    "SimulatorClock",
    "SyncClock",
    "TokenSource",
    "ViewPastTokenLimit",
    "WallClock",
    "WriteKind",
    "WriteOutcomeUnknown",
    "ZohoApiError",
    "ZohoClientError",
    "ZohoClients",
    "ZohoHttp",
    "ZohoUnavailable",
    "connect",
    "crm_datetime",
    "parse_zoho_datetime",
]
