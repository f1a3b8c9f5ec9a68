"""Books' CRM-integration imports: one record of the tenant's CRM org becomes a linked Books record.

``POST /books/v3/crm/{account|contact|vendor|item}/{crm_id}/import`` (OAS ``integration.yml``).
A CRM account becomes a business customer (``zcrm_account_id``), a CRM contact an individual
customer whose primary contact person it is (``zcrm_contact_id``), a vendor a vendor
(``zcrm_vendor_id``), a product an item (``zcrm_product_id``).

The Books fields are the syncer's: the CRM record is rendered as the CRM API returns it, mapped
with its module's default map (``fieldmap.to_books``) and written with
``fieldmap.books_body``, through the Books org's ordinary create/update rules (so 3062
applies as it does to any write). A record imported before, i.e. a Books record already carrying
that CRM id, is updated from CRM instead: importing twice never makes a second record.

The first half is the import itself, on the two orgs; the second half is the HTTP endpoints.
The simulator does not model the integration's set-up, so every import is allowed whichever
sync type the OAS names as its precondition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldmap import SPEC_BY_MODULE, ModuleSpec, books_body, differences, to_books
from simulator.books.errors import InvalidValue, NotInCrm
from simulator.books.models import BooksOrg
from simulator.books.records import Contact, Item
from simulator.crm import render
from simulator.crm.metadata import MODULES
from simulator.crm.models import CrmOrg
from simulator.ids import normalize_id


@dataclass(frozen=True)
class ImportKind:
    """One import endpoint: the module spec it follows, its path parameter, and the error's entity."""

    spec: ModuleSpec
    id_param: str
    entity: str


ACCOUNT = ImportKind(SPEC_BY_MODULE["Accounts"], "crm_account_id", "Account")
CONTACT = ImportKind(SPEC_BY_MODULE["Contacts"], "crm_contact_id", "Contact")
VENDOR = ImportKind(SPEC_BY_MODULE["Vendors"], "crm_vendor_id", "Vendor")
PRODUCT = ImportKind(SPEC_BY_MODULE["Products"], "crm_product_id", "Product")


def import_contact(crm: CrmOrg, books: BooksOrg, kind: ImportKind, crm_id: str) -> Contact:
    """Import a CRM account, contact or vendor (``kind``) as a linked Books customer or vendor."""
    spec = kind.spec
    if spec.books_collection != "contacts":
        raise ValueError(f"{spec.crm_module} records import as items: use import_product")
    record_id, wanted = _mapped(crm, kind, crm_id)
    existing = books.linked_contact(spec.link_field, record_id)
    if existing is None:
        contact = books.create_contact(books_body(spec, wanted))
    else:
        contact = existing
        current = books.show_contact(existing)
        changed = differences(wanted, current)
        if changed:
            books.update_contact(existing.contact_id, books_body(spec, changed, current))
    return books.link_contact(contact.contact_id, **{spec.link_field: record_id})


def import_product(crm: CrmOrg, books: BooksOrg, crm_id: str) -> Item:
    """Import a CRM product as a linked Books item; ``status`` goes through active/inactive."""
    record_id, wanted = _mapped(crm, PRODUCT, crm_id)
    spec = PRODUCT.spec
    existing = books.linked_item(record_id)
    if existing is None:
        item = books.create_item(books_body(spec, wanted))
    else:
        item = existing
        current = books.show_item(existing)
        changed = differences(wanted, current)
        body = books_body(spec, changed, current) if changed else {}
        if body:
            books.update_item(existing.item_id, body)
    if "status" in wanted and wanted["status"] != item.status:
        books.set_item_status(item.item_id, active=wanted["status"] == "active")
    return books.link_item(item.item_id, zcrm_product_id=record_id)


def _mapped(crm: CrmOrg, kind: ImportKind, crm_id: str) -> tuple[str, dict[str, Any]]:
    """The CRM record's id and its mapped Books values, as a syncer reading the CRM API sees them."""
    record_id = normalize_id(crm_id)
    if record_id is None:
        # UNVERIFIED: a malformed id answers like a malformed organization_id (code 2), by choice.
        raise InvalidValue(kind.id_param)
    module = kind.spec.crm_module
    stored = crm.get(module, record_id)
    if stored is None:
        raise NotInCrm(entity=kind.entity)
    shown = render.record(crm, MODULES[module], stored, None)
    return record_id, to_books(kind.spec.default_map, shown)
