"""The contract's reading of records (``docs/contract.md``), written apart from the reference syncer.

Everything here works on the simulator's *export* format (``Tenant.export_state()``): CRM records
hold lookups as the target's id and times as ISO strings; Books contacts hold their addresses and
contact persons inline. The checks grade a syncer with these functions, never with ``syncer.*``
(only the documented default field maps are read from ``fieldmap``: they are the project's
documentation of what "the default map" means).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import fieldmap as documented

CRM_MODULES = ("Accounts", "Contacts", "Vendors", "Products")
KINDS = ("customer", "vendor", "item")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Fields of a Books record that only the sync machinery or the clock moves: never "a mapped field".
BOOKS_VOLATILE = frozenset(
    {"last_modified_time", "zcrm_account_id", "zcrm_contact_id", "zcrm_vendor_id", "zcrm_product_id"}
)
CRM_VOLATILE = frozenset({"Modified_Time", "Modified_By", "Last_Activity_Time"})


@dataclass(frozen=True)
class Side:
    """How records of one CRM module pair with Books records (section 1)."""

    crm_module: str
    kind: str  # customer | vendor | item
    sub_type: str | None  # business | individual (customers only)
    crm_name: str
    books_name: str

    @property
    def collection(self) -> str:
        return "items" if self.kind == "item" else "contacts"


SIDES = {
    "Accounts": Side("Accounts", "customer", "business", "Account_Name", "contact_name"),
    "Contacts": Side("Contacts", "customer", "individual", "Full_Name", "contact_name"),
    "Vendors": Side("Vendors", "vendor", None, "Vendor_Name", "contact_name"),
    "Products": Side("Products", "item", None, "Product_Name", "name"),
}

Pair = tuple[str, str]  # (books field path, CRM field)


# ---- keys ------------------------------------------------------------------------------------


def fold(text: object) -> str:
    """A match key: trimmed, runs of white space folded to one space, case ignored (section 3)."""
    return " ".join(str(text or "").split()).casefold()


@dataclass(frozen=True)
class Key:
    name: str
    sku: str = ""

    def matches(self, other: Key) -> bool:
        """Section 3: the name; for items the SKU instead when both sides have one."""
        if self.sku and other.sku:
            return self.sku == other.sku
        return bool(self.name) and self.name == other.name

    def shares(self, other: Key) -> bool:
        """NO-CRM-DUPLICATE: the same name, or (items) the same SKU."""
        return (bool(self.name) and self.name == other.name) or (bool(self.sku) and self.sku == other.sku)

    def __str__(self) -> str:
        return f"{self.name!r}" + (f" (sku {self.sku!r})" if self.sku else "")


def crm_key(module: str, record: Mapping[str, Any]) -> Key:
    name = fold(crm_value(record, SIDES[module].crm_name))
    return Key(name, fold(record.get("Product_Code")) if module == "Products" else "")


def books_key(record: Mapping[str, Any]) -> Key:
    if "item_id" in record:
        return Key(fold(record.get("name")), fold(record.get("sku")))
    return Key(fold(record.get("contact_name")))


def push_key(module: str, field_map: Sequence[Pair], books: Mapping[str, Any]) -> Key:
    """The key of the CRM record a push of ``books`` makes: the Books name, and for products the
    Product_Code it is given (MULTIMAP-PRIORITY picks the source when several fields map to it),
    which need not be the Books SKU."""
    key = books_key(books)
    if module != "Products":
        return key
    sources = [path for path, crm_field in field_map if crm_field == "Product_Code"]
    if not sources:
        return Key(key.name)
    side = SIDES[module]
    source = multi_mapped(field_map, (side.books_name, side.crm_name)).get("Product_Code", sources[0])
    return Key(key.name, fold(books_value(books, source)))


# ---- reading values ----------------------------------------------------------------------------


def crm_value(record: Mapping[str, Any], field: str) -> Any:
    """A CRM field's value; ``Full_Name`` is ``First_Name + " " + Last_Name``, trimmed."""
    if field == "Full_Name":
        return f"{record.get('First_Name') or ''} {record.get('Last_Name') or ''}".strip()
    return record.get(field)


def primary_person(record: Mapping[str, Any]) -> dict[str, Any] | None:
    persons = record.get("contact_persons") or []
    return next((p for p in persons if p.get("is_primary_contact")), None)


