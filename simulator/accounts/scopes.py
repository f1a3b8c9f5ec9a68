"""Zoho's OAuth scopes: ``Service.group[.resource].ACTION``, compared without regard to case.

``ZohoCRM.modules.ALL`` allows every module action; ``ZohoCRM.modules.accounts.READ`` one;
``ZohoBooks.fullaccess.all`` everything in Books. ``WRITE`` covers create and update.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

_WRITE_ACTIONS = {"create", "update", "write"}

CRM_DEFAULT = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.users.ALL",
    "ZohoCRM.org.ALL",
    "ZohoCRM.coql.READ",
    "ZohoCRM.bulk.ALL",
    "ZohoCRM.composite_requests.CUSTOM",
    "ZohoCRM.notifications.ALL",
)
BOOKS_DEFAULT = ("ZohoBooks.fullaccess.all",)
DEFAULT = CRM_DEFAULT + BOOKS_DEFAULT


def parse(scope_text: str) -> tuple[str, ...]:
    """Zoho separates scopes with commas; spaces are tolerated too."""
    return tuple(part for part in scope_text.replace(" ", ",").split(",") if part)


def allows(
    granted: Iterable[str], *, service: str, group: str, action: str, resource: str | None = None
) -> bool:
    if isinstance(granted, tuple):  # a token's scopes: the answer is kept (it is asked every request)
        return _allows_cached(granted, service, group, action, resource)
    return _allows(granted, service, group, action, resource)


def _allows(granted: Iterable[str], service: str, group: str, action: str, resource: str | None) -> bool:
    return any(
        _one_allows(scope.lower().split("."), service.lower(), group.lower(), action.lower(), resource)
        for scope in granted
    )


@functools.lru_cache(maxsize=4096)
def _allows_cached(
    granted: tuple[str, ...], service: str, group: str, action: str, resource: str | None
) -> bool:
    return _allows(granted, service, group, action, resource)


def _one_allows(parts: list[str], service: str, group: str, action: str, resource: str | None) -> bool:
    if len(parts) < 3 or parts[0] != service:
        return False
    if parts[1] == "fullaccess":
        return parts[2] == "all"
    if parts[1] != group:
        return False
    if len(parts) == 3:
        return _action_allows(parts[2], action)
    return resource is not None and parts[2] == resource.lower() and _action_allows(parts[3], action)


def _action_allows(granted: str, wanted: str) -> bool:
    if granted in ("all", wanted):
        return True
    return granted == "write" and wanted in _WRITE_ACTIONS


def is_known(scope: str) -> bool:
    parts = scope.lower().split(".")
    return len(parts) >= 3 and parts[0] in ("zohocrm", "zohobooks", "zohosearch")
