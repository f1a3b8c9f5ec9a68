"""Books editions: the country an org is set up for, and the tax fields that follow from it.

This is the one table of what differs per edition. Its source is Zoho's Books OpenAPI documents
(``contacts.yml``, ``items.yml``), whose field schemas say where a field exists with
``x-node_available_in`` (edition codes ``us``, ``uk``, ``in``, ``au``, ``ca``, ``gcc``, ``mx``,
``ke``, ``za``) and in their descriptions ("For UK Edition: …"). Two editions have no code there:

* ``eu`` (Zoho Books Europe): VAT like the UK, with its own ``vat_treatment`` values
  (``home_country``, ``eu_vat_registered``, ``eu_vat_not_registered``, ``non_eu``). UNVERIFIED:
  the documents never name the EU edition; the fields and values follow Zoho's EU help pages.
* ``global``: no country-specific tax fields at all.

A field is shown in an org's replies only in the editions that have it, with its default until a
request sets it; a request's value for a field its edition lacks is ignored, as unknown keys are.
Validation rules (allowed values, registration numbers) are those the documents describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Edition code -> (country, base currency code, currency symbol).
_COUNTRIES: dict[str, tuple[str, str, str]] = {
    "us": ("U.S.A", "USD", "$"),
    "uk": ("United Kingdom", "GBP", "£"),
    "eu": ("Germany", "EUR", "€"),
    "in": ("India", "INR", "₹"),
    "au": ("Australia", "AUD", "$"),
    "ca": ("Canada", "CAD", "$"),
    "global": ("U.S.A", "USD", "$"),
    "gcc": ("United Arab Emirates", "AED", "AED"),
    "mx": ("Mexico", "MXN", "$"),
    "ke": ("Kenya", "KES", "KES"),
    "za": ("South Africa", "ZAR", "R"),
}
DEFAULT_EDITION = "us"


@dataclass(frozen=True)
class TaxField:
    """A field only some editions have. ``kind``: text, flag, choice or list (of tax preferences)."""

    editions: frozenset[str]
    default: Any
    kind: str = "text"
    #: Allowed values per edition, for ``choice`` fields.
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: A per-edition default that differs from ``default``.
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def default_in(self, edition: str) -> Any:
        value = self.defaults.get(edition, self.default)
        return list(value) if isinstance(value, list) else value


def _in(*codes: str) -> frozenset[str]:
    return frozenset(codes)


_TAX_TREATMENTS = {
    "gcc": (
        "vat_registered",
        "vat_not_registered",
        "gcc_vat_not_registered",
        "gcc_vat_registered",
        "non_gcc",
        "dz_vat_registered",
        "dz_vat_not_registered",
    ),
    "mx": ("home_country_mexico", "border_region_mexico", "non_mexico"),
    "ke": ("vat_registered", "vat_not_registered", "non_kenya"),
    "za": ("vat_registered", "vat_not_registered", "overseas"),
}

#: Contact fields by edition (contacts.yml ``components.schemas.<name>.x-node_available_in``).
CONTACT_TAX_FIELDS: dict[str, TaxField] = {
    "is_taxable": TaxField(_in("us", "ca", "au", "in", "mx", "ke", "za"), True, "flag"),
    "tax_id": TaxField(_in("in", "us"), ""),
    "tax_name": TaxField(_in("in"), ""),
    "tax_authority_id": TaxField(_in("us"), ""),
    "tax_exemption_id": TaxField(_in("us", "ca", "au", "in"), ""),
    "tax_exemption_code": TaxField(_in("us", "ca", "au", "in"), ""),
    "gst_treatment": TaxField(
        _in("in"),
        "business_none",
        "choice",
        choices={"in": ("business_gst", "business_none", "overseas", "consumer")},
    ),
    "gst_no": TaxField(_in("in"), ""),
    "place_of_contact": TaxField(_in("in"), ""),
    "vat_treatment": TaxField(
        _in("uk", "eu"),
        "uk",
        "choice",
        choices={
            "uk": ("uk", "eu_vat_registered", "overseas"),
            "eu": ("home_country", "eu_vat_registered", "eu_vat_not_registered", "non_eu"),
        },
        defaults={"eu": "home_country"},
    ),
    "vat_reg_no": TaxField(_in("uk", "eu"), ""),
    "country_code": TaxField(_in("uk", "eu", "gcc"), ""),
    "tax_treatment": TaxField(
        _in("gcc", "mx", "ke", "za"),
        "vat_not_registered",  # the documented default
        "choice",
        choices=_TAX_TREATMENTS,
        defaults={"mx": "home_country_mexico"},
    ),
    "tax_reg_no": TaxField(_in("gcc", "mx", "ke", "za"), ""),
    "tax_regime": TaxField(_in("mx"), ""),
    "legal_name": TaxField(_in("mx"), ""),
    "is_tds_registered": TaxField(_in("mx"), False, "flag"),
    "tds_tax_id": TaxField(_in("mx"), ""),
    "tax_exemption_certificate_number": TaxField(_in("ke"), ""),
}

#: Item fields by edition (items.yml). ``tax_id`` is documented as unavailable in us and in, but
#: items there are read by clients that expect it, so it stays a field of every edition.
ITEM_TAX_FIELDS: dict[str, TaxField] = {
    "is_taxable": TaxField(_in("in", "us", "mx", "ke", "za"), True, "flag"),
    "tax_exemption_id": TaxField(_in("in", "us", "mx", "ke", "za"), ""),
    "purchase_tax_exemption_id": TaxField(_in("ke", "za"), ""),
    "purchase_tax_rule_id": TaxField(_in("mx", "ke", "za"), ""),
    "sales_tax_rule_id": TaxField(_in("mx", "ke", "za"), ""),
    "hsn_or_sac": TaxField(_in("in", "ke", "za"), ""),
    "sat_item_key_code": TaxField(_in("mx"), ""),
    "unitkey_code": TaxField(_in("mx"), ""),
    "item_tax_preferences": TaxField(_in("in"), [], "list"),
}

#: A registration number that a treatment makes required: (treatment field, registered values,
#: number field, length). contacts.yml: GSTIN is 15 characters; the GCC TRN 15 digits, Kenya's PIN
#: 11, South Africa's VAT number 10, each for the registered treatments.
_REGISTRATIONS: dict[str, tuple[str, frozenset[str], str, int]] = {
    "in": ("gst_treatment", _in("business_gst"), "gst_no", 15),
    "gcc": (
        "tax_treatment",
        _in("vat_registered", "gcc_vat_registered", "dz_vat_registered"),
        "tax_reg_no",
        15,
    ),
    "ke": ("tax_treatment", _in("vat_registered"), "tax_reg_no", 11),
    "za": ("tax_treatment", _in("vat_registered"), "tax_reg_no", 10),
}
#: "VAT Registration number … length should be between 2 and 12 characters" (UK).
VAT_REG_NO_LENGTH = (2, 12)


@dataclass(frozen=True)
class Edition:
    code: str
    country: str
    currency_code: str
    currency_symbol: str

    def contact_fields(self) -> dict[str, TaxField]:
        return {name: f for name, f in CONTACT_TAX_FIELDS.items() if self.code in f.editions}

    def item_fields(self) -> dict[str, TaxField]:
        return {name: f for name, f in ITEM_TAX_FIELDS.items() if self.code in f.editions}

    def registration(self) -> tuple[str, frozenset[str], str, int] | None:
        return _REGISTRATIONS.get(self.code)


EDITIONS: dict[str, Edition] = {
    code: Edition(code, country, currency, symbol) for code, (country, currency, symbol) in _COUNTRIES.items()
}
