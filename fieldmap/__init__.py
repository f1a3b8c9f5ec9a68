"""The contract's modules and default field maps: how a CRM record and a Books record correspond
(module specs, match keys, value conversion both ways, and the push rule for a CRM field mapped
from several Books fields).

Pure functions on plain dicts, shared by the reference syncer (``syncer/``) and the simulator's
Books CRM-import endpoints, so an imported record and a synced record are built by the same code
and neither depends on the other.

Books fields are named by path: ``contact_name``, ``billing_address.city``, and
``primary_contact.email`` for the customer's (or vendor's) primary contact person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ADDRESS_KEYS = ("attention", "address", "street2", "city", "state", "zip", "country", "phone", "fax")
PERSON_KEYS = (
    "salutation",
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "designation",
    "department",
)
#: Books fields a map may name, per Books collection.
BOOKS_CONTACT_FIELDS = frozenset(
    {"contact_name", "company_name", "website", "notes", "payment_terms", "currency_code"}
    | {f"{side}_address.{key}" for side in ("billing", "shipping") for key in ADDRESS_KEYS}
    | {f"primary_contact.{key}" for key in PERSON_KEYS}
)
BOOKS_ITEM_FIELDS = frozenset({"name", "rate", "sku", "description", "unit", "status", "product_type"})


@dataclass(frozen=True)
class FieldPair:
    """One line of a field map: the Books field takes the CRM field's value."""

    books: str
    crm: str


@dataclass(frozen=True)
class ModuleSpec:
    """How one CRM module pairs with one kind of Books record."""

    key: str
    crm_module: str
    books_collection: str  # "contacts" or "items"
    contact_type: str | None  # "customer" or "vendor" (contacts only)
    customer_sub_type: str | None  # "business" or "individual" (customers only)
    link_field: str
    books_name: str
    crm_name: str
    default_map: tuple[FieldPair, ...]

    @property
    def mandatory(self) -> FieldPair:
        return FieldPair(self.books_name, self.crm_name)

    @property
    def books_fields(self) -> frozenset[str]:
        return BOOKS_ITEM_FIELDS if self.books_collection == "items" else BOOKS_CONTACT_FIELDS


def _pairs(*pairs: tuple[str, str]) -> tuple[FieldPair, ...]:
    return tuple(FieldPair(books, crm) for books, crm in pairs)


def _address(side: str, prefix: str, zip_field: str) -> tuple[tuple[str, str], ...]:
    return (
        (f"{side}_address.address", f"{prefix}_Street"),
        (f"{side}_address.city", f"{prefix}_City"),
        (f"{side}_address.state", f"{prefix}_State"),
        (f"{side}_address.zip", zip_field),
        (f"{side}_address.country", f"{prefix}_Country"),
    )


ACCOUNTS = ModuleSpec(
    key="accounts",
    crm_module="Accounts",
    books_collection="contacts",
    contact_type="customer",
    customer_sub_type="business",
    link_field="zcrm_account_id",
    books_name="contact_name",
    crm_name="Account_Name",
    default_map=_pairs(
        ("contact_name", "Account_Name"),
        ("company_name", "Account_Name"),
        ("website", "Website"),
        ("billing_address.phone", "Phone"),
        *_address("billing", "Billing", "Billing_Code"),
        *_address("shipping", "Shipping", "Shipping_Code"),
    ),
)
CONTACTS = ModuleSpec(
    key="contacts",
    crm_module="Contacts",
    books_collection="contacts",
    contact_type="customer",
    customer_sub_type="individual",
    link_field="zcrm_contact_id",
    books_name="contact_name",
    crm_name="Full_Name",
    default_map=_pairs(
        ("contact_name", "Full_Name"),
        ("primary_contact.first_name", "First_Name"),
        ("primary_contact.last_name", "Last_Name"),
        ("primary_contact.email", "Email"),
        ("primary_contact.phone", "Phone"),
        ("primary_contact.mobile", "Mobile"),
        *_address("billing", "Mailing", "Mailing_Zip"),
    ),
)
VENDORS = ModuleSpec(
    key="vendors",
    crm_module="Vendors",
    books_collection="contacts",
    contact_type="vendor",
    customer_sub_type=None,
    link_field="zcrm_vendor_id",
    books_name="contact_name",
    crm_name="Vendor_Name",
    default_map=_pairs(
        ("contact_name", "Vendor_Name"),
        ("company_name", "Vendor_Name"),
        ("website", "Website"),
        ("primary_contact.email", "Email"),
        ("primary_contact.phone", "Phone"),
        ("billing_address.address", "Street"),
        ("billing_address.city", "City"),
        ("billing_address.state", "State"),
        ("billing_address.zip", "Zip_Code"),
        ("billing_address.country", "Country"),
    ),
)
PRODUCTS = ModuleSpec(
    key="products",
    crm_module="Products",
    books_collection="items",
    contact_type=None,
    customer_sub_type=None,
    link_field="zcrm_product_id",
    books_name="name",
    crm_name="Product_Name",
    default_map=_pairs(
        ("name", "Product_Name"),
        ("rate", "Unit_Price"),
        ("sku", "Product_Code"),
        ("description", "Description"),
        ("status", "Product_Active"),
    ),
)
SPECS = {spec.key: spec for spec in (ACCOUNTS, CONTACTS, VENDORS, PRODUCTS)}
SPEC_BY_MODULE = {spec.crm_module: spec for spec in SPECS.values()}

