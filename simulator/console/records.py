"""What the console shows of an org pair: a page of records, one record, and its links across.

Every list reads one page through the orgs' own list and search functions, so a page costs the
same on an org of 100 records as on one of 100,000 (a search scans until it has filled the page).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any

from simulator.books.models import BooksOrg
from simulator.books.records import Contact, Item
from simulator.crm.metadata import MODULES
from simulator.crm.models import CrmOrg, Search
from simulator.errors import ZohoError

PAGE_SIZE = 50
#: The CRM module each Books link field points into.
LINK_MODULES = {
    "zcrm_account_id": "Accounts",
    "zcrm_contact_id": "Contacts",
    "zcrm_vendor_id": "Vendors",
    "zcrm_product_id": "Products",
}
BOOKS_KINDS = ("contacts", "contactpersons", "items")


@dataclass(frozen=True)
class Listing:
    """One page of rows, with what the template needs to page on."""

    rows: list[dict[str, Any]]
    page: int
    more: bool
    error: str | None = None


def crm_page(crm: CrmOrg, module: str, *, query: str, page: int) -> Listing:
    """A page of a CRM module, newest first; ``query`` searches it as the CRM's own ``word`` search."""
    try:
        selection = (
            crm.search(module, Search(word=query)) if query else crm.list_records(module, sort_order="desc")
        )
        rows, more = selection.page((page - 1) * PAGE_SIZE, PAGE_SIZE)
    except ZohoError:
        return Listing([], page, False, error="type at least two characters to search")
    display = MODULES[module].display_field
    return Listing(
        [
            {"id": row["id"], "name": _shown(crm, module, display, row), "modified": row.get("Modified_Time")}
            for row in rows
        ],
        page,
        more,
    )


def crm_fields(crm: CrmOrg, module: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    """A record's fields in the module's order; a lookup names the record it points at."""
    shown = []
    for definition in MODULES[module].fields:
        value = record.get(definition.api_name)
        if value in (None, "", []):
            continue
        link = None
        if definition.lookup is not None and isinstance(value, str):
            target = crm.records[definition.lookup].get(value)
            if target is not None:
                link = (definition.lookup, value)
                value = crm.display_name(definition.lookup, target) or value
        shown.append(
            {"label": definition.label, "api_name": definition.api_name, "value": value, "link": link}
        )
    return shown


def books_for_crm(books: BooksOrg, module: str, record_id: str) -> list[dict[str, str]]:
    """The Books contacts and items linked to one CRM record by their ``zcrm_*`` ids."""
    fields = [name for name, target in LINK_MODULES.items() if target == module]
    found: list[dict[str, str]] = []
    if "zcrm_product_id" in fields:
        found += [
            {"kind": "items", "id": i.item_id, "name": i.name, "via": "zcrm_product_id"}
            for i in books.items.values()
            if i.zcrm_product_id == record_id
        ]
    else:
        found += [
            {"kind": "contacts", "id": c.contact_id, "name": c.contact_name, "via": name}
            for c in books.contacts.values()
            for name in fields
            if getattr(c, name) == record_id
        ]
    return found


def crm_links(crm: CrmOrg, record: Contact | Item) -> list[dict[str, str]]:
    """The CRM records a Books record's ``zcrm_*`` ids point at (a missing one is shown as such)."""
    links = []
    for name, module in LINK_MODULES.items():
        record_id = getattr(record, name, "")
        if record_id:
            target = crm.records[module].get(record_id)
            name_shown = crm.display_name(module, target) if target else None
            links.append({"via": name, "module": module, "id": record_id, "name": name_shown})
    return links


def books_page(books: BooksOrg, kind: str, *, query: str, page: int) -> Listing:
    """A page of Books contacts, contact persons or items, through the org's own list functions."""
    if kind == "contactpersons":
        return _person_page(books, query=query, page=page)
    criteria = {"page": str(page), "per_page": str(PAGE_SIZE), "filter_by": "Status.All"}
    if query:
        criteria["search_text"] = query
    listed = books.list_contacts(criteria) if kind == "contacts" else books.list_items(criteria)
    rows = [
        {
            "id": row.get("contact_id") or row.get("item_id"),
            "name": row.get("contact_name") or row.get("name"),
            "type": row.get("contact_type") or row.get("product_type", ""),
            "status": row.get("status", ""),
        }
        for row in listed.rows
    ]
    return Listing(rows, page, listed.has_more_page)


def _person_page(books: BooksOrg, *, query: str, page: int) -> Listing:
    """Books lists contact persons with no search; the console's search matches name and email.
    A person's page is its contact's (Books shows persons inside their contact)."""
    wanted = query.lower()
    people = (
        {
            "id": contact.contact_id,
            "name": f"{p.first_name} {p.last_name}".strip(),
            "type": p.email,
            "status": "primary" if p.is_primary_contact else "",
        }
        for contact in books.contacts.values()
        for p in contact.contact_persons
        if not wanted or wanted in f"{p.first_name} {p.last_name} {p.email}".lower()
    )
    rows = list(islice(people, (page - 1) * PAGE_SIZE, page * PAGE_SIZE + 1))
    return Listing(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def _shown(crm: CrmOrg, module: str, display: str, row: dict[str, Any]) -> str:
    value = row.get(display)
    return str(value) if value else f"({module} {row['id']})"