def books_value(record: Mapping[str, Any], path: str) -> Any:
    """A Books field by path: ``contact_name``, ``billing_address.city``, ``primary_contact.email``."""
    head, _, key = path.partition(".")
    if not key:
        return record.get(path)
    if head == "primary_contact":
        person = primary_person(record)
        return person.get(key) if person else None
    return (record.get(head) or {}).get(key)


def books_id(record: Mapping[str, Any]) -> str:
    return str(record.get("contact_id") or record.get("item_id"))


def books_kind(record: Mapping[str, Any]) -> str:
    return "item" if "item_id" in record else str(record.get("contact_type"))


def books_name(record: Mapping[str, Any]) -> str:
    return str(record.get("name") if "item_id" in record else record.get("contact_name"))


def created_order(record: Mapping[str, Any]) -> tuple[str, int]:
    """Section 3's "earliest created (ties: the smallest id)" for a Books record."""
    return (str(record.get("created_time")), int(books_id(record)))


# ---- values across the two sides -------------------------------------------------------------


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def books_form(path: str, crm: Any) -> Any:
    """The Books value a CRM value becomes: empty is ``""``, a rate is a number (empty is 0), a
    product's ``Product_Active`` is the item's status (only ``false`` makes it inactive)."""
    if path == "status":
        return "inactive" if crm is False else "active"
    if path == "rate":
        return _number(crm)
    return "" if crm is None else crm


def crm_form(field: str, books: Any) -> Any:
    """The CRM value a Books value becomes: ``""`` is empty (None)."""
    if field == "Product_Active":
        return books != "inactive"
    if field == "Unit_Price":
        return _number(books)
    return None if books in ("", None) else books


