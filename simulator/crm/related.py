"""Related lists: the records one record's page lists under it, and the links behind them.

Two kinds, as in Zoho: a *lookup* list shows the records whose lookup points at the parent (an
Account's Contacts, a Vendor's Products and Contacts); a *linking* list shows records joined to
the parent through a many-to-many link (an Account's or a Contact's Products), which
``PUT``/``DELETE /{module}/{id}/{list}/{related_id}`` add and remove.  A link is one pair, seen
from both of its modules' lists; a link to a deleted record is not shown.

Nothing here knows of HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from simulator.crm.errors import InvalidData
from simulator.crm.models import CrmOrg
from simulator.crm.record import CrmRecord


@dataclass(frozen=True)
class RelatedList:
    module: str
    api_name: str
    related_module: str
    serial: int
    lookup_field: str | None = None  # the related module's field pointing at the parent

    @property
    def linking(self) -> bool:
        return self.lookup_field is None

    @property
    def link_key(self) -> str:
        """The link table's name: the two modules, sorted, so both sides share one table."""
        return "_X_".join(sorted((self.module, self.related_module)))


RELATED_LISTS: dict[str, tuple[RelatedList, ...]] = {
    "Accounts": (
        RelatedList("Accounts", "Contacts", "Contacts", 1, lookup_field="Account_Name"),
        RelatedList("Accounts", "Child_Accounts", "Accounts", 2, lookup_field="Parent_Account"),
        RelatedList("Accounts", "Products", "Products", 3),
    ),
    "Contacts": (
        RelatedList("Contacts", "Reporting_Contacts", "Contacts", 1, lookup_field="Reporting_To"),
        RelatedList("Contacts", "Products", "Products", 2),
    ),
    "Vendors": (
        RelatedList("Vendors", "Products", "Products", 1, lookup_field="Vendor_Name"),
        RelatedList("Vendors", "Contacts", "Contacts", 2, lookup_field="Vendor_Name"),
    ),
    "Products": (
        RelatedList("Products", "Accounts", "Accounts", 1),
        RelatedList("Products", "Contacts", "Contacts", 2),
    ),
}


def find(module: str, api_name: str) -> RelatedList | None:
    """Related list names are matched without regard to case, as module names are."""
    wanted = api_name.lower()
    return next((rl for rl in RELATED_LISTS[module] if rl.api_name.lower() == wanted), None)


def related_records(
    org: CrmOrg, related: RelatedList, parent_id: str, *, modified_since: datetime | None = None
) -> list[CrmRecord]:
    """The records listed under ``parent_id``, oldest id first."""
    table = org.records[related.related_module]
    if related.lookup_field is not None:
        rows = [row for row in table.values() if row.get(related.lookup_field) == parent_id]
    else:
        ids = _linked_ids(org, related, parent_id)
        rows = [table[i] for i in sorted(ids & table.keys(), key=int)]
    if modified_since is not None:
        rows = [row for row in rows if row["Modified_Time"] > modified_since]
    return rows


def link(org: CrmOrg, related: RelatedList, parent_id: str, related_ids: Sequence[str]) -> list[str]:
    """Link each of ``related_ids`` to the parent; returns the ones that exist (others are errors)."""
    _linking_only(related)
    table = org.links.setdefault(related.link_key, [])
    done = []
    for related_id in related_ids:
        if related_id in org.records[related.related_module]:
            pair = _pair(related, parent_id, related_id)
            if pair not in table:
                table.append(pair)
            done.append(related_id)
    return done


def delink(org: CrmOrg, related: RelatedList, parent_id: str, related_ids: Sequence[str]) -> list[str]:
    """Remove the links; returns the ids that were linked."""
    _linking_only(related)
    table = org.links.get(related.link_key, [])
    removed = []
    for related_id in related_ids:
        pair = _pair(related, parent_id, related_id)
        if pair in table:
            table.remove(pair)
            removed.append(related_id)
    return removed


def _linking_only(related: RelatedList) -> None:
    """A lookup list changes by editing the related record's lookup, not through the list."""
    if not related.linking:
        raise InvalidData.relation()


def _pair(related: RelatedList, parent_id: str, related_id: str) -> list[str]:
    """A link as ``[id in the first module of link_key, id in the second]``."""
    return [parent_id, related_id] if related.module < related.related_module else [related_id, parent_id]


def _linked_ids(org: CrmOrg, related: RelatedList, parent_id: str) -> set[str]:
    mine, theirs = (0, 1) if related.module < related.related_module else (1, 0)
    return {pair[theirs] for pair in org.links.get(related.link_key, []) if pair[mine] == parent_id}
