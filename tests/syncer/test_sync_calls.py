"""The calls a sync makes, counted in the simulator's request log: a customer overwritten with its
contact persons costs one read (its existing persons and addresses are kept, and a list row has
neither) and ONE write; a customer whose account and contacts both changed is written once."""

from __future__ import annotations

from collections import Counter

from syncer.plan import Action
from tests.syncer.conftest import World

PERSONS = {
    "module": "customers",
    "crm_source": "accounts_and_contacts",
    "extent": "fetch_from_crm",
    "duplicates": "overwrite",
}


def _customer_id(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def test_an_overwrite_with_contact_persons_is_one_put_per_customer(world: World) -> None:
    run = world.run(PERSONS)

    overwritten = {r.books_id for r in run.report.rows if r.action is Action.OVERWRITTEN}
    created = [r for r in run.report.rows if r.action is Action.CREATED and r.crm_module == "Accounts"]
    with_contacts = {
        r.books_id
        for r in run.report.rows
        if r.crm_module == "Contacts" and r.books_id in overwritten and r.action is not Action.UNCHANGED
    }
    assert overwritten and with_contacts, "the seeded world has twins whose accounts have contacts"
    books = [r for r in run.requests if r.service == "books"]
    puts = Counter(_customer_id(r.path) for r in books if r.method == "PUT")
    assert puts == Counter(overwritten), "one PUT per overwritten customer, its persons in it"
    reads = Counter(_customer_id(r.path) for r in books if r.method == "GET" and r.path.count("/") > 3)
    assert reads == Counter(overwritten), "one read per overwritten customer, and no other"
    assert sum(1 for r in books if r.method == "POST") == len(created)
    assert not [r for r in run.requests if r.service == "crm" and r.is_write]


def test_a_customer_whose_account_and_contacts_changed_is_written_once(world: World) -> None:
    world.run(PERSONS)
    contacts = world.tenant.crm.records["Contacts"]
    account = next(
        a
        for a in world.tenant.crm.records["Accounts"]
        if sum(1 for c in contacts.values() if c.get("Account_Name") == a) >= 2
    )
    members = [c["id"] for c in contacts.values() if c.get("Account_Name") == account]
    world.advance(3600)
    api = world.api()
    api.crm.update("Accounts", [{"id": account, "Phone": "555 0101"}])
    api.crm.update("Contacts", [{"id": m, "Title": "Changed"} for m in members[:2]])
    api.crm.update("Contacts", [{"id": members[0], "Email": "changed@calls.example"}])
    world.advance(60)

    second = world.run(PERSONS)

    writes = second.writes()
    assert [(w.method, w.service) for w in writes] == [("PUT", "books")]
    assert {r.crm_module for r in second.report.rows if r.action is Action.UPDATED} == {
        "Accounts",
        "Contacts",
    }
