"""Each invariant check on hand-built before/after snapshots: it passes a clean run, and flags a
hand-made violation with its own id and no other (so a broken syncer is caught by what it breaks)."""

from __future__ import annotations

import pytest

from conformance.invariants import INVARIANTS, RUN_FAILED, compare_worlds, unmapped_changes
from conformance.observe import RunOutcome
from tests.conformance.builders import (
    T1,
    T2,
    T3,
    account,
    changed,
    contact,
    customer,
    flagged,
    item,
    person,
    plan,
    product,
    snap,
    vendor,
    write,
)

ACCOUNTS = {"module": "customers", "crm_source": "accounts", "extent": "fetch_from_crm", "duplicates": "skip"}


def entry(**overrides: object) -> dict:
    return {**ACCOUNTS, **overrides}


def acme_customer(books_id: str = "20", *, created: str = T2, **fields: object) -> dict:
    """What a correct sync makes of account "Acme" (website w) with the default accounts map."""
    return customer(books_id, "Acme", created=created, company_name="Acme", website="w", **fields)


# ---- section 3 ----------------------------------------------------------------------------------


def test_skip_untouched() -> None:
    before = snap(account("1", "Acme", Website="w"), customer("10", "ACME "))
    assert flagged(plan(entry(), before, before)) == set()
    written = changed(before, "10", website="x", last_modified_time=T3)
    assert flagged(plan(entry(), before, written)) == {"SKIP-UNTOUCHED"}
    made = snap(account("1", "Acme", Website="w"), customer("10", "ACME "), acme_customer())
    assert flagged(plan(entry(), before, made)) == {"SKIP-UNTOUCHED"}


def _two_duplicates() -> object:
    # "ACME" (11) is the earliest created: the existing record, though its id is larger than 10's
    return snap(
        account("1", "Acme", Website="w"),
        customer("10", "acme", created=T1),
        customer("11", "ACME", created="2026-01-15T08:00:00+00:00", notes="keep"),
    )


def test_overwrite_replaces() -> None:
    before = _two_duplicates()
    mode = entry(duplicates="overwrite")
    clean = changed(
        before, "11", contact_name="Acme", company_name="Acme", website="w", last_modified_time=T3
    )
    assert flagged(plan(mode, before, clean)) == set()
    wrong_one = changed(
        before, "10", contact_name="Acme", company_name="Acme", website="w", last_modified_time=T3
    )
    assert flagged(plan(mode, before, wrong_one)) == {"OVERWRITE-REPLACES"}
    clobbered = changed(clean, "11", notes="")
    assert flagged(plan(mode, before, clobbered)) == {"OVERWRITE-REPLACES"}
    not_mapped = changed(before, "11", contact_name="Acme", company_name="Acme", last_modified_time=T3)
    assert flagged(plan(mode, before, not_mapped)) == {"OVERWRITE-REPLACES"}


def test_overwrite_keeps_persons_and_counts_the_key() -> None:
    before = snap(
        account("1", "Acme", Website="w"),
        customer("11", "ACME", persons=[person("5", "Pat", "Smith", primary=True)]),
    )
    mode = entry(duplicates="overwrite")
    clean = changed(before, "11", contact_name="Acme", company_name="Acme", website="w")
    assert flagged(plan(mode, before, clean)) == set()
    dropped = changed(clean, "11", contact_persons=[])
    assert "OVERWRITE-REPLACES" in flagged(plan(mode, before, dropped))
    extra = snap(*clean.crm["Accounts"].values(), *clean.contacts.values(), customer("30", "acme"))
    assert "OVERWRITE-REPLACES" in flagged(plan(mode, before, extra))


def test_clone_adds() -> None:
    before = _two_duplicates()
    mode = entry(duplicates="clone")
    clean = snap(*before.crm["Accounts"].values(), *before.contacts.values(), acme_customer())
    assert flagged(plan(mode, before, clean)) == set()
    touched = changed(clean, "11", website="w", last_modified_time=T3)
    assert flagged(plan(mode, before, touched)) == {"CLONE-ADDS"}
    twice = snap(*clean.crm["Accounts"].values(), *clean.contacts.values(), acme_customer("21"))
    assert flagged(plan(mode, before, twice)) == {"CLONE-ADDS"}


