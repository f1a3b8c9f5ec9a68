"""A Zoho Books organization's state and rules: contacts (customers, vendors), persons and items.

It knows nothing of HTTP. Bodies arrive as parsed JSON and list criteria as a mapping of
strings; bad input raises the catalogue's errors before anything is written. Times read the
virtual clock, and ``last_modified_time`` moves only when a write really changes a record.
API limits and their headers are the gate's business (``simulator.limits``), not the org's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timezone
from typing import Any

from simulator.books import customfields, queries, rows
from simulator.books.address import Address
from simulator.books.editions import EDITIONS, Edition
from simulator.books.errors import DoesNotExist, DuplicateName, InvalidValue
from simulator.books.fields import (
    CONTACT_FIELDS,
    ITEM_FIELDS,
    PERSON_FIELDS,
    check_registration,
    parse,
    parse_tax,
    payment_terms_label,
)
from simulator.books.indexes import BooksIndexes, Indexed, KeptIndex
from simulator.books.records import (
    Contact,
    ContactPerson,
    CustomField,
    Item,
    OrgProfile,
    Page,
    edition_values,
)
from simulator.clock import Clock
from simulator.events import Observer, Operation, RecordChange
from simulator.fastdict import asdict
from simulator.ids import IdSequence, normalize_id

_TIMES = ("created_time", "last_modified_time")


class BooksOrg:
    def __init__(
        self,
        *,
        organization_id: str,
        profile: OrgProfile,
        clock: Clock,
        ids: IdSequence,
        allow_duplicate_names: bool = True,
        custom_fields: list[CustomField] | None = None,
    ) -> None:
        self.organization_id = organization_id
        self.profile = profile
        self.clock = clock
        self.ids = ids
        #: Books' "Allow duplicates for customer and vendor display name" preference (on by default).
        self.allow_duplicate_names = allow_duplicate_names
        #: The org's custom field definitions, contacts' and items' alike (``CustomField.entity``).
        self.custom_fields: list[CustomField] = custom_fields or []
        self.contacts: dict[str, Contact] = {}
        self.items: dict[str, Item] = {}
        #: Called with every record change (``simulator.events``): webhooks listen here.
        self.observers: list[Observer] = []
        #: The sort orders lists have asked for, and records by the values selective filters and
        #: lookups ask for (CRM ids, statuses, names, person ids): built on first use, then kept
        #: by ``reindex`` after every write, so that a list page costs a page.
        self.indexes = BooksIndexes()

    @property
    def time_zone(self) -> timezone:
        return self.profile.time_zone

    @property
    def edition(self) -> Edition:
        return EDITIONS[self.profile.edition]

    def show_contact(self, contact: Contact) -> dict[str, Any]:
        return contact.to_api(self.time_zone, self.edition)

    def show_item(self, item: Item) -> dict[str, Any]:
        return item.to_api(self.time_zone, self.edition)

    def definitions(self, entity: str) -> list[CustomField]:
        return [d for d in self.custom_fields if d.entity == entity]

    def new_id(self) -> str:
        return self.ids()

    def organization_summary(self) -> dict[str, Any]:
        return self.profile.summary(self.organization_id)

    def organization_detail(self) -> dict[str, Any]:
        return self.profile.detail(self.organization_id)

    # -- contacts -------------------------------------------------------------------------------

    def add_contact(self, contact: Contact) -> Contact:
        """Store a fully built contact as is (seeding, snapshots); the API goes through create_contact."""
        self.contacts[contact.contact_id] = contact
        self.reindex(contact)
        self._changed("contact", "create", contact.contact_id, contact)
        return contact

    def get_contact(self, contact_id: str) -> Contact:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise DoesNotExist(entity="Contact")
        return contact

    def list_contacts(self, criteria: Mapping[str, str], *, as_json: bool = False) -> Page:
        """A page of contacts; with ``as_json`` each row is its JSON (``rows.contact_json``)."""
        zone = self.time_zone
        return queries.contact_page(
            self.contacts.values(),
            criteria,
            time_zone=zone,
            edition=self.edition,
            ordered=lambda column, descending: self._in_order("contact", column, descending),
            indexed=self._indexed("contact"),
            render=(lambda contact: rows.contact_json(contact, zone)) if as_json else None,
        )

    def create_contact(self, body: Any) -> Contact:
        values = parse(body, CONTACT_FIELDS)
        if not values.get("contact_name", "").strip():
            raise InvalidValue("contact_name")
        self._check_currency(body)
        contact_type = values.setdefault("contact_type", "customer")
        self._check_name_free(values["contact_name"], contact_type)
        tax = self._contact_tax(body, {})
        custom = self._custom_values("contact", [], values.pop("custom_fields", []), self.contacts.values())
        now = self.clock.now()
        contact = Contact(
            contact_id=self.new_id(),
            contact_name=values["contact_name"],
            contact_type=contact_type,
            created_time=now,
            last_modified_time=now,
            billing_address=Address(self.new_id()),
            shipping_address=Address(self.new_id()),
            currency_id=self.profile.currency_id,
            currency_code=self.profile.currency_code,
            currency_symbol=self.profile.currency_symbol,
        )
        _assign(contact, values)
        contact.tax, contact.custom_fields = tax, custom
        if "contact_persons" in body:
            contact.contact_persons = self._replace_persons(contact, body["contact_persons"])
        return self.add_contact(contact)

    def update_contact(self, contact_id: str, body: Any) -> Contact:
        """A partial update: top-level keys merge, addresses are replaced whole, persons are a replace-set."""
        contact = self.get_contact(contact_id)
        values = parse(body, CONTACT_FIELDS)
        if "contact_name" in values and not values["contact_name"].strip():
            raise InvalidValue("contact_name")
        self._check_currency(body)
        name = values.get("contact_name", contact.contact_name)
        contact_type = values.get("contact_type", contact.contact_type)
        if (name, contact_type) != (contact.contact_name, contact.contact_type):
            self._check_name_free(name, contact_type, ignore=contact.contact_id)
        persons = None
        if "contact_persons" in body:
            persons = self._replace_persons(contact, body["contact_persons"])
        tax = self._contact_tax(body, contact.tax)
        others = (c for c in self.contacts.values() if c is not contact)
        custom = self._custom_values(
            "contact", contact.custom_fields, values.pop("custom_fields", []), others
        )
        before = asdict(contact)
        _assign(contact, values)
        contact.tax, contact.custom_fields = tax, custom
        if persons is not None:
            contact.contact_persons = persons
        self._touch_if_changed(contact, before)
        return contact

    def delete_contact(self, contact_id: str) -> None:
        contact = self.get_contact(contact_id)
        self._changed("contact", "delete", contact_id, contact)
        del self.contacts[contact_id]
        self.reindex(contact)

    def set_contact_status(self, contact_id: str, *, active: bool) -> Contact:
        contact = self.get_contact(contact_id)
        before = asdict(contact)
        contact.status = "active" if active else "inactive"
        self._touch_if_changed(contact, before)
        return contact

    def link_contact(
        self,
        contact_id: str,
        *,
        zcrm_account_id: str | None = None,
        zcrm_contact_id: str | None = None,
        zcrm_vendor_id: str | None = None,
    ) -> Contact:
        """Record the CRM record a contact is synced with (for the CRM-import endpoints, not the API)."""
        contact = self.get_contact(contact_id)
        before = asdict(contact)
        links = {
            "zcrm_account_id": zcrm_account_id,
            "zcrm_contact_id": zcrm_contact_id,
            "zcrm_vendor_id": zcrm_vendor_id,
        }
        for name, value in links.items():
            if value is not None:
                setattr(contact, name, value)
        self._touch_if_changed(contact, before)
        return contact

    def _check_name_free(self, name: str, contact_type: str, *, ignore: str | None = None) -> None:
        """With duplicates disallowed, a display name is used once per contact type (exact comparison)."""
        if self.allow_duplicate_names:
            return
        for other_id in self._index("contact", "name").ids((contact_type, name.lower())):
            if self.contacts[other_id].contact_name == name and other_id != ignore:
                raise DuplicateName(name=name, contact_type=contact_type)

    def linked_contact(self, link: str, crm_id: str) -> Contact | None:
        """The contact synced with a CRM record: ``link`` (``zcrm_account_id``, ...) is ``crm_id``;
        the first created if there are several."""
        found = self._index("contact", link).ids(crm_id)
        return self.contacts[min(found, key=int)] if found else None

    def linked_item(self, crm_product_id: str) -> Item | None:
        """The item synced with a CRM product; the first created if there are several."""
        found = self._index("item", "zcrm_product_id").ids(crm_product_id)
        return self.items[min(found, key=int)] if found else None

    def _check_currency(self, body: Mapping[str, Any]) -> None:
        """The org has one currency, its base currency; a contact may name only that one."""
        currency_id = body.get("currency_id")
        if currency_id not in (None, "") and normalize_id(currency_id) != self.profile.currency_id:
            raise InvalidValue("currency_id")

    def _contact_tax(self, body: Mapping[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        """The contact's edition fields after this write, checked as a whole (registration numbers)."""
        edition = self.edition
        fields = edition.contact_fields()
        tax = current | parse_tax(body, fields, edition=edition.code)
        check_registration(edition, edition_values(fields, tax, edition))
        return tax

    def _custom_values(
        self, entity: str, current: list[dict[str, Any]], entries: list[dict[str, Any]], others: Any
    ) -> list[dict[str, Any]]:
        definitions = self.definitions(entity)
        values = customfields.merged(definitions, current, entries) if entries else list(current)
        customfields.check_unique(definitions, values, others)
        return values

    def _touch_if_changed(self, record: Contact | Item, before: dict[str, Any]) -> None:
        if asdict(record) != before:
            record.last_modified_time = self.clock.now()
            self.reindex(record)
            if isinstance(record, Item):
                self._changed("item", "edit", record.item_id, record)
            else:
                self._changed("contact", "edit", record.contact_id, record)

    def reindex(self, record: Contact | Item) -> None:
        """File a record written (created, changed or deleted) again in the kept sort orders and
        indexes."""
        now: Contact | Item | None
        if isinstance(record, Item):
            entity, record_id, now = "item", record.item_id, self.items.get(record.item_id)
        else:
            entity, record_id, now = "contact", record.contact_id, self.contacts.get(record.contact_id)
        self.indexes.refile(entity, record_id, now)

    def _table(self, entity: str) -> Mapping[str, Any]:
        return self.items if entity == "item" else self.contacts

    def _index(self, entity: str, name: str) -> KeptIndex:
        return self.indexes.index(entity, name, self._table(entity))

    def _indexed(self, entity: str) -> Indexed:
        return Indexed(self._table(entity), lambda name: self._index(entity, name))

    def _in_order(self, entity: str, column: str, descending: bool) -> Iterator[Any]:
        table = self._table(entity)
        key = queries.item_sort_key if entity == "item" else queries.contact_sort_key
        order = self.indexes.order(entity, column, table, key)
        return (table[record_id] for record_id in order.ids(descending=descending))

    def _changed(
        self, entity: str, operation: Operation, record_id: str, record: object, parent: Contact | None = None
    ) -> None:
        for observer in self.observers:
            observer(RecordChange("books", entity, operation, record_id, record, parent=parent))

    # -- contact persons -----------------------------------------------------------------------

    def _replace_persons(self, contact: Contact, entries: Any) -> list[ContactPerson]:
        """The new person list: entries with an id update that person, others are new, the rest go."""
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise InvalidValue("contact_persons")
        persons: list[ContactPerson] = []
        preferred: str | None = None
        for entry in entries:
            values = parse(entry, PERSON_FIELDS)
            person = self._kept_or_new_person(contact, entry, values, taken=persons)
            if values.get("is_primary_contact") and preferred is None:
                preferred = person.contact_person_id
            persons.append(person)
        _settle_primary(persons, preferred)
        return persons

    def _kept_or_new_person(
        self, contact: Contact, entry: dict[str, Any], values: dict[str, Any], *, taken: list[ContactPerson]
    ) -> ContactPerson:
        raw_id = entry.get("contact_person_id")
        if raw_id in (None, ""):
            return ContactPerson(self.new_id(), **values)
        person_id = normalize_id(raw_id)
        if person_id is None:
            raise InvalidValue("contact_person_id")
        existing = contact.person(person_id)
        if existing is None or any(p.contact_person_id == person_id for p in taken):
            raise DoesNotExist(entity="Contact person")
        return replace(existing, **values)

    def find_contact_person(self, contact_person_id: str) -> tuple[Contact, ContactPerson]:
        for contact_id in sorted(self._index("contact", "person").ids(contact_person_id), key=int):
            contact = self.contacts[contact_id]
            person = contact.person(contact_person_id)
            if person is not None:
                return contact, person
        raise DoesNotExist(entity="Contact person")

    def get_contact_person(self, contact_id: str, contact_person_id: str) -> ContactPerson:
        person = self.get_contact(contact_id).person(contact_person_id)
        if person is None:
            raise DoesNotExist(entity="Contact person")
        return person

    def list_contact_persons(self, contact_id: str, criteria: Mapping[str, str]) -> Page:
        contact = self.get_contact(contact_id)
        return queries.person_page(((contact_id, p) for p in contact.contact_persons), criteria)

    def list_all_contact_persons(self, criteria: Mapping[str, str]) -> Page:
        return queries.person_page(self._people_in_order(), criteria, in_order=True)

    def _people_in_order(self) -> Iterator[tuple[str, ContactPerson]]:
        """Every contact person with its contact's id, by person id, read from the kept index."""
        persons = self._index("contact", "person")
        for person_id in persons.keys_in_order():
            for contact_id in sorted(persons.ids(person_id), key=int):
                person = self.contacts[contact_id].person(person_id)
                if person is not None:
                    yield contact_id, person

    def create_contact_person(self, body: Any) -> tuple[Contact, ContactPerson]:
        """``POST /contacts/contactpersons``: the body names its contact; ``first_name`` is required (OAS)."""
        values = parse(body, PERSON_FIELDS)
        contact_id = normalize_id(body.get("contact_id"))
        if contact_id is None:
            raise InvalidValue("contact_id")
        contact = self.get_contact(contact_id)
        if not values.get("first_name", "").strip():
            raise InvalidValue("first_name")
        person = ContactPerson(self.new_id(), **values)
        contact.contact_persons.append(person)
        _settle_primary(
            contact.contact_persons, person.contact_person_id if person.is_primary_contact else None
        )
        contact.last_modified_time = self.clock.now()
        self.reindex(contact)
        self._changed("contact_person", "create", person.contact_person_id, person, contact)
        return contact, person

    def update_contact_person(self, contact_person_id: str, body: Any) -> tuple[Contact, ContactPerson]:
        """``PUT /contacts/contactpersons/{id}``: ``contact_id`` and ``first_name`` are required (OAS)."""
        values = parse(body, PERSON_FIELDS)
        contact, person = self.find_contact_person(contact_person_id)
        contact_id = normalize_id(body.get("contact_id"))
        if contact_id is None:
            raise InvalidValue("contact_id")
        if contact_id != contact.contact_id:
            raise DoesNotExist(entity="Contact person")
        if not values.get("first_name", "").strip():
            raise InvalidValue("first_name")
        before = asdict(contact)
        updated = replace(person, **values)
        contact.contact_persons = [updated if p is person else p for p in contact.contact_persons]
        # Unmarking the primary person keeps it primary: a contact with persons always has one.
        keep = values.get("is_primary_contact") or person.is_primary_contact
        _settle_primary(contact.contact_persons, updated.contact_person_id if keep else None)
        self._touch_if_changed(contact, before)
        self._changed("contact_person", "edit", updated.contact_person_id, updated, contact)
        return contact, updated

    def delete_contact_person(self, contact_person_id: str) -> Contact:
        """Deleting the primary person makes the next one primary (Zoho's behaviour here is UNVERIFIED)."""
        contact, person = self.find_contact_person(contact_person_id)
        contact.contact_persons = [p for p in contact.contact_persons if p is not person]
        _settle_primary(contact.contact_persons, None)
        contact.last_modified_time = self.clock.now()
        self.reindex(contact)
        self._changed("contact_person", "delete", person.contact_person_id, person, contact)
        return contact

    def mark_primary_contact_person(self, contact_person_id: str) -> Contact:
        contact, person = self.find_contact_person(contact_person_id)
        before = asdict(contact)
        _settle_primary(contact.contact_persons, person.contact_person_id)
        self._touch_if_changed(contact, before)
        return contact

    # -- items ----------------------------------------------------------------------------------

    def add_item(self, item: Item) -> Item:
        self.items[item.item_id] = item
        self.reindex(item)
        self._changed("item", "create", item.item_id, item)
        return item

    def get_item(self, item_id: str) -> Item:
        item = self.items.get(item_id)
        if item is None:
            raise DoesNotExist(entity="Item")
        return item

    def list_items(self, criteria: Mapping[str, str]) -> Page:
        return queries.item_page(
            self.items.values(),
            criteria,
            time_zone=self.time_zone,
            edition=self.edition,
            ordered=lambda column, descending: self._in_order("item", column, descending),
            indexed=self._indexed("item"),
        )

    def create_item(self, body: Any) -> Item:
        """Name and rate are required; names need not be unique (Books' error for that is UNVERIFIED)."""
        values = parse(body, ITEM_FIELDS)
        if not values.get("name", "").strip():
            raise InvalidValue("name")
        if "rate" not in values:
            raise InvalidValue("rate")
        edition = self.edition
        tax = parse_tax(body, edition.item_fields(), edition=edition.code)
        custom = self._custom_values("item", [], values.pop("custom_fields", []), self.items.values())
        now = self.clock.now()
        item = Item(
            self.new_id(), created_time=now, last_modified_time=now, tax=tax, custom_fields=custom, **values
        )
        return self.add_item(item)

    def update_item(self, item_id: str, body: Any) -> Item:
        item = self.get_item(item_id)
        values = parse(body, ITEM_FIELDS)
        if "name" in values and not values["name"].strip():
            raise InvalidValue("name")
        edition = self.edition
        tax = item.tax | parse_tax(body, edition.item_fields(), edition=edition.code)
        others = (i for i in self.items.values() if i is not item)
        custom = self._custom_values("item", item.custom_fields, values.pop("custom_fields", []), others)
        before = asdict(item)
        for key, value in values.items():
            setattr(item, key, value)
        item.tax, item.custom_fields = tax, custom
        self._touch_if_changed(item, before)
        return item

    def delete_item(self, item_id: str) -> None:
        item = self.get_item(item_id)
        self._changed("item", "delete", item_id, item)
        del self.items[item_id]
        self.reindex(item)

    def set_item_status(self, item_id: str, *, active: bool) -> Item:
        item = self.get_item(item_id)
        before = asdict(item)
        item.status = "active" if active else "inactive"
        self._touch_if_changed(item, before)
        return item

    def link_item(self, item_id: str, *, zcrm_product_id: str) -> Item:
        """Record the CRM product an item is synced with (the CRM-import endpoint)."""
        item = self.get_item(item_id)
        before = asdict(item)
        item.zcrm_product_id = zcrm_product_id
        self._touch_if_changed(item, before)
        return item

    # -- snapshots ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The whole org as JSON-ready data; ``from_json`` rebuilds it, and exports again byte for byte."""
        return {
            "organization_id": self.organization_id,
            "profile": asdict(self.profile),
            "allow_duplicate_names": self.allow_duplicate_names,
            "custom_fields": [asdict(definition) for definition in self.custom_fields],
            "ids": {"prefix": self.ids.prefix, "next_value": self.ids.next_value},
            "contacts": [_dump(contact) for contact in self.contacts.values()],
            "items": [_dump(item) for item in self.items.values()],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, clock: Clock) -> BooksOrg:
        org = cls(
            organization_id=data["organization_id"],
            profile=OrgProfile(**data["profile"]),
            clock=clock,
            ids=IdSequence(prefix=data["ids"]["prefix"], start=data["ids"]["next_value"]),
            allow_duplicate_names=data["allow_duplicate_names"],
            custom_fields=[CustomField(**raw) for raw in data.get("custom_fields", [])],
        )
        for raw in data["contacts"]:
            persons = [ContactPerson(**person) for person in raw["contact_persons"]]
            addresses = {
                "billing_address": Address(**raw["billing_address"]),
                "shipping_address": Address(**raw["shipping_address"]),
                "addresses": [Address(**address) for address in raw.get("addresses", [])],
            }
            org.add_contact(Contact(**_load(raw) | addresses | {"contact_persons": persons}))
        for raw in data["items"]:
            org.add_item(Item(**_load(raw)))
        return org


def _assign(contact: Contact, values: Mapping[str, Any]) -> None:
    """Set parsed top-level values; an address keeps its slot's ``address_id``."""
    for key, value in values.items():
        if key in ("billing_address", "shipping_address"):
            value = Address(getattr(contact, key).address_id, **value)
        setattr(contact, key, value)
    if "payment_terms" in values and "payment_terms_label" not in values:
        contact.payment_terms_label = payment_terms_label(values["payment_terms"])


def _settle_primary(persons: list[ContactPerson], preferred: str | None) -> None:
    """Exactly one primary person: the preferred one, else the first already primary, else the first."""
    if not persons:
        return
    primary = next((p for p in persons if p.contact_person_id == preferred), None)
    primary = primary or next((p for p in persons if p.is_primary_contact), persons[0])
    for person in persons:
        person.is_primary_contact = person is primary


def _dump(record: Contact | Item) -> dict[str, Any]:
    data = asdict(record)
    for name in _TIMES:
        data[name] = data[name].astimezone(UTC).isoformat()
    return data


def _load(raw: Mapping[str, Any]) -> dict[str, Any]:
    return dict(raw) | {name: datetime.fromisoformat(raw[name]) for name in _TIMES}