def same(left: Any, right: Any) -> bool:
    """Equal as the contract compares values: empty is empty, 12 == 12.0, text exactly."""

    def norm(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return float(value)
        return value

    return norm(left) == norm(right)


def pair_disagreements(
    field_map: Sequence[Pair], crm: Mapping[str, Any], books: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Mapped fields on which a CRM record and a Books record disagree: ``{books path: (books value,
    the CRM value in Books form)}``. The first pair for a Books field is the one that counts.

    One allowance, documented in the README section: Books needs a contact person's first name,
    so when CRM's ``First_Name`` is empty the person's first name may be a placeholder: a last name
    (the CRM one or the person's own) or "-"."""
    wrong: dict[str, tuple[Any, Any]] = {}
    seen: set[str] = set()
    for books_path, crm_field in field_map:
        if books_path in seen:
            continue
        seen.add(books_path)
        want = books_form(books_path, crm_value(crm, crm_field))
        have = books_value(books, books_path)
        if same(have, want):
            continue
        own_last = books_value(books, "primary_contact.last_name")
        if books_path.endswith("first_name") and want == "" and _placeholder(have, crm, own_last):
            continue
        wrong[books_path] = (have, want)
    return wrong


def _placeholder(first: Any, crm: Mapping[str, Any], own_last: Any) -> bool:
    """A first name Books needed where CRM has none: a last name (CRM's, or the person's) or "-"."""
    return fold(first) in {fold(crm.get("Last_Name")), fold(own_last), "-"} - {""}


def person_disagreements(
    person_map: Sequence[Pair], contact: Mapping[str, Any], person: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    wrong: dict[str, tuple[Any, Any]] = {}
    for books_field, crm_field in person_map:
        want = books_form(books_field, crm_value(contact, crm_field))
        have = person.get(books_field)
        if same(have, want):
            continue
        if (
            books_field == "first_name"
            and want == ""
            and _placeholder(have, contact, person.get("last_name"))
        ):
            continue
        wrong[books_field] = (have, want)
    return wrong


def person_matches(contact: Mapping[str, Any], person: Mapping[str, Any]) -> bool:
    """Which Books contact person is a CRM contact's: same last name, and the same first name (or,
    when CRM has none, the allowance above). Scenarios keep contacts' full names unique."""
    if fold(person.get("last_name")) != fold(contact.get("Last_Name")):
        return False
    first = fold(contact.get("First_Name"))
    have = fold(person.get("first_name"))
    return have == first or (not first and (not have or _placeholder(have, contact, person.get("last_name"))))


# ---- the module sync as configured -------------------------------------------------------------


def _pairs(raw: Iterable[Any]) -> list[Pair]:
    return [(str(b), str(c)) for b, c in raw]


def default_map(module: str) -> list[Pair]:
    spec = {"Accounts": "accounts", "Contacts": "contacts", "Vendors": "vendors", "Products": "products"}
    return [(p.books, p.crm) for p in documented.SPECS[spec[module]].default_map]


def default_person_map() -> list[Pair]:
    return [(p.books, p.crm) for p in documented.PERSON_MAP]


def with_mandatory(module: str, pairs: list[Pair]) -> list[Pair]:
    """Section 2: the mandatory pair (Books name <- CRM name) is always present and comes first."""
    side = SIDES[module]
    mandatory = (side.books_name, side.crm_name)
    return [mandatory, *(p for p in pairs if p != mandatory)]


@dataclass(frozen=True)
class SyncShape:
    """What one module sync (a config entry) covers, as the contract reads it."""

    entry: Mapping[str, Any]

    @property
    def module(self) -> str:
        return str(self.entry["module"])

    @property
    def source(self) -> str | None:
        return self.entry.get("crm_source")

    @property
    def extent(self) -> str:
        return str(self.entry.get("extent", "fetch_from_crm"))

    @property
    def mode(self) -> str:
        return str(self.entry.get("duplicates", "skip"))

    @property
    def both_ways(self) -> bool:
        return self.extent == "both_ways"

    @property
    def with_persons(self) -> bool:
        return self.source == "accounts_and_contacts"

    @property
    def unassociated(self) -> bool:
        return bool(self.entry.get("include_unassociated_contacts"))

    @property
    def kind(self) -> str:
        return {"vendors": "vendor", "items": "item"}.get(self.module, "customer")

    @property
    def main_module(self) -> str:
        if self.module == "vendors":
            return "Vendors"
        if self.module == "items":
            return "Products"
        return "Contacts" if self.source == "contacts" else "Accounts"

    @property
    def field_map(self) -> list[Pair]:
        raw = self.entry.get("field_map")
        return with_mandatory(self.main_module, _pairs(raw)) if raw else default_map(self.main_module)

    @property
    def contact_map(self) -> list[Pair]:
        """The map for unassociated contacts (``accounts_and_contacts`` with the flag)."""
        raw = self.entry.get("contact_map")
        return with_mandatory("Contacts", _pairs(raw)) if raw else default_map("Contacts")

    @property
    def person_map(self) -> list[Pair]:
        raw = self.entry.get("person_map")
        return _pairs(raw) if raw else default_person_map()

    def map_for(self, module: str) -> list[Pair]:
        return self.field_map if module == self.main_module else self.contact_map

    @property
    def crm_modules(self) -> frozenset[str]:
        """The CRM modules this sync may write (both ways) or read records from."""
        if self.module == "customers":
            return frozenset({"Accounts", "Contacts"} if self.with_persons else {self.main_module})
        return frozenset({self.main_module})

    def push_target(self, books: Mapping[str, Any]) -> str | None:
        """Section 4: where an unlinked Books record goes in CRM. With ``accounts_and_contacts`` and
        no unassociated contacts an individual customer's target is left open (None): the contract
        does not say, so the checks accept either not pushing it or pushing it to Contacts."""
        if self.module != "customers":
            return self.main_module
        if self.source in ("accounts", "contacts"):
            return self.main_module
        if books.get("customer_sub_type") == "individual":
            return "Contacts" if self.unassociated else None
        return "Accounts"


def multi_mapped(field_map: Sequence[Pair], mandatory: Pair) -> dict[str, str]:
    """MULTIMAP-PRIORITY: for each CRM field mapped from several Books fields, the Books field whose
    value is pushed: the mandatory one if it is among them, else the first in map order."""
    sources: dict[str, list[str]] = {}
    for books_path, crm_field in field_map:
        if books_path not in sources.setdefault(crm_field, []):
            sources[crm_field].append(books_path)
    chosen: dict[str, str] = {}
    for crm_field, books_paths in sources.items():
        if len(books_paths) < 2:
            continue
        chosen[crm_field] = mandatory[0] if mandatory[1] == crm_field else books_paths[0]
    return chosen


def strip_ids_and_times(value: Any) -> Any:
    """A record without ids and timestamps (FAULT-TOLERANT and RESUMABLE compare two worlds)."""
    volatile = {
        "id",
        "contact_id",
        "item_id",
        "address_id",
        "contact_person_id",
        "Created_Time",
        "Modified_Time",
        "Created_By",
        "Modified_By",
        "Owner",
        "Last_Activity_Time",
        "created_time",
        "last_modified_time",
    }
    if isinstance(value, Mapping):
        return {k: strip_ids_and_times(v) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [strip_ids_and_times(v) for v in value]
    return value