def test_clone_refused_by_3062_changes_nothing() -> None:
    before = snap(account("1", "Acme"), customer("10", "Acme"))
    mode = entry(duplicates="clone")
    failed = RunOutcome(ok=False, error="exit status 1")
    assert flagged(plan(mode, before, before, allow_dup=False, outcome=failed)) == set()
    made = snap(
        account("1", "Acme"), customer("10", "Acme"), customer("20", "Acme", created=T2, company_name="Acme")
    )
    assert flagged(plan(mode, before, made, allow_dup=False)) == {"CLONE-ADDS"}


def test_items_match_by_sku_when_both_have_one() -> None:
    # same name, other SKU: not a duplicate, so skip creates the item; same SKU, other name: a duplicate
    before = snap(
        product("1", "Widget", code="SKU-1", Unit_Price=5),
        item("10", "widget", sku="SKU-9"),
        product("2", "Gizmo", code="SKU-2"),
        item("11", "Renamed", sku="sku-2"),
    )
    items = {"module": "items", "extent": "fetch_from_crm", "duplicates": "skip"}
    clean = snap(
        *before.crm["Products"].values(),
        *before.items.values(),
        item("20", "Widget", sku="SKU-1", rate=5, created=T2),
    )
    assert flagged(plan(items, before, clean)) == set()
    assert flagged(plan(items, before, before)) == {"MODULE-SHAPE"}


# ---- section 4 and shape ----------------------------------------------------------------------------


def test_fetch_read_only() -> None:
    before = snap(account("1", "Acme", Website="w"))
    clean = snap(account("1", "Acme", Website="w"), acme_customer())
    assert flagged(plan(entry(), before, clean)) == set()
    wrote = changed(clean, crm=("Accounts", "1"), Description="synced", Modified_Time=T3)
    request = write("crm", "PUT", "/crm/v8/Accounts", {"data": [{"id": "1", "Description": "synced"}]})
    assert flagged(plan(entry(), before, wrote, requests=[request])) == {"FETCH-READ-ONLY"}


def test_view_bounded() -> None:
    before = snap(account("1", "Acme", Website="w"), account("2", "Globex"))
    view = entry(view="99")
    clean = snap(*before.crm["Accounts"].values(), acme_customer())
    assert flagged(plan(view, before, clean, in_view={"Accounts": {"1"}})) == set()
    leaked = snap(
        *clean.crm["Accounts"].values(),
        *clean.contacts.values(),
        customer("21", "Globex", created=T2, company_name="Globex"),
    )
    assert flagged(plan(view, before, leaked, in_view={"Accounts": {"1"}})) == {"VIEW-BOUNDED"}


def test_view_bounded_contacts_of_accounts_outside_the_view() -> None:
    both = {
        "module": "customers",
        "crm_source": "accounts_and_contacts",
        "extent": "fetch_from_crm",
        "duplicates": "skip",
        "view": "99",
    }
    before = snap(
        account("1", "Acme", Website="w"), account("2", "Globex"), contact("5", "Ada", "King", account_id="2")
    )
    clean = snap(*before.crm["Accounts"].values(), *before.crm["Contacts"].values(), acme_customer())
    in_view = {"Accounts": {"1"}}
    assert flagged(plan(both, before, clean, in_view=in_view)) == set()
    placed = changed(clean, "20", contact_persons=[person("7", "Ada", "King", primary=True)])
    assert flagged(plan(both, before, placed, in_view=in_view)) == {"VIEW-BOUNDED"}


def test_module_shape() -> None:
    before = snap(account("1", "Acme", Website="w"))
    wrong_type = snap(account("1", "Acme", Website="w"), acme_customer(customer_sub_type="individual"))
    assert flagged(plan(entry(), before, wrong_type)) == {"MODULE-SHAPE"}
    assert flagged(plan(entry(), before, before)) == {"MODULE-SHAPE"}  # not synced at all


