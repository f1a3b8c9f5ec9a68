"""What the console shows of an org pair: a page of records, one record, and its links across.

Every list reads one page of an org's records, lazily, so a page costs about the same on an org of
100 records as on one of 100,000 (a search by name scans until it has filled the page).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from simulator.books.models import BooksOrg
from simulator.books.records import Contact, Item
from simulator.crm.metadata import MODULES
from simulator.crm.models import CrmOrg

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


def crm_page(crm: CrmOrg, module: str, *, query: str, page: int) -> Listing:
    """A page of a CRM module, newest first; ``query`` finds records whose name contains it.

    Only the name is searched: the CRM's own ``word`` search reads every text field of every
    record, seconds on 100,000 records when nothing matches."""
    display = MODULES[module].display_field
    selection = crm.list_records(module, sort_order="desc")
    if query:
        wanted = query.lower()
        selection = selection.filtered(lambda row: wanted in str(row.get(display) or "").lower())
    rows, more = selection.page((page - 1) * PAGE_SIZE, PAGE_SIZE)
    return Listing(
        [
            {"id": row["id"], "name": _shown(module, display, row), "modified": row.get("Modified_Time")}
            for row in rows
        ],
        page,
        more,
    )


def crm_fields(crm: CrmOrg, module: str, record: Mapping[str, Any]) -> list[dict[str, Any]]:
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


def crm_links(crm: CrmOrg, record: Contact | Item) -> list[dict[str, str | None]]:
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
    """A page of Books contacts, contact persons or items, newest first; ``query`` finds names.

    Read straight from the org's tables, a page at a time: Books' own list sorts the whole table
    by name first, a quarter of a second on 25,000 contacts."""
    if kind == "contactpersons":
        return _person_page(books, query=query, page=page)
    wanted = query.lower()
    if kind == "contacts":
        rows: Iterator[dict[str, Any]] = (
            {"id": c.contact_id, "name": c.contact_name, "type": c.contact_type, "status": c.status}
            for c in reversed(books.contacts.values())
            if not wanted or wanted in c.contact_name.lower()
        )
    else:
        rows = (
            {"id": i.item_id, "name": i.name, "type": i.product_type, "status": i.status}
            for i in reversed(books.items.values())
            if not wanted or wanted in i.name.lower()
        )
    return _cut(rows, page)


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
    return _cut(people, page)


def _cut(rows: Iterator[dict[str, Any]], page: int) -> Listing:
    """The page's rows of ``rows``, reading one past it to know whether more follow."""
    kept = list(islice(rows, (page - 1) * PAGE_SIZE, page * PAGE_SIZE + 1))
    return Listing(kept[:PAGE_SIZE], page, len(kept) > PAGE_SIZE)


def _shown(module: str, display: str, row: dict[str, Any]) -> str:
    value = row.get(display)
    return str(value) if value else f"({module} {row['id']})"


def side_by_side(
    crm: CrmOrg,
    books: BooksOrg,
    *,
    crm_module: str,
    crm_id: str,
    kind: str,
    books_id: str,
    pairs: list[list[str]],
) -> list[dict[str, Any]] | None:
    """A CRM record and the Books record it synced to, field by field through the field map, as
    they are now; None when either is gone."""
    record = crm.records.get(crm_module, {}).get(crm_id)
    target = books.items.get(books_id) if kind == "items" else books.contacts.get(books_id)
    if record is None or target is None:
        return None
    detail = books.show_item(target) if isinstance(target, Item) else books.show_contact(target)
    rows = []
    for books_field, crm_field in pairs:
        crm_value = record.get(crm_field)
        definition = MODULES[crm_module].by_name.get(crm_field)
        if definition is not None and definition.lookup and isinstance(crm_value, str):
            linked = crm.records[definition.lookup].get(crm_value)
            crm_value = crm.display_name(definition.lookup, linked) if linked else crm_value
        books_value = _books_value(detail, books_field)
        same = str(crm_value or "").strip() == str(books_value or "").strip()
        rows.append(
            {
                "books": books_field,
                "books_value": books_value,
                "crm": crm_field,
                "crm_value": crm_value,
                "same": same,
            }
        )
    return rows


def _books_value(detail: dict[str, Any], path: str) -> Any:
    """``billing_address.city`` and ``primary_contact.email`` name values inside a Books contact."""
    head, _, rest = path.partition(".")
    if head == "primary_contact":
        people = detail.get("contact_persons") or []
        return next((p.get(rest) for p in people if p.get("is_primary_contact")), None)
    value = detail.get(head)
    return value.get(rest) if rest and isinstance(value, dict) else value
