"""An invalid configuration gets a clear error that names the field, and nothing is synced
(SYNC-SEMANTICS.md section 2)."""

from __future__ import annotations

from typing import Any

import pytest

from syncer import ConfigError
from tests.syncer.conftest import World

ACCOUNTS = {"module": "customers", "crm_source": "accounts", "extent": "both_ways", "duplicates": "overwrite"}
PERSONS = {**ACCOUNTS, "crm_source": "accounts_and_contacts", "include_unassociated_contacts": True}


def assert_nothing_synced(world: World, entries: list[dict[str, Any]], where: str, *words: str) -> None:
    run = world.run(*entries, expect_error=ConfigError)
    assert isinstance(run.error, ConfigError)
    assert run.error.where == where, str(run.error)
    for word in words:
        assert word in str(run.error)
    assert not run.writes(), [(r.method, r.path) for r in run.writes()]
    assert run.after == run.before
    assert not run.links


# Found when the sync runs: they need CRM's metadata.
REMOTE = {
    "unknown view": ({**ACCOUNTS, "view": "123456789"}, "customers:accounts.view", "123456789"),
    "a view of another module": (
        {**ACCOUNTS, "view": "<Contacts:UK Contacts>"},
        "customers:accounts.view",
        "not a custom view of CRM Accounts",
    ),
    "unknown contact view": (
        {**PERSONS, "contact_view": "987654321"},
        "customers:accounts_and_contacts.contact_view",
        "987654321",
    ),
    "unknown CRM field": (
        {**ACCOUNTS, "field_map": [["contact_name", "Account_Name"], ["website", "Web_Site"]]},
        "customers:accounts.field_map[1]",
        "Web_Site",
    ),
    "unknown CRM field for persons": (
        {**PERSONS, "person_map": [["first_name", "First_Name"], ["email", "E_Mail"]]},
        "customers:accounts_and_contacts.person_map[1]",
        "E_Mail",
    ),
    "unknown CRM field for unassociated contacts": (
        {**PERSONS, "contact_map": [["contact_name", "Full_Name"], ["website", "Homepage"]]},
        "customers:accounts_and_contacts.contact_map[1]",
        "Homepage",
    ),
    "unknown CRM field for items": (
        {"module": "items", "field_map": [["name", "Product_Name"], ["rate", "Price"]]},
        "items.field_map[1]",
        "Price",
    ),
}


@pytest.mark.parametrize("case", list(REMOTE))
def test_an_invalid_remote_setting_is_named_and_nothing_is_synced(world: World, case: str) -> None:
    entry, where, word = REMOTE[case]
    if entry.get("view", "").startswith("<"):
        module, name = entry["view"].strip("<>").split(":")
        entry = {**entry, "view": world.view(module, name)}
    assert_nothing_synced(world, [entry], where, word)


def test_an_invalid_sync_after_a_valid_one_stops_the_whole_configuration(world: World) -> None:
    """Choice: a configuration is valid or not as a whole, so its first (valid) sync does not run either."""
    valid = {"module": "vendors", "extent": "both_ways", "duplicates": "clone"}
    assert_nothing_synced(world, [valid, {**ACCOUNTS, "view": "123"}], "customers:accounts.view")


# Found when the configuration is read: no call is made at all.
LOCAL = {
    "include_unassociated with accounts": (
        {**ACCOUNTS, "include_unassociated_contacts": True},
        "sync[0].include_unassociated_contacts",
    ),
    "include_unassociated with contacts": (
        {**ACCOUNTS, "crm_source": "contacts", "include_unassociated_contacts": True},
        "sync[0].include_unassociated_contacts",
    ),
    "contact view without contacts": ({**ACCOUNTS, "contact_view": "123"}, "sync[0].contact_view"),
    "unknown Books field": (
        {**ACCOUNTS, "field_map": [["contact_name", "Account_Name"], ["homepage", "Website"]]},
        "sync[0].field_map[1]",
    ),
    "a view id that is not one": ({**ACCOUNTS, "view": "US Accounts"}, "sync[0].view"),
    "unknown duplicate mode": ({**ACCOUNTS, "duplicates": "merge"}, "sync[0].duplicates"),
    "unknown extent": ({**ACCOUNTS, "extent": "push_to_crm"}, "sync[0].extent"),
    "crm_source on vendors": ({"module": "vendors", "crm_source": "accounts"}, "sync[0].crm_source"),
    "customers without a source": ({"module": "customers"}, "sync[0].crm_source"),
}


@pytest.mark.parametrize("case", list(LOCAL))
def test_an_invalid_setting_is_named_before_any_call(world: World, case: str) -> None:
    entry, where = LOCAL[case]
    since = max((r.seq for r in world.sim.request_log), default=0)
    with pytest.raises(ConfigError) as caught:
        world.config(entry)
    assert caught.value.where == where, str(caught.value)
    assert not world.sim.request_log.filter(since_seq=since)
