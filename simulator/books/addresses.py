"""A contact's additional addresses (``/contacts/{contact_id}/address``), beside billing and shipping.

The list shows billing, shipping, then the additional ones (contacts.yml: "including its Shipping
Address, Billing Address and other additional addresses"); only additional ones are edited or
deleted here, billing and shipping change through the contact itself.
"""

from __future__ import annotations

from typing import Any

from simulator.books.address import Address
from simulator.books.errors import DoesNotExist, InvalidValue
from simulator.books.fields import ADDRESS_FIELDS, parse
from simulator.books.models import BooksOrg
from simulator.books.records import Contact


def list_addresses(org: BooksOrg, contact_id: str) -> list[dict[str, str]]:
    contact = org.get_contact(contact_id)
    return [dict(a) for a in (contact.billing_address, contact.shipping_address, *contact.addresses)]


def add_address(org: BooksOrg, contact_id: str, body: Any) -> dict[str, str]:
    contact = org.get_contact(contact_id)
    address = Address(org.new_id(), **parse(body, ADDRESS_FIELDS))
    contact.addresses.append(address)
    contact.last_modified_time = org.clock.now()
    org.reindex(contact)
    return dict(address)


def update_address(org: BooksOrg, contact_id: str, address_id: str, body: Any) -> dict[str, str]:
    """A partial update: the keys given change, the others stay."""
    contact = org.get_contact(contact_id)
    values = parse(body, ADDRESS_FIELDS)
    address = _additional(contact, address_id)
    if any(address[key] != value for key, value in values.items()):
        address.update(values)
        contact.last_modified_time = org.clock.now()
        org.reindex(contact)
    return dict(address)


def delete_address(org: BooksOrg, contact_id: str, address_id: str) -> None:
    contact = org.get_contact(contact_id)
    address = _additional(contact, address_id)
    contact.addresses = [a for a in contact.addresses if a is not address]
    contact.last_modified_time = org.clock.now()
    org.reindex(contact)


def _additional(contact: Contact, address_id: str) -> Address:
    found = next((a for a in contact.addresses if a.address_id == address_id), None)
    if found is not None:
        return found
    if address_id in (contact.billing_address.address_id, contact.shipping_address.address_id):
        # UNVERIFIED: Zoho's answer for the billing or shipping address here is not documented.
        raise InvalidValue("address_id")
    raise DoesNotExist(entity="Address")
