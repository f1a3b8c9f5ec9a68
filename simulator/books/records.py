"""The records a Books org holds, and how the API shows them: contacts, persons, items, the org.

Times are stored as aware datetimes and shown in the org's time zone, in Books' format
(``2013-08-05T12:06:10+0530``). Empty values are ``""``, never null: the OpenAPI types are strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from simulator.books.address import Address
from simulator.books.editions import DEFAULT_EDITION, EDITIONS, Edition, TaxField
from simulator.clock import books_datetime
from simulator.fastdict import asdict

COMMUNICATION_KEYS = ("is_sms_enabled", "is_whatsapp_enabled")
#: A contact's default templates (contacts.yml ``default_templates``): "" means the org's default.
TEMPLATE_KEYS = tuple(
    f"{kind}_template_id"
    for kind in (
        "invoice",
        "estimate",
        "creditnote",
        "purchaseorder",
        "salesorder",
        "retainerinvoice",
        "paymentthankyou",
        "retainerinvoice_paymentthankyou",
        "bill",
        "statement",
        "invoice_email",
        "estimate_email",
        "creditnote_email",
        "purchaseorder_email",
        "salesorder_email",
        "retainerinvoice_email",
        "paymentthankyou_email",
        "retainerinvoice_paymentthankyou_email",
        "payment_remittance_email",
    )
)
US = EDITIONS[DEFAULT_EDITION]


def edition_values(
    fields: Mapping[str, TaxField], stored: Mapping[str, Any], edition: Edition
) -> dict[str, Any]:
    """The edition's own fields: what a request set, else the field's default there."""
    return {
        name: stored[name] if name in stored else spec.default_in(edition.code)
        for name, spec in fields.items()
    }


def _communication_preference() -> dict[str, bool]:
    return dict.fromkeys(COMMUNICATION_KEYS, False)


@dataclass(slots=True)
class ContactPerson:
    contact_person_id: str
    salutation: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    designation: str = ""
    department: str = ""
    skype: str = ""
    is_primary_contact: bool = False
    enable_portal: bool = False
    communication_preference: dict[str, bool] = field(default_factory=_communication_preference)

    def to_api(self) -> dict[str, Any]:
        return asdict(self)


#: What a row shows for a contact with no primary person (only read, never changed).
_NO_PERSON = ContactPerson("")


class _RowCache:
    """The ``rendered`` slot: a contact's list row as JSON (``books/rows.py``), not a field."""

    __slots__ = ("rendered",)
    rendered: Any


