"""The CRM modules the simulator knows and their fields, as ``settings/modules`` and
``settings/fields`` describe them.

Field API names are Zoho's standard ones (research §4, the SDK's ``record/field.py``); each module
also has one or two custom fields.  Metadata ids are the org's id prefix followed by a fixed serial,
so every org numbers its fields the same way and a seed always prints the same ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.crm import versions

#: Data types whose values are text; search's ``equals`` means "contains" on these (not picklists).
TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "website"})
NUMBER_TYPES = frozenset({"integer", "bigint", "double", "currency"})
USER_TYPES = frozenset({"ownerlookup", "userlookup"})
REFERENCE_TYPES = USER_TYPES | {"lookup"}

_JSON_TYPES = {
    "integer": "integer",
    "bigint": "integer",
    "double": "double",
    "currency": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "userlookup": "jsonobject",
}
_DEFAULT_LENGTHS = {
    "text": 255,
    "textarea": 32000,
    "email": 100,
    "phone": 30,
    "website": 255,
    "integer": 9,
    "bigint": 18,
    "double": 16,
    "currency": 16,
    "boolean": 5,
    "date": 20,
    "datetime": 120,
    "picklist": 120,
    "lookup": 120,
    "ownerlookup": 120,
    "userlookup": 120,
}
_UI_TYPES = {
    "text": 1,
    "picklist": 2,
    "textarea": 3,
    "ownerlookup": 8,
    "website": 21,
    "date": 24,
    "email": 25,
    "integer": 32,
    "phone": 33,
    "currency": 36,
    "double": 38,
    "bigint": 39,
    "lookup": 133,
    "boolean": 301,
    "datetime": 333,
    "userlookup": 443,
}
ADMIN_PROFILE_SERIAL = 26011
STANDARD_LAYOUT_SERIAL = 91055


@dataclass(frozen=True)
class FieldDef:
    api_name: str
    label: str
    data_type: str
    length: int = 0
    mandatory: bool = False
    read_only: bool = False
    custom: bool = False
    lookup: str | None = None
    picklist: tuple[str, ...] = ()
    serial: int = 0

    @property
    def json_type(self) -> str:
        return _JSON_TYPES.get(self.data_type, "string")

    @property
    def max_length(self) -> int:
        return self.length or _DEFAULT_LENGTHS.get(self.data_type, 255)


@dataclass(frozen=True)
class ModuleDef:
    api_name: str
    singular: str
    serial: int
    sequence_number: int
    display_field: str
    duplicate_check_field: str
    fields: tuple[FieldDef, ...]
    by_name: Mapping[str, FieldDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.api_name: f for f in self.fields})

    @property
    def mandatory_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.mandatory)

    def of_type(self, *data_types: str) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.data_type in data_types)


def make_id(prefix: int, serial: int) -> str:
    return f"{prefix}{serial:012d}"


# -- the four modules ------------------------------------------------------------------------

_NONE = "-None-"
_SYSTEM = (
    ("Created_By", "Created By", "ownerlookup"),
    ("Modified_By", "Modified By", "ownerlookup"),
    ("Created_Time", "Created Time", "datetime"),
    ("Modified_Time", "Modified Time", "datetime"),
    ("Last_Activity_Time", "Last Activity Time", "datetime"),
)


def _module(
    api_name: str,
    singular: str,
    *,
    serial: int,
    sequence_number: int,
    display_field: str,
    duplicate_check_field: str,
    fields: list[FieldDef],
) -> ModuleDef:
    system = [FieldDef(name, label, data_type, read_only=True) for name, label, data_type in _SYSTEM]
    numbered = tuple(
        replace(f, serial=serial * 1000 + 551 + position) for position, f in enumerate([*fields, *system])
    )
    return ModuleDef(
        api_name, singular, serial, sequence_number, display_field, duplicate_check_field, numbered
    )


def _text(api_name: str, label: str, length: int = 0, **kw: Any) -> FieldDef:
    return FieldDef(api_name, label, "text", length=length, **kw)


def _pick(api_name: str, label: str, values: tuple[str, ...], **kw: Any) -> FieldDef:
    return FieldDef(api_name, label, "picklist", picklist=values, **kw)


def _address(prefix: str, label: str, zip_name: str) -> list[FieldDef]:
    return [
        _text(f"{prefix}_Street", f"{label} Street", 250),
        _text(f"{prefix}_City", f"{label} City", 30),
        _text(f"{prefix}_State", f"{label} State", 30),
        _text(f"{prefix}_{zip_name}", f"{label} {'Code' if zip_name == 'Code' else 'Zip'}", 30),
        _text(f"{prefix}_Country", f"{label} Country", 30),
    ]


INDUSTRIES = (
    "Technology",
    "Manufacturing",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Education",
    "Government/Military",
    "Consulting",
    "Real Estate",
    "Communications",
    "Non-profit",
)
LEAD_SOURCES = (
    "Advertisement",
    "Cold Call",
    "Employee Referral",
    "External Referral",
    "Online Store",
    "Partner",
    "Public Relations",
    "Sales Email Alias",
    "Seminar Partner",
    "Internal Seminar",
    "Trade Show",
    "Web Download",
    "Web Research",
    "Chat",
)

ACCOUNTS = _module(
    "Accounts",
    "Account",
    serial=2177,
    sequence_number=3,
    display_field="Account_Name",
    duplicate_check_field="Account_Name",
    fields=[
        FieldDef("Owner", "Account Owner", "ownerlookup"),
        _text("Account_Name", "Account Name", 200, mandatory=True),
        _text("Account_Number", "Account Number", 40),
        _text("Account_Site", "Account Site", 80),
        FieldDef("Parent_Account", "Parent Account", "lookup", lookup="Accounts"),
        _pick(
            "Account_Type",
            "Account Type",
            (
                *(_NONE, "Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor"),
                *("Other", "Partner", "Press", "Prospect", "Reseller", "Supplier", "Vendor"),
            ),
        ),
        _pick("Industry", "Industry", (_NONE, *INDUSTRIES)),
        _pick("Ownership", "Ownership", (_NONE, "Other", "Private", "Public", "Subsidiary", "Partnership")),
        _pick(
            "Rating",
            "Rating",
            (_NONE, "Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"),
        ),
        FieldDef("Annual_Revenue", "Annual Revenue", "currency"),
        FieldDef("Employees", "Employees", "integer"),
        FieldDef("SIC_Code", "SIC Code", "integer"),
        _text("Ticker_Symbol", "Ticker Symbol", 30),
        FieldDef("Phone", "Phone", "phone"),
        FieldDef("Fax", "Fax", "phone"),
        FieldDef("Website", "Website", "website"),
        FieldDef("Description", "Description", "textarea"),
        *_address("Billing", "Billing", "Code"),
        *_address("Shipping", "Shipping", "Code"),
        _pick("Customer_Tier", "Customer Tier", (_NONE, "Platinum", "Gold", "Silver", "Bronze"), custom=True),
    ],
)

CONTACTS = _module(
    "Contacts",
    "Contact",
    serial=2179,
    sequence_number=4,
    display_field="Full_Name",
    duplicate_check_field="Email",
    fields=[
        FieldDef("Owner", "Contact Owner", "ownerlookup"),
        _pick("Salutation", "Salutation", (_NONE, "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.")),
        _text("First_Name", "First Name", 40),
        _text("Last_Name", "Last Name", 80, mandatory=True),
        _text("Full_Name", "Contact Name", 120, read_only=True),
        FieldDef("Email", "Email", "email"),
        FieldDef("Secondary_Email", "Secondary Email", "email"),
        FieldDef("Phone", "Phone", "phone"),
        FieldDef("Mobile", "Mobile", "phone"),
        FieldDef("Home_Phone", "Home Phone", "phone"),
        FieldDef("Other_Phone", "Other Phone", "phone"),
        FieldDef("Fax", "Fax", "phone"),
        FieldDef("Asst_Phone", "Asst Phone", "phone"),
        FieldDef("Account_Name", "Account Name", "lookup", lookup="Accounts"),
        FieldDef("Vendor_Name", "Vendor Name", "lookup", lookup="Vendors"),
        FieldDef("Reporting_To", "Reporting To", "lookup", lookup="Contacts"),
        _text("Title", "Title", 100),
        _text("Department", "Department", 30),
        _text("Assistant", "Assistant", 30),
        _pick("Lead_Source", "Lead Source", (_NONE, *LEAD_SOURCES)),
        FieldDef("Date_of_Birth", "Date of Birth", "date"),
        FieldDef("Email_Opt_Out", "Email Opt Out", "boolean"),
        FieldDef("Description", "Description", "textarea"),
        _text("Skype_ID", "Skype ID", 50),
        _text("Twitter", "Twitter", 50),
        *_address("Mailing", "Mailing", "Zip"),
        *_address("Other", "Other", "Zip"),
        _text("Preferred_Language", "Preferred Language", 50, custom=True),
    ],
)

VENDORS = _module(
    "Vendors",
    "Vendor",
    serial=2197,
    sequence_number=9,
    display_field="Vendor_Name",
    duplicate_check_field="Vendor_Name",
    fields=[
        FieldDef("Owner", "Vendor Owner", "ownerlookup"),
        _text("Vendor_Name", "Vendor Name", 120, mandatory=True),
        FieldDef("Email", "Email", "email"),
        FieldDef("Phone", "Phone", "phone"),
        FieldDef("Website", "Website", "website"),
        _text("Category", "Category", 120),
        _pick(
            "GL_Account",
            "GL Account",
            (
                *(_NONE, "Sales-Software", "Sales-Hardware", "Rental-Income", "Interest-Income"),
                *("Sales Software Support", "Sales-Other", "Interest Sales", "Service-Hardware Labor"),
            ),
        ),
        FieldDef("Description", "Description", "textarea"),
        _text("Street", "Street", 250),
        _text("City", "City", 30),
        _text("State", "State", 30),
        _text("Zip_Code", "Zip Code", 30),
        _text("Country", "Country", 30),
        FieldDef("Email_Opt_Out", "Email Opt Out", "boolean"),
        _pick("Payment_Terms", "Payment Terms", (_NONE, "Net 15", "Net 30", "Net 45", "Net 60"), custom=True),
    ],
)

PRODUCTS = _module(
    "Products",
    "Product",
    serial=2185,
    sequence_number=7,
    display_field="Product_Name",
    duplicate_check_field="Product_Name",
    fields=[
        FieldDef("Owner", "Product Owner", "ownerlookup"),
        _text("Product_Name", "Product Name", 120, mandatory=True),
        _text("Product_Code", "Product Code", 40),
        FieldDef("Product_Active", "Product Active", "boolean"),
        _pick(
            "Product_Category", "Product Category", (_NONE, "Hardware", "Software", "Services", "Accessories")
        ),
        _pick("Manufacturer", "Manufacturer", (_NONE, "AltvetPet Inc.", "LexPro Inc.", "MetBeat Corp.")),
        FieldDef("Vendor_Name", "Vendor Name", "lookup", lookup="Vendors"),
        FieldDef("Unit_Price", "Unit Price", "currency"),
        FieldDef("Commission_Rate", "Commission Rate", "currency"),
        _pick(
            "Usage_Unit",
            "Usage Unit",
            (
                *("Box", "Carton", "Dozen", "Each", "Hours", "Impressions", "Lb", "M", "Pack", "Pages"),
                *("Pieces", "Quantity", "Reams", "Sheet", "Spiral Binder", "Sq Ft"),
            ),
        ),
        FieldDef("Qty_in_Stock", "Qty in Stock", "double"),
        FieldDef("Qty_Ordered", "Qty Ordered", "double"),
        FieldDef("Qty_in_Demand", "Qty in Demand", "double"),
        FieldDef("Reorder_Level", "Reorder Level", "double"),
        FieldDef("Handler", "Handler", "userlookup"),
        FieldDef("Sales_Start_Date", "Sales Start Date", "date"),
        FieldDef("Sales_End_Date", "Sales End Date", "date"),
        FieldDef("Support_Start_Date", "Support Start Date", "date"),
        FieldDef("Support_Expiry_Date", "Support Expiry Date", "date"),
        FieldDef("Taxable", "Taxable", "boolean"),
        FieldDef("Description", "Description", "textarea"),
        FieldDef("Warranty_Months", "Warranty Months", "integer", custom=True),
    ],
)

MODULES: dict[str, ModuleDef] = {m.api_name: m for m in (ACCOUNTS, CONTACTS, VENDORS, PRODUCTS)}
_BY_LOWER = {name.lower(): module for name, module in MODULES.items()}


def find_module(name: str) -> ModuleDef | None:
    """Module names in URLs are matched without regard to case, as Zoho does."""
    return _BY_LOWER.get(name.lower())


# -- settings/fields -------------------------------------------------------------------------


def field_json(module: ModuleDef, f: FieldDef, *, prefix: int, version: str) -> dict[str, Any]:
    """One entry of ``settings/fields``: every key the SDK reads, the rest as Zoho fills them,
    in the shape of API ``version`` (``versions.CHANGES``)."""
    writable = not f.read_only
    entry = {
        "associated_module": None,
        "webhook": True,
        "operation_type": {
            "web_update": writable,
            "api_create": writable,
            "web_create": writable,
            "api_update": writable,
        },
        "colour_code_enabled_by_system": False,
        "field_label": f.label,
        "tooltip": None,
        "type": "used",
        "field_read_only": f.read_only,
        "customizable_properties": [] if f.read_only else ["field_label", "tooltip", "visible"],
        "display_label": f.label,
        "read_only": f.read_only,
        "association_details": None,
        "businesscard_supported": writable,
        "multi_module_lookup": {},
        "id": make_id(prefix, f.serial),
        "created_time": None,
        "filterable": True,
        "visible": True,
        "refer_from_field": None,
        "profiles": [
            {
                "permission_type": "read_only" if f.read_only else "read_write",
                "name": "Administrator",
                "id": make_id(prefix, ADMIN_PROFILE_SERIAL),
            }
        ],
        "view_type": {"view": True, "edit": writable, "quick_create": f.mandatory, "create": writable},
        "subform": None,
        "sequence_number": module.fields.index(f) + 1,
        "separator": False,
        "searchable": True,
        "external": None,
        "api_name": f.api_name,
        "unique": {"casesensitive": "0"} if f.api_name == module.duplicate_check_field else {},
        "enable_colour_code": False,
        "pick_list_values": _pick_list_values(f, prefix=prefix),
        "system_mandatory": f.mandatory,
        "virtual_field": False,
        "json_type": f.json_type,
        "crypt": None,
        "created_source": "crm" if f.custom else "default",
        "display_type": 1 if writable else -1,
        "ui_type": _UI_TYPES[f.data_type],
        "modified_time": None,
        "email_parser": {"fields_update_supported": False, "record_operations_supported": True},
        "currency": {"rounding_option": "normal", "precision": 2} if f.data_type == "currency" else {},
        "custom_field": f.custom,
        "lookup": _lookup_json(f, prefix=prefix, version=version),
        "convert_mapping": {},
        "rollup_summary": {},
        "length": f.max_length,
        "display_field": f.api_name == module.display_field,
        "pick_list_values_sorted_lexically": False,
        "sortable": True,
        "global_picklist": None,
        "history_tracking": None,
        "data_type": f.data_type,
        "formula": {},
        "decimal_place": 2 if f.data_type in ("currency", "double") else None,
        "mass_update": writable,
        "multiselectlookup": {},
        "multiuserlookup": {},
        "auto_number": {},
        "column_name": f.api_name.upper(),
        "category": 0,
        "show_type": 7,
        "quick_sequence_number": str(module.fields.index(f) + 1) if f.mandatory else "0",
        "blueprint_supported": False,
        "available_in_user_layout": True,
        "sharing_properties": None,
        "file_upolad_optionlist": [],
        "allowed_modules": [],
        "layout_associations": [
            {
                "api_name": "Standard",
                "name": "Standard",
                "id": make_id(prefix, STANDARD_LAYOUT_SERIAL + module.serial),
            }
        ],
        "hipaa_compliance_enabled": False,
        "hipaa_compliance": None,
        "additional_column": None,
        "number_separator": f.data_type in NUMBER_TYPES,
        "textarea": {"type": "large"} if f.data_type == "textarea" else None,
        "static_field": False,
        "private": None,
        "sub_module": None,
    }
    if not versions.has(version, "customizable_properties"):
        del entry["customizable_properties"]
    return entry


def _pick_list_values(f: FieldDef, *, prefix: int) -> list[dict[str, Any]]:
    return [
        {
            "display_value": value,
            "sequence_number": position + 1,
            "reference_value": value,
            "colour_code": None,
            "actual_value": value,
            "id": make_id(prefix, f.serial * 100 + position),
            "type": "used",
        }
        for position, value in enumerate(f.picklist)
    ]


def _lookup_json(f: FieldDef, *, prefix: int, version: str) -> dict[str, Any]:
    if f.lookup is None:
        return {}
    target = MODULES[f.lookup]
    module: Any = target.api_name
    if versions.has(version, "lookup_module_object"):
        module = {"api_name": target.api_name, "id": make_id(prefix, target.serial)}
    return {
        "display_label": f.label,
        "api_name": f.api_name,
        "id": make_id(prefix, f.serial * 10 + 1),
        "module": module,
        "query_details": {},
        "revalidate_filter_during_edit": False,
    }


# -- settings/modules ------------------------------------------------------------------------


def module_json(module: ModuleDef, *, prefix: int, version: str) -> dict[str, Any]:
    """One entry of ``settings/modules``, in the shape of API ``version`` (``versions.CHANGES``)."""
    display = module.by_name[module.display_field]
    admin = {"name": "Administrator", "id": make_id(prefix, ADMIN_PROFILE_SERIAL)}
    entry = {
        "has_more_profiles": False,
        "global_search_supported": True,
        "deletable": True,
        "description": None,
        "creatable": True,
        "recycle_bin_on_delete": True,
        "inventory_template_supported": False,
        "modified_time": None,
        "plural_label": module.api_name,
        "presence_sub_menu": True,
        "triggers_supported": True,
        "id": make_id(prefix, module.serial),
        "chart_view": False,
        "isBlueprintSupported": True,
        "visibility": 1,
        "visible": True,
        "convertable": False,
        "editable": True,
        "emailTemplate_support": module.api_name in ("Contacts", "Accounts", "Vendors"),
        "email_parser_supported": False,
        "filter_supported": True,
        "show_as_tab": True,
        "web_link": None,
        "sequence_number": module.sequence_number,
        "singular_label": module.singular,
        "viewable": True,
        "api_supported": True,
        "api_name": module.api_name,
        "quick_create": True,
        "generated_type": "default",
        "feeds_required": False,
        "scoring_supported": True,
        "webform_supported": module.api_name != "Vendors",
        "arguments": [],
        "module_name": module.api_name,
        "chart_view_supported": True,
        "profile_count": 1,
        "business_card_field_limit": 5,
        "track_current_data": True,
        "modified_by": None,
        "profiles": [admin],
        "parent_module": {},
        "activity_badge": "Enabled",
        "$field_states": [],
        "business_card_fields": [],
        "per_page": 200,
        "$properties": [],
        "$on_demand_properties": [],
        "search_layout_fields": [module.display_field],
        "kanban_view_supported": True,
        "lookup_field_properties": {
            "fields": [
                {"sequence_number": 1, "api_name": display.api_name, "id": make_id(prefix, display.serial)}
            ]
        },
        "kanban_view": False,
        "filter_status": True,
        "display_field": {"api_name": display.api_name, "id": make_id(prefix, display.serial)},
        "zia_view": False,
        "related_lists": [],
        "layouts": [{"id": make_id(prefix, STANDARD_LAYOUT_SERIAL + module.serial), "name": "Standard"}],
        "default_mapping_fields": [],
        "layout_associations": [],
        "status": "visible",
    }
    if not versions.has(version, "recycle_bin_on_delete"):
        del entry["recycle_bin_on_delete"]
    return entry
