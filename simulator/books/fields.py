"""Request bodies: the fields Books accepts on contacts, persons and items, each checked for type.

A wrong type raises ``Invalid value passed for <field>`` (code 2). Unknown keys are ignored, the
CRM link fields (``zcrm_*``) among them: only the CRM integration writes those.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from simulator.books.address import ADDRESS_KEYS
from simulator.books.editions import VAT_REG_NO_LENGTH, Edition, TaxField
from simulator.books.errors import InvalidValue
from simulator.books.records import COMMUNICATION_KEYS

CONTACT_TYPES = ("customer", "vendor")
CUSTOMER_SUB_TYPES = ("business", "individual")
PRODUCT_TYPES = ("goods", "service", "digital_service")
ITEM_TYPES = ("sales", "purchases", "sales_and_purchases", "inventory")
_INTEGER = re.compile(r"-?[0-9]{1,15}")


def _text(value: Any, name: str) -> str:
    """Strings; numbers are taken as their text (Zoho's own examples send ``"zip": 94588``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidValue(name)


def _integer(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise InvalidValue(name)


def number(value: Any, name: str) -> float:
    """A finite JSON number, or a numeric string (form clients send ``"rate": "12.5"``)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            raise InvalidValue(name) from None
        if math.isfinite(parsed):
            return int(parsed) if parsed.is_integer() else parsed
    raise InvalidValue(name)


def flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidValue(name)


def _choice(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def check(value: Any, name: str) -> str:
        if value not in choices:
            raise InvalidValue(name)
        return value

    return check


def _address(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidValue(name)
    return {key: _text(value.get(key), key) for key in ADDRESS_KEYS}


def _custom_fields(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise InvalidValue(name)
    parsed = []
    for entry in value:
        # Labels, ids and values are text, as Books documents them (``custom_fields[].value``: string):
        # a number becomes its text, null an empty string, anything else is refused.
        kept: dict[str, Any] = {
            key: _text(entry[key], name) for key in ("customfield_id", "label", "api_name") if key in entry
        }
        if "index" in entry:
            kept = {"index": _integer(entry["index"], name), **kept}
        kept = {key: kept[key] for key in ("customfield_id", "index", "label", "api_name") if key in kept}
        kept["value"] = _text(entry.get("value", ""), name)
        parsed.append(kept)
    return parsed


def _preference(value: Any, name: str) -> dict[str, bool]:
    if not isinstance(value, dict):
        raise InvalidValue(name)
    return {key: flag(value.get(key, False), name) for key in COMMUNICATION_KEYS}


Parser = Callable[[Any, str], Any]

_PERSON_TEXT = ("salutation", "first_name", "last_name", "email", "phone", "mobile", "designation")
PERSON_FIELDS: dict[str, Parser] = {
    **dict.fromkeys((*_PERSON_TEXT, "department", "skype"), _text),
    "is_primary_contact": flag,
    "enable_portal": flag,
    "communication_preference": _preference,
}
CONTACT_FIELDS: dict[str, Parser] = {
    **dict.fromkeys(
        (
            "contact_name",
            "company_name",
            "website",
            "notes",
            "language_code",
            "payment_terms_label",
            "owner_id",
            "pricebook_id",
            "contact_number",
            "facebook",
            "twitter",
        ),
        _text,
    ),
    "contact_type": _choice(CONTACT_TYPES),
    "customer_sub_type": _choice(CUSTOMER_SUB_TYPES),
    "payment_terms": _integer,
    "credit_limit": number,
    "is_portal_enabled": flag,
    "payment_reminder_enabled": flag,
    "billing_address": _address,
    "shipping_address": _address,
    "custom_fields": _custom_fields,
}
#: An additional address (``/contacts/{id}/address``): every key optional, a partial update merges.
ADDRESS_FIELDS: dict[str, Parser] = dict.fromkeys(ADDRESS_KEYS, _text)
#: Zoho names some fields differently in its errors (``Invalid value passed for Payment Terms``).
_ERROR_NAMES = {"payment_terms": "Payment Terms"}
ITEM_FIELDS: dict[str, Parser] = {
    **dict.fromkeys(("name", "description", "sku", "unit", "tax_id", "purchase_description"), _text),
    "rate": number,
    "purchase_rate": number,
    "product_type": _choice(PRODUCT_TYPES),
    "item_type": _choice(ITEM_TYPES),
    "custom_fields": _custom_fields,
}


def parse(body: Any, spec: Mapping[str, Parser]) -> dict[str, Any]:
    """The known fields of ``body``, each checked; unknown keys (``zcrm_*`` included) are ignored."""
    if not isinstance(body, dict):
        raise InvalidValue("JSONString")
    return {key: parser(body[key], _ERROR_NAMES.get(key, key)) for key, parser in spec.items() if key in body}


def payment_terms_label(days: int) -> str:
    """The label Books shows for a number of days; negative codes are rules whose labels come with them."""
    if days == 0:
        return "Due on Receipt"
    return f"Net {days}" if days > 0 else ""


def _tax_preferences(value: Any, name: str) -> list[dict[str, str]]:
    """India's ``item_tax_preferences``: ``[{"tax_id", "tax_specification": intra|inter}]`` (items.yml)."""
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise InvalidValue(name)
    preferences = []
    for entry in value:
        specification = entry.get("tax_specification")
        if specification not in ("intra", "inter"):
            raise InvalidValue("tax_specification")
        preferences.append(
            {"tax_id": _text(entry.get("tax_id"), "tax_id"), "tax_specification": specification}
        )
    return preferences


def parse_tax(body: Any, tax_fields: Mapping[str, TaxField], *, edition: str) -> dict[str, Any]:
    """The edition's own fields in ``body``, each checked; those of other editions are ignored."""
    values: dict[str, Any] = {}
    for name, spec in tax_fields.items():
        if name not in body:
            continue
        raw = body[name]
        if spec.kind == "flag":
            values[name] = flag(raw, name)
        elif spec.kind == "choice":
            values[name] = _choice(spec.choices[edition])(raw, name)
        elif spec.kind == "list":
            values[name] = _tax_preferences(raw, name)
        else:
            values[name] = _text(raw, name)
    return values


def check_registration(edition: Edition, values: Mapping[str, Any]) -> None:
    """A registered treatment needs its registration number, of the documented length; a UK/EU VAT
    number is 2 to 12 characters."""
    rule = edition.registration()
    if rule is not None:
        treatment, registered, number_field, length = rule
        if values.get(treatment) in registered and len(str(values.get(number_field, "")).strip()) != length:
            raise InvalidValue(number_field)
    vat_reg_no = values.get("vat_reg_no")
    shortest, longest = VAT_REG_NO_LENGTH
    if vat_reg_no and not shortest <= len(vat_reg_no) <= longest:
        raise InvalidValue("vat_reg_no")
