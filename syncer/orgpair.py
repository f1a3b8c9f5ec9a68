"""The syncer's state belongs to one CRM org and one Books org: the org pair.

Each pair has its own state file beside the configured state path (``state.sqlite3`` becomes
``state.crm-<id>.books-<id>.sqlite3``), so links, checkpoints and intents of one pair are never
read by a run against another. A pair whose state points at records that are gone (a simulator
reset to its seed keeps its org ids) is caught at run start by reading back the records linked
last: when none of them exists any more, the state is emptied and the run starts fresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import fieldmap as mapping
from syncer.clients import ZohoClients
from syncer.config import ConfigError
from syncer.state import SyncState

#: How many of the most recently saved links a run reads back (one Books read each, at most;
#: the first that still exists ends the probe).
PROBES = 3
_PAIR = "org_pair"


@dataclass(frozen=True)
class OrgPair:
    crm_org: str
    books_org: str

    @property
    def slug(self) -> str:
        return f"crm-{self.crm_org}.books-{self.books_org}"

    def __str__(self) -> str:
        return f"CRM org {self.crm_org}, Books org {self.books_org}"


def org_pair(clients: ZohoClients) -> OrgPair:
    """The pair the clients talk to: one CRM call (the Books org id is in the connection)."""
    return OrgPair(crm_org=clients.crm.org_id(), books_org=clients.books.organization_id)


def state_file(configured: Path, pair: OrgPair) -> Path:
    """The pair's state file, beside the configured path."""
    return configured.with_name(f"{configured.stem}.{pair.slug}{configured.suffix or '.sqlite3'}")


def check_state(state: SyncState, clients: ZohoClients, pair: OrgPair, *, where: str) -> str:
    """Make the state fit the pair; return one line that says where it is and what it holds."""
    recorded = state.get_meta(_PAIR)
    if recorded is None:
        state.forget_all()
        state.set_meta(_PAIR, pair.slug)
        return f"state: {where}: new org pair ({pair}): starting fresh"
    if recorded != pair.slug:
        raise ConfigError("state", f"this state belongs to org pair {recorded}, not {pair.slug}")
    probed = state.recent_links(PROBES)
    if probed and all(not _exists(clients, link.crm_module, link.books_id) for link in probed):
        state.forget_all()
        state.set_meta(_PAIR, pair.slug)
        return (
            f"state: {where}: the Books records its last {len(probed)} links point to are gone "
            f"({pair}; a reset org?): starting fresh"
        )
    return f"state: {where} ({pair})"


def _exists(clients: ZohoClients, crm_module: str, books_id: str) -> bool:
    spec = mapping.SPEC_BY_MODULE.get(crm_module)
    if spec is not None and spec.books_collection == "items":
        return clients.books.item(books_id) is not None
    return clients.books.contact(books_id) is not None
