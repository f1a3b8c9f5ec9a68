"""What a syncer's author reads: docs/contract.md (shipped in the package, every invariant a
section, every default map pair by pair) and the config's JSON Schema (built from
syncer/config.py, agreeing with it, and met by every configuration the harness writes)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from conformance.adapters import PythonAdapter
from conformance.invariants import INVARIANTS, RUN_FAILED
from conformance.published import CONTRACT, config_schema_text, contract_link
from conformance.scenarios import KIND_NAMES, scenarios
from conformance.session import Harness, open_harness
from fieldmap import ACCOUNTS, CONTACTS, PERSON_MAP, PRODUCTS, VENDORS
from syncer import config as settings_module
from syncer.config import ConfigError, parse_config
from syncer.schema import config_schema

DOCS = Path(__file__).resolve().parents[2] / "docs"
VALIDATOR = jsonschema.Draft202012Validator(config_schema())


def test_the_package_ships_the_published_contract() -> None:
    assert CONTRACT.read_text(encoding="utf-8") == (DOCS / "contract.md").read_text(encoding="utf-8"), (
        "edit docs/contract.md, then copy it to conformance/docs/contract.md"
    )


def test_every_invariant_has_a_section_the_reports_link() -> None:
    headings = re.findall(r"^### (\S+)$", (DOCS / "contract.md").read_text(), flags=re.MULTILINE)
    for invariant in (*INVARIANTS, RUN_FAILED):
        assert invariant in headings
        assert contract_link(invariant) == f"docs/contract.md#{invariant.lower()}"


def _table(section: str) -> list[tuple[str, str]]:
    """The ``| `books` | `crm` |`` rows under ``### {section}`` in docs/contract.md."""
    text = (DOCS / "contract.md").read_text()
    body = text.split(f"\n### {section}\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|$", body, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("section", "pairs"),
    [
        ("Customers from Accounts", ACCOUNTS.default_map),
        ("Customers from Contacts", CONTACTS.default_map),
        ("Contact persons (accounts and contacts)", PERSON_MAP),
        ("Vendors", VENDORS.default_map),
        ("Items", PRODUCTS.default_map),
    ],
)
def test_the_contract_spells_out_every_default_map(section: str, pairs: Any) -> None:
    assert _table(section) == [(p.books, p.crm) for p in pairs]


def test_the_published_schema_is_the_one_the_package_prints() -> None:
    assert (DOCS / "config.schema.json").read_text(encoding="utf-8") == config_schema_text(), (
        "regenerate it: zohosim conform --config-schema > docs/config.schema.json"
    )
    jsonschema.Draft202012Validator.check_schema(config_schema())


def test_the_schema_names_every_setting_config_py_takes() -> None:
    schema = config_schema()
    assert set(schema["properties"]) == settings_module.CONFIG_KEYS
    assert set(schema["properties"]["connection"]["properties"]) == settings_module.CONNECTION_KEYS
    assert set(schema["properties"]["state"]["properties"]) == settings_module.STATE_KEYS
    sync = schema["properties"]["sync"]["items"]["properties"]
    assert set(sync) == settings_module.SYNC_KEYS
    assert sync["module"]["enum"] == list(settings_module.MODULES)
    assert sync["crm_source"]["enum"] == list(settings_module.CRM_SOURCES)
    assert sync["extent"]["enum"] == list(settings_module.EXTENTS)
    assert sync["duplicates"]["enum"] == list(settings_module.DUPLICATE_MODES)
    assert sync["schedule"]["enum"] == list(settings_module.SCHEDULES)
    documented = (DOCS / "config.md").read_text()
    for key in (*settings_module.SYNC_KEYS, *settings_module.CONNECTION_KEYS, "state.path"):
        assert f"`{key}`" in documented, f"docs/config.md does not document {key}"


VALID: list[dict[str, Any]] = [
    {"sync": [{"module": "vendors"}]},
    {
        "connection": {"base_url": "http://127.0.0.1:8765", "tenant": "t2"},
        "sync": [
            {
                "module": "customers",
                "crm_source": "accounts_and_contacts",
                "include_unassociated_contacts": True,
                "extent": "both_ways",
                "duplicates": "overwrite",
                "view": "4150868000000087501",
                "contact_view": 4150868000000087601,
                "field_map": [["website", "Website"], {"books": "notes", "crm": "Description"}],
                "contact_map": [["primary_contact.email", "Email"]],
                "person_map": [["first_name", "First_Name"], ["last_name", "Last_Name"]],
                "schedule": "later",
                "interval": "30m",
                "name": "customers every half hour",
            }
        ],
        "state": {"path": "state.sqlite3"},
    },
    {"sync": [{"module": "items", "field_map": [["rate", "Unit_Price"]], "interval": 7200}]},
    {
        "connection": {
            "accounts_url": "https://accounts.zoho.com",
            "crm_url": "https://www.zohoapis.com/crm/v8",
            "books_url": "https://www.zohoapis.com/books/v3",
            "client_id": "1000.X",
            "client_secret": "s",
            "refresh_token": "r",
            "books_organization_id": "1",
        },
        "sync": [{"module": "customers", "crm_source": "contacts"}],
    },
]
INVALID: list[dict[str, Any]] = [
    {},
    {"sync": []},
    {"sync": [{"module": "leads"}]},
    {"sync": [{"module": "customers"}]},
    {"sync": [{"module": "vendors", "crm_source": "accounts"}]},
    {"sync": [{"module": "customers", "crm_source": "accounts", "include_unassociated_contacts": True}]},
    {"sync": [{"module": "customers", "crm_source": "contacts", "contact_view": "1"}]},
    {"sync": [{"module": "vendors", "duplicates": "merge"}]},
    {"sync": [{"module": "vendors", "view": "all"}]},
    {"sync": [{"module": "vendors", "field_map": [["rate", "Unit_Price"]]}]},
    {"sync": [{"module": "items", "field_map": [["website", "Website"]]}]},
    {"sync": [{"module": "vendors", "field_map": [["website"]]}]},
    {"sync": [{"module": "vendors", "interval": "0h"}]},
    {"sync": [{"module": "vendors", "colour": "blue"}]},
    {"sync": [{"module": "vendors"}], "connection": {"crm_url": "https://www.zohoapis.com/crm/v8"}},
    {"sync": [{"module": "vendors"}], "connection": {"client_id": ""}},
    {"sync": [{"module": "vendors"}], "state": {"file": "x"}},
]


@pytest.mark.parametrize("document", VALID)
def test_the_schema_accepts_what_the_syncer_accepts(document: dict[str, Any]) -> None:
    parse_config(copy.deepcopy(document))
    VALIDATOR.validate(document)


@pytest.mark.parametrize("document", INVALID)
def test_the_schema_refuses_what_the_syncer_refuses(document: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        parse_config(copy.deepcopy(document))
    assert not VALIDATOR.is_valid(document), json.dumps(document)


@pytest.fixture(scope="module")
def harness() -> Any:
    with open_harness(PythonAdapter("conformance.reference:factory")) as opened:
        yield opened


@pytest.mark.parametrize("kind", sorted(KIND_NAMES))
def test_every_config_the_harness_writes_meets_the_schema(harness: Harness, kind: str) -> None:
    @settings(max_examples=8, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(scenarios(kind=KIND_NAMES[kind], edits=True))
    def check(scenario: Any) -> None:
        world = harness.world(scenario).build()
        try:
            config = world.endpoints().config
            errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in VALIDATOR.iter_errors(config)]
            assert not errors, errors
            parse_config(config)
        finally:
            world.close()

    check()
