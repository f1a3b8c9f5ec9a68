"""The sync configuration as a JSON Schema (draft 2020-12), built from ``syncer/config.py``'s own
settings, so that a syncer in any language can validate what it gets in ``ZOHOSIM_CONFIG``.

Published as ``docs/config.schema.json`` and by ``zohosim conform --config-schema``; the tests
keep the file equal to ``config_schema()`` and check that the schema and ``parse_config`` accept
and refuse the same configurations. Prose for every key: ``docs/config.md``.
"""

from __future__ import annotations

from typing import Any

from fieldmap import BOOKS_CONTACT_FIELDS, BOOKS_ITEM_FIELDS
from syncer.config import (
    CREDENTIAL_KEYS,
    CRM_SOURCES,
    DEFAULT_INTERVAL,
    DUPLICATE_MODES,
    EXTENTS,
    MODULES,
    SCHEDULES,
    URL_KEYS,
)

SCHEMA_ID = "https://zohosim.local/schemas/sync-config.json"
_TEXT = {"type": "string", "minLength": 1}
_VIEW_ID = {
    "description": "a CRM custom view id (cvid): digits, as a string or a number",
    "anyOf": [{"type": "string", "pattern": "^[0-9]+$"}, {"type": "integer", "minimum": 0}],
}

CONNECTION = {
    "base_url": "one simulator serving all three services (default http://127.0.0.1:8765)",
    "accounts_url": "the accounts (OAuth) server; with crm_url and books_url, for real Zoho",
    "crm_url": "the CRM API root, e.g. https://www.zohoapis.com/crm/v8",
    "books_url": "the Books API root, e.g. https://www.zohoapis.com/books/v3",
    "control_url": "the simulator's control plane (its clock, its limits); absent for real Zoho",
    "client_id": "OAuth client id",
    "client_secret": "OAuth client secret",
    "refresh_token": "OAuth refresh token (a syncer exchanges it for access tokens)",
    "books_organization_id": "the Books organization_id every Books request carries",
    "tenant": "the simulator tenant (the local default takes missing credentials from it)",
}
SYNC = {
    "module": "which module sync",
    "crm_source": "customers only: which CRM records become customers",
    "include_unassociated_contacts": "accounts_and_contacts only: contacts with no account become "
    "individual customers",
    "extent": "fetch_from_crm (CRM to Books) or both_ways",
    "duplicates": "what to do with an unlinked CRM record whose Books twin exists",
    "view": "only the CRM records in this custom view are synced (Accounts, for accounts_and_contacts)",
    "contact_view": "accounts_and_contacts only: the custom view for Contacts",
    "field_map": "[books_field, crm_field] pairs; absent: the default map (docs/contract.md)",
    "contact_map": "accounts_and_contacts with unassociated contacts: their map; absent: the default "
    "map of customers from Contacts",
    "person_map": "accounts_and_contacts: [person_field, crm_field] pairs making a contact person",
    "schedule": "now: run at once; later: first run at the next tick",
    "interval": "seconds between scheduled runs, or a duration such as 2h, 30m, 90s",
    "name": "a label for this module sync in reports",
}


def _pairs(books_fields: frozenset[str] | None) -> dict[str, Any]:
    books: dict[str, Any] = {"enum": sorted(books_fields)} if books_fields else dict(_TEXT)
    return {
        "type": "array",
        "items": {
            "oneOf": [
                {"type": "array", "prefixItems": [books, _TEXT], "minItems": 2, "maxItems": 2},
                {
                    "type": "object",
                    "properties": {"books": books, "crm": _TEXT},
                    "required": ["books", "crm"],
                    "additionalProperties": False,
                },
            ]
        },
    }


def _module_sync() -> dict[str, Any]:
    shapes: dict[str, Any] = {
        "module": {"enum": list(MODULES)},
        "crm_source": {"enum": list(CRM_SOURCES)},
        "include_unassociated_contacts": {"type": "boolean", "default": False},
        "extent": {"enum": list(EXTENTS), "default": "fetch_from_crm"},
        "duplicates": {"enum": list(DUPLICATE_MODES), "default": "skip"},
        "view": dict(_VIEW_ID),
        "contact_view": dict(_VIEW_ID),
        "field_map": _pairs(BOOKS_CONTACT_FIELDS | BOOKS_ITEM_FIELDS),
        "contact_map": _pairs(BOOKS_CONTACT_FIELDS),
        "person_map": _pairs(None),
        "schedule": {"enum": list(SCHEDULES), "default": "now"},
        "interval": {
            "default": DEFAULT_INTERVAL,
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": r"^\s*0*[1-9][0-9]*\s*[smhd]?\s*$"},
            ],
        },
        "name": {"type": "string"},
    }
    properties = {key: {"description": SYNC[key], **shape} for key, shape in shapes.items()}
    aandc = {"properties": {"crm_source": {"const": "accounts_and_contacts"}}, "required": ["crm_source"]}
    return {
        "type": "object",
        "properties": properties,
        "required": ["module"],
        "additionalProperties": False,
        "allOf": [
            {
                "if": {"properties": {"module": {"const": "customers"}}},
                "then": {"required": ["crm_source"]},
                "else": {"not": {"required": ["crm_source"]}},
            },
            {
                "if": {"properties": {"module": {"const": "items"}}},
                "then": {"properties": {"field_map": _pairs(BOOKS_ITEM_FIELDS)}},
                "else": {"properties": {"field_map": _pairs(BOOKS_CONTACT_FIELDS)}},
            },
            {
                "if": {
                    "properties": {"include_unassociated_contacts": {"const": True}},
                    "required": ["include_unassociated_contacts"],
                },
                "then": aandc,
            },
            {"if": {"required": ["contact_view"]}, "then": aandc},
        ],
    }


def config_schema() -> dict[str, Any]:
    """The JSON Schema of a sync configuration (the JSON form of the TOML file)."""
    real_zoho = [*URL_KEYS, *CREDENTIAL_KEYS]
    connection = {
        "description": "where Zoho is; omit it to use the local simulator's tenant t1",
        "type": "object",
        "properties": {
            key: {"description": text, **(_TEXT if key != "control_url" else {"type": "string"})}
            for key, text in CONNECTION.items()
        },
        "additionalProperties": False,
        "dependentRequired": {url: real_zoho for url in URL_KEYS},
    }
    state = {
        "description": "the syncer's own state (links, last sync times)",
        "type": "object",
        "properties": {"path": {"type": "string", "description": "the state file (SQLite)"}},
        "additionalProperties": False,
    }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "zohosim sync configuration",
        "description": "The configuration of a CRM <-> Books syncer: docs/config.md",
        "type": "object",
        "properties": {
            "connection": connection,
            "sync": {"type": "array", "minItems": 1, "items": _module_sync()},
            "state": state,
        },
        "required": ["sync"],
        "additionalProperties": False,
    }
    return schema