def test_module_shape_contacts_and_persons() -> None:
    contacts = {
        "module": "customers",
        "crm_source": "contacts",
        "extent": "fetch_from_crm",
        "duplicates": "skip",
        "field_map": [["contact_name", "Full_Name"], ["primary_contact.email", "Email"]],
    }
    before = snap(contact("5", "Ada", "King"))  # no email: a missing person breaks only the shape
    made = customer(
        "20", "Ada King", sub="individual", created=T2, persons=[person("7", "Ada", "King", primary=True)]
    )
    assert flagged(plan(contacts, before, snap(*before.crm["Contacts"].values(), made))) == set()
    no_person = dict(made, contact_persons=[])
    assert flagged(plan(contacts, before, snap(*before.crm["Contacts"].values(), no_person))) == {
        "MODULE-SHAPE"
    }


def test_module_shape_earliest_contact_is_primary() -> None:
    both = {
        "module": "customers",
        "crm_source": "accounts_and_contacts",
        "extent": "fetch_from_crm",
        "duplicates": "skip",
    }
    before = snap(
        account("1", "Acme", Website="w"),
        contact("5", "Ada", "King", account_id="1", created=T1),
        contact("6", "Bo", "Li", account_id="1", created="2026-01-15T08:00:00+00:00"),
    )
    people = [person("7", "Ada", "King"), person("8", "Bo", "Li", primary=True)]
    clean = snap(
        *before.crm["Accounts"].values(), *before.crm["Contacts"].values(), acme_customer(persons=people)
    )
    assert flagged(plan(both, before, clean)) == set()
    swapped = changed(
        clean, "20", contact_persons=[person("7", "Ada", "King", primary=True), person("8", "Bo", "Li")]
    )
    assert flagged(plan(both, before, swapped)) == {"MODULE-SHAPE"}
    missing = changed(clean, "20", contact_persons=[person("8", "Bo", "Li", primary=True)])
    assert flagged(plan(both, before, missing)) == {"MODULE-SHAPE"}


def test_unassociated_contacts_only_with_the_flag() -> None:
    both = {
        "module": "customers",
        "crm_source": "accounts_and_contacts",
        "extent": "fetch_from_crm",
        "duplicates": "skip",
    }
    before = snap(account("1", "Acme", Website="w"), contact("5", "Ada", "King"))
    clean = snap(*before.crm["Accounts"].values(), *before.crm["Contacts"].values(), acme_customer())
    assert flagged(plan(both, before, clean)) == set()
    loose = customer(
        "21", "Ada King", sub="individual", created=T2, persons=[person("9", "Ada", "King", primary=True)]
    )
    synced = snap(
        *clean.crm["Accounts"].values(), *clean.crm["Contacts"].values(), *clean.contacts.values(), loose
    )
    assert flagged(plan(both, before, synced)) == {"MODULE-SHAPE"}
    assert flagged(plan({**both, "include_unassociated_contacts": True}, before, synced)) == set()
    assert flagged(plan({**both, "include_unassociated_contacts": True}, before, clean)) == {"MODULE-SHAPE"}


def test_mapped_equal() -> None:
    before = snap(account("1", "Acme", Website="w", Billing_City="Oz"))
    clean = snap(*before.crm["Accounts"].values(), acme_customer(billing_address={"city": "Oz"}))
    assert flagged(plan(entry(), before, clean)) == set()
    wrong = snap(*before.crm["Accounts"].values(), acme_customer(billing_address={"city": "Elsewhere"}))
    assert flagged(plan(entry(), before, wrong)) == {"MAPPED-EQUAL"}