#: With ``accounts_and_contacts``, a CRM contact becomes a contact person of its account's customer.
PERSON_MAP = _pairs(
    ("first_name", "First_Name"),
    ("last_name", "Last_Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("mobile", "Mobile"),
    ("designation", "Title"),
    ("department", "Department"),
)
#: CRM fields the syncer computes rather than reads or writes as they are.
DERIVED_CRM_FIELDS = {"Full_Name": ("First_Name", "Last_Name")}


def match_key(text: object) -> str:
    """Names match after trimming, folding runs of white space to one space, and ignoring case."""
    return " ".join(str(text or "").split()).casefold()


def same(left: object, right: object) -> bool:
    """Equal as a sync sees it: empty is empty (None, "", missing), and 12 == 12.0. Text is compared
    as is: " Acme " is not "Acme" (an overwrite must give every mapped field the CRM value)."""
    return _comparable(left) == _comparable(right)


def _comparable(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


# ---- reading values -------------------------------------------------------------------------


def crm_value(record: Mapping[str, Any], crm_field: str) -> Any:
    if crm_field == "Full_Name":
        first, last = record.get("First_Name") or "", record.get("Last_Name") or ""
        return f"{first} {last}".strip() or record.get("Full_Name")
    value = record.get(crm_field)
    if isinstance(value, Mapping):  # a lookup reads as {"name", "id"}
        return value.get("name")
    return value


def books_value(record: Mapping[str, Any], path: str) -> Any:
    head, _, key = path.partition(".")
    if not key:
        return record.get(path)
    if head == "primary_contact":
        person = primary_person(record)
        return person.get(key) if person else None
    container = record.get(head) or {}
    return container.get(key)


def primary_person(record: Mapping[str, Any]) -> dict[str, Any] | None:
    persons = record.get("contact_persons") or []
    return next((p for p in persons if p.get("is_primary_contact")), persons[0] if persons else None)


# ---- CRM -> Books ---------------------------------------------------------------------------


def to_books(field_map: Sequence[FieldPair], crm_record: Mapping[str, Any]) -> dict[str, Any]:
    """The Books value of every mapped field, from a CRM record (in map order; a later pair
    for the same Books field does not override an earlier one)."""
    values: dict[str, Any] = {}
    for pair in field_map:
        if pair.books not in values:
            values[pair.books] = _books_form(pair, crm_value(crm_record, pair.crm))
    return values


def _books_form(pair: FieldPair, value: Any) -> Any:
    if pair.books == "status":
        return "inactive" if value is False or value == "false" else "active"
    if pair.books == "rate":
        return _number(value)
    return "" if value is None else value


def differences(wanted: Mapping[str, Any], books_record: Mapping[str, Any]) -> dict[str, Any]:
    """The mapped Books fields whose value differs from ``wanted``."""
    return {path: value for path, value in wanted.items() if not same(value, books_value(books_record, path))}


def books_body(
    spec: ModuleSpec, values: Mapping[str, Any], existing: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A Books create/update body that sets ``values`` and keeps everything else.

    Books replaces nested objects wholesale and treats ``contact_persons`` as a replace-set, so an
    address is sent whole and every existing person is sent back with its id.
    """
    existing = existing or {}
    body: dict[str, Any] = {}
    if existing == {} and spec.books_collection == "contacts":
        body["contact_type"] = spec.contact_type
        if spec.customer_sub_type:
            body["customer_sub_type"] = spec.customer_sub_type
    person_values: dict[str, Any] = {}
    for path, value in values.items():
        head, _, key = path.partition(".")
        if not key:
            if path != "status":  # status has its own endpoints (active/inactive)
                body[path] = value
        elif head == "primary_contact":
            person_values[key] = value
        else:
            address = body.setdefault(head, _address_of(existing, head))
            address[key] = "" if value is None else value
    if person_values:
        name = values.get("contact_name") or existing.get("contact_name")
        body["contact_persons"] = _persons_with_primary(existing, person_values, name=name)
    if spec.books_collection == "items" and "rate" not in body and not existing:
        body["rate"] = 0
    return body


def _address_of(existing: Mapping[str, Any], head: str) -> dict[str, Any]:
    current = existing.get(head) or {}
    return {key: current.get(key, "") for key in ADDRESS_KEYS}


def _persons_with_primary(
    existing: Mapping[str, Any], values: Mapping[str, Any], *, name: object
) -> list[dict[str, Any]]:
    """Books needs a person's first name: with none mapped, the person takes the record's name."""
    persons = [person_for_write(p) for p in existing.get("contact_persons") or []]
    primary = next((p for p in persons if p.get("is_primary_contact")), persons[0] if persons else None)
    if primary is None:
        primary = {"is_primary_contact": True}
        persons.append(primary)
    primary.update({key: ("" if value is None else value) for key, value in values.items()})
    if not primary.get("first_name"):
        primary["first_name"] = primary.get("last_name") or name or "-"
    return persons


def person_for_write(person: Mapping[str, Any]) -> dict[str, Any]:
    """An existing contact person as it must be sent back in a ``contact_persons`` replace-set."""
    body = {key: person.get(key, "") for key in PERSON_KEYS}
    body["contact_person_id"] = person["contact_person_id"]
    body["is_primary_contact"] = bool(person.get("is_primary_contact"))
    return body


def person_body(person_map: Sequence[FieldPair], crm_contact: Mapping[str, Any]) -> dict[str, Any]:
    """A contact person (for ``accounts_and_contacts``) from a CRM contact."""
    body = {pair.books: _books_form(pair, crm_value(crm_contact, pair.crm)) for pair in person_map}
    if not body.get("first_name"):
        body["first_name"] = body.get("last_name") or "-"
    return body


# ---- Books -> CRM ---------------------------------------------------------------------------


def push_sources(spec: ModuleSpec, field_map: Sequence[FieldPair]) -> dict[str, str]:
    """For each CRM field, the Books field whose value is pushed to it: the mandatory pair when it
    is among those mapping to that CRM field, else the first in map order (MULTIMAP-PRIORITY)."""
    sources: dict[str, str] = {}
    for pair in field_map:
        sources.setdefault(pair.crm, pair.books)
    if spec.mandatory in field_map:
        sources[spec.crm_name] = spec.books_name
    return sources


def to_crm(
    spec: ModuleSpec, field_map: Sequence[FieldPair], books_record: Mapping[str, Any]
) -> dict[str, Any]:
    """The CRM value of every mapped CRM field, from a Books record. A derived CRM field (a
    contact's ``Full_Name``) is written through the fields it is made of."""
    values: dict[str, Any] = {}
    derived: set[str] = set()
    sources = sorted(push_sources(spec, field_map).items(), key=lambda s: s[0] not in DERIVED_CRM_FIELDS)
    for crm_field, books_field in sources:
        value = _crm_form(crm_field, books_value(books_record, books_field))
        if crm_field in DERIVED_CRM_FIELDS:  # the name (mandatory) wins over its parts' own pairs
            values.update(zip(DERIVED_CRM_FIELDS[crm_field], split_name(value), strict=True))
            derived.update(DERIVED_CRM_FIELDS[crm_field])
        elif crm_field not in derived:
            values[crm_field] = value
    if spec.key == "contacts" and not values.get("Last_Name"):
        values["Last_Name"] = split_name(books_value(books_record, "contact_name"))[1]
    return values


def _crm_form(crm_field: str, value: Any) -> Any:
    if crm_field == "Product_Active":
        return value != "inactive"
    if crm_field == "Unit_Price":
        return _number(value)
    return None if value == "" else value


def split_name(full: object) -> tuple[str | None, str]:
    """``"Ada King Lovelace"`` → (``"Ada King"``, ``"Lovelace"``); CRM needs a last name."""
    words = str(full or "").split()
    if not words:
        return None, "-"
    return (" ".join(words[:-1]) or None), words[-1]


def crm_differences(wanted: Mapping[str, Any], crm_record: Mapping[str, Any]) -> dict[str, Any]:
    return {field: value for field, value in wanted.items() if not same(value, crm_value(crm_record, field))}


def crm_fields_read(field_map: Iterable[FieldPair]) -> list[str]:
    """The CRM fields to request: every mapped one, with a derived field's parts."""
    fields: list[str] = []
    for pair in field_map:
        for name in DERIVED_CRM_FIELDS.get(pair.crm, (pair.crm,)):
            if name not in fields:
                fields.append(name)
    return fields


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