@dataclass(slots=True)  # no per-record __dict__: 40% of a seeded contact's memory
class Contact(_RowCache):
    contact_id: str
    contact_name: str
    contact_type: str
    created_time: datetime
    last_modified_time: datetime
    billing_address: Address
    shipping_address: Address
    currency_id: str
    currency_code: str
    currency_symbol: str
    company_name: str = ""
    customer_sub_type: str = "business"
    status: str = "active"
    website: str = ""
    notes: str = ""
    language_code: str = "en"
    payment_terms: int = 0
    payment_terms_label: str = "Due on Receipt"
    credit_limit: float = 0
    owner_id: str = ""
    pricebook_id: str = ""
    contact_number: str = ""
    facebook: str = ""
    twitter: str = ""
    is_portal_enabled: bool = False
    payment_reminder_enabled: bool = True
    contact_persons: list[ContactPerson] = field(default_factory=list)
    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    #: Additional addresses (``/contacts/{id}/address``), beside billing and shipping.
    addresses: list[Address] = field(default_factory=list)
    #: Values of the edition's own fields that a request set (see ``editions``).
    tax: dict[str, Any] = field(default_factory=dict)
    source: str = "user"
    zcrm_account_id: str = ""
    zcrm_contact_id: str = ""
    zcrm_vendor_id: str = ""
    crm_owner_id: str = ""

    def __setattr__(self, name: str, value: Any) -> None:
        """Any change to the contact drops its cached row, whatever path it comes by."""
        object.__setattr__(self, name, value)
        if name != "rendered":
            object.__setattr__(self, "rendered", None)

    @property
    def is_linked_with_zohocrm(self) -> bool:
        return bool(self.zcrm_account_id or self.zcrm_contact_id or self.zcrm_vendor_id)

    @property
    def primary_person(self) -> ContactPerson | None:
        for person in self.contact_persons:
            if person.is_primary_contact:
                return person
        return None

    def person(self, contact_person_id: str) -> ContactPerson | None:
        return next((p for p in self.contact_persons if p.contact_person_id == contact_person_id), None)

    def to_api(self, time_zone: timezone, edition: Edition = US) -> dict[str, Any]:
        """The object ``GET /contacts/{id}`` returns, with the edition's tax fields."""
        primary = self.primary_person
        detail: dict[str, Any] = {
            "contact_id": self.contact_id,
            "contact_name": self.contact_name,
            "company_name": self.company_name,
            "has_transaction": False,
            "contact_type": self.contact_type,
            "customer_sub_type": self.customer_sub_type,
            "credit_limit": self.credit_limit,
            "is_portal_enabled": self.is_portal_enabled,
            "language_code": self.language_code,
            "is_linked_with_zohocrm": self.is_linked_with_zohocrm,
            "website": self.website,
            "owner_id": self.owner_id,
            "primary_contact_id": primary.contact_person_id if primary else "",
            "pricebook_id": self.pricebook_id,
            "contact_number": self.contact_number,
            "payment_terms": self.payment_terms,
            "payment_terms_label": self.payment_terms_label,
            "currency_id": self.currency_id,
            "currency_code": self.currency_code,
            "currency_symbol": self.currency_symbol,
            "opening_balances": [],
            "outstanding_receivable_amount": 0,
            "outstanding_receivable_amount_bcy": 0,
            "unused_credits_receivable_amount": 0,
            "unused_credits_receivable_amount_bcy": 0,
            "status": self.status,
            "payment_reminder_enabled": self.payment_reminder_enabled,
            "custom_fields": [dict(entry) for entry in self.custom_fields] if self.custom_fields else [],
            "billing_address": dict(self.billing_address),
            "shipping_address": dict(self.shipping_address),
            "addresses": [dict(address) for address in self.addresses],
            "facebook": self.facebook,
            "twitter": self.twitter,
            "contact_persons": [person.to_api() for person in self.contact_persons],
            "default_templates": dict.fromkeys(TEMPLATE_KEYS, ""),
            "notes": self.notes,
            "tags": [],
            "source": self.source,
            "crm_owner_id": self.crm_owner_id,
            "zcrm_account_id": self.zcrm_account_id,
            "zcrm_contact_id": self.zcrm_contact_id,
            "is_crm_customer": self.is_linked_with_zohocrm and self.contact_type == "customer",
            "ignore_auto_number_generation": False,
            "tax_authority_name": "",
            "tax_percentage": 0,
            **edition_values(edition.contact_fields(), self.tax, edition),
            "created_time": books_datetime(self.created_time, time_zone),
            "last_modified_time": books_datetime(self.last_modified_time, time_zone),
        }
        if self.contact_type == "vendor":
            detail["zcrm_vendor_id"] = self.zcrm_vendor_id
        return detail

    def to_row(self, time_zone: timezone) -> dict[str, Any]:
        """A row of ``GET /contacts``: names and the primary person's first/last name, email and phones."""
        primary = self.primary_person or _NO_PERSON
        row: dict[str, Any] = {
            "contact_id": self.contact_id,
            "contact_name": self.contact_name,
            "customer_name": self.contact_name,
            "vendor_name": self.contact_name,
            "company_name": self.company_name,
            "website": self.website,
            "contact_type": self.contact_type,
            "customer_sub_type": self.customer_sub_type,
            "status": self.status,
            "payment_terms": self.payment_terms,
            "payment_terms_label": self.payment_terms_label,
            "currency_id": self.currency_id,
            "currency_code": self.currency_code,
            "outstanding_receivable_amount": 0,
            "unused_credits_receivable_amount": 0,
            "first_name": primary.first_name,
            "last_name": primary.last_name,
            "email": primary.email,
            "phone": primary.phone,
            "mobile": primary.mobile,
            "is_linked_with_zohocrm": self.is_linked_with_zohocrm,
            "zcrm_account_id": self.zcrm_account_id,
            "zcrm_contact_id": self.zcrm_contact_id,
            "source": self.source,
            "custom_fields": [dict(entry) for entry in self.custom_fields] if self.custom_fields else [],
            "created_time": books_datetime(self.created_time, time_zone),
            "last_modified_time": books_datetime(self.last_modified_time, time_zone),
        }
        if self.contact_type == "vendor":
            row["zcrm_vendor_id"] = self.zcrm_vendor_id
        return row


@dataclass(slots=True)
class Item:
    item_id: str
    name: str
    rate: float
    created_time: datetime
    last_modified_time: datetime
    description: str = ""
    sku: str = ""
    unit: str = ""
    status: str = "active"
    product_type: str = "goods"
    item_type: str = "sales"
    tax_id: str = ""
    purchase_rate: float = 0
    purchase_description: str = ""
    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    #: Values of the edition's own fields that a request set (see ``editions``).
    tax: dict[str, Any] = field(default_factory=dict)
    source: str = "user"
    zcrm_product_id: str = ""
    crm_owner_id: str = ""

    @property
    def is_linked_with_zohocrm(self) -> bool:
        return bool(self.zcrm_product_id)

    def to_api(self, time_zone: timezone, edition: Edition = US) -> dict[str, Any]:
        """An item as ``GET /items/{id}`` and the list rows show it, with the edition's tax fields."""
        return {
            "item_id": self.item_id,
            "name": self.name,
            "item_name": self.name,
            "status": self.status,
            "description": self.description,
            "rate": self.rate,
            "unit": self.unit,
            "sku": self.sku,
            "product_type": self.product_type,
            "item_type": self.item_type,
            "tax_id": self.tax_id,
            "tax_name": "",
            "tax_percentage": "0%",  # items.yml: a string ("70%"); a contact's is a number
            "tax_type": "",
            **edition_values(edition.item_fields(), self.tax, edition),
            "purchase_rate": self.purchase_rate,
            "purchase_description": self.purchase_description,
            "custom_fields": [dict(entry) for entry in self.custom_fields] if self.custom_fields else [],
            "source": self.source,
            "is_linked_with_zohocrm": self.is_linked_with_zohocrm,
            "zcrm_product_id": self.zcrm_product_id,
            "crm_owner_id": self.crm_owner_id,
            "is_combo_product": False,
            "locations": [],
            "created_time": books_datetime(self.created_time, time_zone),
            "last_modified_time": books_datetime(self.last_modified_time, time_zone),
        }