def test_multimap_priority() -> None:
    # Website is mapped from website (first) and notes: a push takes website
    mode = {
        **ACCOUNTS,
        "extent": "both_ways",
        "field_map": [["contact_name", "Account_Name"], ["website", "Website"], ["notes", "Website"]],
    }
    before = snap(customer("10", "Foo", website="w1", notes="n1"))
    clean = snap(
        account("2", "Foo", Website="w1", created=T3), customer("10", "Foo", website="w1", notes="w1")
    )
    assert flagged(plan(mode, before, clean)) == set()
    last = snap(
        account("2", "Foo", Website="n1", created=T3), customer("10", "Foo", website="n1", notes="n1")
    )
    assert flagged(plan(mode, before, last)) == {"MULTIMAP-PRIORITY"}


def test_no_crm_duplicate() -> None:
    mode = {**ACCOUNTS, "extent": "both_ways"}
    before = snap(account("1", "Acme"), customer("10", "acme "))
    assert flagged(plan(mode, before, before)) == set()
    pushed = snap(account("1", "Acme"), account("2", "acme ", created=T3), customer("10", "acme "))
    assert flagged(plan(mode, before, pushed)) == {"NO-CRM-DUPLICATE"}


def test_module_isolation() -> None:
    vendors = {"module": "vendors", "extent": "fetch_from_crm", "duplicates": "skip"}
    before = snap(vendor("1", "Northwind"), customer("10", "Other"))
    made = customer("20", "Northwind", kind="vendor", created=T2, company_name="Northwind")
    clean = snap(*before.crm["Vendors"].values(), *before.contacts.values(), made)
    assert flagged(plan(vendors, before, clean)) == set()
    touched = changed(clean, "10", website="x", last_modified_time=T3)
    request = write("books", "PUT", "/books/v3/contacts/10", {"website": "x"})
    assert flagged(plan(vendors, before, touched, requests=[request])) == {"MODULE-ISOLATION"}
    crm = changed(clean, crm=("Vendors", "1"), Modified_Time=T3)
    crm.crm["Accounts"]["3"] = account("3", "Intruder", created=T3)
    assert "MODULE-ISOLATION" in flagged(plan(vendors, before, crm))


def test_no_delete() -> None:
    before = snap(
        account("1", "Acme", Website="w"), customer("10", "Other", persons=[person("5", "Pat", "Smith")])
    )
    clean = snap(*before.crm["Accounts"].values(), *before.contacts.values(), acme_customer())
    assert flagged(plan(entry(), before, clean)) == set()
    gone = snap(*before.crm["Accounts"].values(), acme_customer())
    request = write("books", "DELETE", "/books/v3/contacts/10")
    assert flagged(plan(entry(), before, gone, requests=[request])) == {"NO-DELETE"}
    no_person = changed(clean, "10", contact_persons=[])
    assert flagged(plan(entry(), before, no_person)) == {"NO-DELETE"}


def test_run_failed_is_reported_on_its_own() -> None:
    before = snap(account("1", "Acme", Website="w"))
    clean = snap(*before.crm["Accounts"].values(), acme_customer())
    failed = RunOutcome(ok=False, error="exit status 1\nTraceback: boom")
    assert flagged(plan(entry(), before, clean, outcome=failed)) == {RUN_FAILED}


# ---- section 5: several runs --------------------------------------------------------------------------


def _after_first_run(mode: dict) -> tuple:
    before = snap(account("1", "Acme", Website="w"), account("2", "Globex", Website="g"))
    after = snap(
        *before.crm["Accounts"].values(),
        acme_customer(),
        customer("21", "Globex", created=T2, company_name="Globex", website="g"),
    )
    first = plan(mode, before, after)
    assert flagged(first) == set()
    return first, after


def test_idempotent() -> None:
    first, after = _after_first_run(entry())
    quiet = plan(entry(), after, after, previous=after, pairs=first.pairs, quiet=True)
    assert flagged(quiet) == set()
    rewrite = write("books", "PUT", "/books/v3/contacts/20", {"website": "w"})
    noisy = plan(entry(), after, after, previous=after, pairs=first.pairs, quiet=True, requests=[rewrite])
    assert flagged(noisy) == {"IDEMPOTENT"}