@dataclass
class OrgProfile:
    """What ``GET /organizations`` tells about the org. Its time zone is a fixed offset."""

    name: str
    contact_name: str
    email: str
    account_created_date: str
    currency_id: str
    time_zone_name: str = "Asia/Calcutta"
    utc_offset_minutes: int = 330
    currency_code: str = "USD"
    currency_symbol: str = "$"
    plan_name: str = "PROFESSIONAL"
    plan_type: int = 130
    #: The edition code (``editions.EDITIONS``): the country whose tax fields the org's records carry.
    edition: str = DEFAULT_EDITION

    @property
    def time_zone(self) -> timezone:
        return timezone(timedelta(minutes=self.utc_offset_minutes))

    def summary(self, organization_id: str) -> dict[str, Any]:
        """A row of ``GET /organizations``."""
        created = date.fromisoformat(self.account_created_date)
        return {
            "organization_id": organization_id,
            "name": self.name,
            "contact_name": self.contact_name,
            "email": self.email,
            "is_default_org": True,
            "plan_type": self.plan_type,
            "tax_group_enabled": True,
            "zi_migration_status": 0,
            "plan_name": self.plan_name,
            "plan_period": "Monthly",
            "language_code": "en",
            "fiscal_year_start_month": 0,
            "account_created_date": self.account_created_date,
            "account_created_date_formatted": created.strftime("%d %b %Y"),
            "time_zone": self.time_zone_name,
            "is_org_active": True,
            "currency_id": self.currency_id,
            "currency_code": self.currency_code,
            "currency_symbol": self.currency_symbol,
            "currency_format": "###,##0.00",
            "price_precision": 2,
        }

    def detail(self, organization_id: str) -> dict[str, Any]:
        """``GET /organizations/{organization_id}``: the summary plus profile and address fields."""
        address_keys = ("street_address1", "street_address2", "city", "state", "country", "zip")
        return self.summary(organization_id) | {
            "date_format": "dd MMM yyyy",
            "field_separator": " ",
            "industry_type": "",
            "industry_size": "",
            "company_id_label": "Company ID",
            "company_id_value": "",
            "tax_id_label": "Tax ID",
            "tax_id_value": "",
            "org_address": "",
            "remit_to_address": "",
            "phone": "",
            "fax": "",
            "website": "",
            "address": dict.fromkeys(address_keys, "") | {"country": EDITIONS[self.edition].country},
            "custom_fields": [],
        }


@dataclass
class CustomField:
    """One of the org's custom field definitions (Settings → Preferences → <entity> → Field Customization)."""

    customfield_id: str
    entity: str  # "contact" or "item"
    index: int
    label: str
    api_name: str
    data_type: str = "string"
    #: "Do not allow duplicate values": the field can name a record in ``PUT /contacts`` and ``PUT /items``.
    is_unique: bool = False

    def entry(self, value: str) -> dict[str, Any]:
        """A record's value as replies show it (contacts document index/label/value, items customfield_id)."""
        return {
            "customfield_id": self.customfield_id,
            "index": self.index,
            "label": self.label,
            "api_name": self.api_name,
            "data_type": self.data_type,
            "value": value,
        }


@dataclass
class Page:
    rows: list[Any]  # dicts, or each row's JSON (``rows.contact_json``)
    page: int
    per_page: int
    has_more_page: bool
    sort_column: str
    sort_order: str
    report_name: str
    applied_filter: str | None = None

    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = {
            "page": self.page,
            "per_page": self.per_page,
            "has_more_page": self.has_more_page,
        }
        if self.applied_filter is not None:
            context["applied_filter"] = self.applied_filter
        return context | {
            "sort_column": self.sort_column,
            "sort_order": self.sort_order,
            "report_name": self.report_name,
        }


def person_json(contact_id: str, person: ContactPerson) -> dict[str, Any]:
    """A contact person as the contact-person endpoints return it: with its contact's id."""
    return {"contact_id": contact_id, **person.to_api(), "is_added_in_portal": person.enable_portal}