def test_incremental() -> None:
    first, after = _after_first_run(entry())
    edited = changed(after, crm=("Accounts", "1"), Website="new", Modified_Time=T3)
    reached = changed(edited, "20", website="new", last_modified_time=T3)
    assert flagged(plan(entry(), edited, reached, previous=after, pairs=first.pairs, edited=True)) == set()
    missed = plan(entry(), edited, edited, previous=after, pairs=first.pairs, edited=True)
    assert flagged(missed) == {"INCREMENTAL"}
    churn = changed(reached, "21", last_modified_time=T3)
    request = write("books", "PUT", "/books/v3/contacts/21", {"website": "g"})
    rewritten = plan(
        entry(), edited, churn, previous=after, pairs=first.pairs, edited=True, requests=[request]
    )
    assert flagged(rewritten) == {"INCREMENTAL"}


def test_incremental_both_ways_later_side_wins() -> None:
    mode = entry(extent="both_ways")
    first, after = _after_first_run(mode)
    edited = changed(after, crm=("Accounts", "1"), Website="crm", Modified_Time=T2)
    edited = changed(edited, "20", website="books", last_modified_time=T3)  # Books changed later: it wins
    books_won = changed(edited, crm=("Accounts", "1"), Website="books", Modified_Time=T3)
    assert flagged(plan(mode, edited, books_won, previous=after, pairs=first.pairs, edited=True)) == set()
    crm_won = changed(edited, "20", website="crm")
    assert flagged(plan(mode, edited, crm_won, previous=after, pairs=first.pairs, edited=True)) == {
        "INCREMENTAL"
    }


def test_converge() -> None:
    mode = entry(extent="both_ways")
    first, after = _after_first_run(mode)
    edited = changed(after, "20", website="b", last_modified_time=T3)
    pushed = changed(edited, crm=("Accounts", "1"), Website="b", Modified_Time=T3)
    assert flagged(plan(mode, edited, pushed, previous=after, pairs=first.pairs, edited=True)) == set()
    apart = changed(pushed, "20", company_name="Something else")
    assert flagged(plan(mode, edited, apart, previous=after, pairs=first.pairs, edited=True)) == {"CONVERGE"}


# ---- two worlds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("invariant", ["FAULT-TOLERANT", "RESUMABLE"])
def test_compare_worlds(invariant: str) -> None:
    one = snap(account("1", "Acme", Website="w"), acme_customer("20"))
    other = snap(account("7", "Acme", Website="w", created=T3), acme_customer("70", created=T3))
    assert compare_worlds(invariant, one, other, what="x") == []
    twice = snap(*other.crm["Accounts"].values(), *other.contacts.values(), acme_customer("71"))
    found = compare_worlds(invariant, one, twice, what="a duplicate")
    assert [v.invariant for v in found] == [invariant]
    assert found[0].records and found[0].records[0].after is not None
    lost = snap(*other.crm["Accounts"].values())
    assert [v.invariant for v in compare_worlds(invariant, one, lost, what="lost")] == [invariant]


def test_every_invariant_id_has_a_check() -> None:
    from conformance.invariants import SINGLE_RUN
    from conformance.runner import GROUPS

    covered = set(SINGLE_RUN) | {i for g in GROUPS.values() for i in g.invariants}
    assert set(INVARIANTS) <= covered
    assert len(INVARIANTS) == 17


def test_unmapped_changes_ignores_mapped_fields_and_link_fields() -> None:
    before = customer("10", "acme", website="a", notes="keep", billing_address={"city": "X", "zip": "1"})
    after = dict(
        before,
        contact_name="Acme",
        website="b",
        zcrm_account_id="99",
        last_modified_time=T3,
        billing_address={**before["billing_address"], "city": "Y"},
    )
    field_map = [
        ("contact_name", "Account_Name"),
        ("website", "Website"),
        ("billing_address.city", "Billing_City"),
    ]
    assert unmapped_changes(field_map, before, after) == {}
    after["billing_address"] = {**after["billing_address"], "zip": "2"}
    assert unmapped_changes(field_map, before, after) == {"billing_address.zip": ("1", "2")}
