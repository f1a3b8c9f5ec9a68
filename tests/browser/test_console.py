"""The console's pages, clicked through in Chromium: records and their links, the live request
log, the clock, fault rules and snapshots."""

from __future__ import annotations

import re
from typing import Any

import pytest

from simulator.testing import RunningSimulator
from tests.browser.support import expect
from tests.support import ZohoClient

pytestmark = pytest.mark.server  # a real server in a thread, and a browser


def test_front_page_lists_tenants_with_their_credentials(page: Any, served: RunningSimulator) -> None:
    page.goto("/")
    creds = served.sim.tenants["t1"].credentials()
    card = page.locator("#tenant-t1")
    expect(card).to_contain_text(str(creds["client_id"]))
    expect(card).to_contain_text(str(creds["refresh_token"]))
    expect(card).to_contain_text(str(creds["books_organization_id"]))


def test_record_detail_shows_its_link_to_the_other_side(page: Any, served: RunningSimulator) -> None:
    tenant = served.sim.tenants["t1"]
    account_id, account = next(iter(tenant.crm.records["Accounts"].items()))
    contact = next(c for c in tenant.books.contacts.values() if c.contact_type == "customer")
    tenant.books.link_contact(contact.contact_id, zcrm_account_id=account_id)  # as a sync leaves them

    page.goto("/")
    page.get_by_role("link", name="t1", exact=True).click()
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("searchbox").fill(account["Account_Name"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=account["Account_Name"], exact=True).first.click()

    expect(page.locator("h1")).to_contain_text(account_id)
    links = page.locator("#books-links")
    expect(links).to_contain_text("zcrm_account_id")
    links.get_by_role("link", name=contact.contact_name).click()

    expect(page.locator("h1")).to_contain_text(contact.contact_id)
    back = page.locator("#crm-links")
    expect(back).to_contain_text(f"zcrm_account_id = {account_id}")
    back.get_by_role("link", name=account["Account_Name"]).click()
    expect(page).to_have_url(re.compile(f"/crm/Accounts/{account_id}$"))


def test_lists_page_and_search(page: Any, served: RunningSimulator) -> None:
    tenant = served.sim.tenants["t1"]
    contacts = len(tenant.crm.records["Contacts"])
    assert 50 < contacts <= 100
    page.goto("/__zohosim/console/tenants/t1/crm/Contacts")
    rows = page.locator("table.records tbody tr")
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pager")).to_contain_text("page 2")
    expect(rows).to_have_count(contacts - 50)
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    item = next(iter(tenant.books.items.values()))
    page.goto("/__zohosim/console/tenants/t1/books/items")
    page.get_by_role("searchbox").fill(item.name)
    page.get_by_role("button", name="Search").click()
    found = page.get_by_role("link", name=item.name, exact=True)  # Books allows namesakes
    expect(found.first).to_be_visible()
    page.locator(f"a[href$='/books/items/{item.item_id}']").click()
    expect(page.locator("h1")).to_contain_text(item.item_id)


def test_request_log_follows_requests_as_they_happen(page: Any, zoho: ZohoClient) -> None:
    page.goto("/__zohosim/console/requests")
    rows = page.locator("#log tbody tr")
    expect(rows.first).to_contain_text("No requests yet")

    zoho.crm("GET", "/Accounts", params={"per_page": 3})
    expect(rows.first).to_contain_text("/crm/v8/Accounts")
    created = zoho.books("POST", "/items", json={"name": "Console Widget", "rate": 12.5})
    assert created.status_code == 201
    expect(rows.first).to_contain_text("/books/v3/items")
    expect(rows.first).to_contain_text("201")

    rows.first.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("POST /books/v3/items")
    expect(page.locator("pre")).to_contain_text('"name": "Console Widget"')


def test_request_log_filters(page: Any, zoho: ZohoClient) -> None:
    zoho.crm("GET", "/Accounts", params={"per_page": 1})
    zoho.books("GET", "/contacts")
    page.goto("/__zohosim/console/requests")
    page.get_by_label("service").select_option("books")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#log tbody tr")).to_have_count(1)
    expect(page.locator("#log tbody tr").first).to_contain_text("/books/v3/contacts")


def test_moving_the_clock(page: Any, served: RunningSimulator) -> None:
    page.goto("/__zohosim/console/clock")
    state = page.locator("#clock-state")
    expect(state).to_contain_text("2026-01-15T09:00:00+00:00")
    page.get_by_role("button", name="+2 hours").click()
    expect(state).to_contain_text("2026-01-15T11:00:00+00:00")
    page.get_by_label("set to").fill("2026-03-01T08:30:00Z")
    page.get_by_role("button", name="Set", exact=True).click()
    expect(state).to_contain_text("2026-03-01T08:30:00+00:00 — frozen")
    page.get_by_label("advance by").fill("-1")
    page.get_by_role("button", name="Advance", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("'advance' must be a number of seconds >= 0")
    assert served.sim.clock.now().isoformat() == "2026-03-01T08:30:00+00:00"


def test_fault_rules_add_and_remove(page: Any, served: RunningSimulator, zoho: ZohoClient) -> None:
    zoho.token()  # minted before the rule, which would fail it too
    page.goto("/__zohosim/console/faults")
    form = page.locator("#add-fault")
    form.get_by_label("service").select_option("crm")
    form.get_by_label("next k matches").fill("1")
    form.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("rule f1 added")
    expect(page.locator("#rules")).to_contain_text("the next 1")

    assert zoho.crm("GET", "/Accounts").status_code == 503
    page.reload()
    expect(page.locator("#rules tbody tr").first).to_contain_text("1 / 1")
    page.get_by_role("button", name="Remove f1").click()
    expect(page.locator("#rules")).to_contain_text("No fault rules")
    assert served.sim.faults.rules == {}


def test_snapshots_take_and_restore(page: Any, served: RunningSimulator, zoho: ZohoClient) -> None:
    page.goto("/__zohosim/console/tenants/t1")
    page.get_by_label("name").fill("before")
    page.get_by_role("button", name="Take snapshot").click()
    expect(page.get_by_role("status")).to_contain_text("snapshot before taken")

    item = next(iter(served.sim.tenants["t1"].books.items.values()))
    assert zoho.books("DELETE", f"/items/{item.item_id}").status_code == 200
    assert item.item_id not in served.sim.tenants["t1"].books.items

    page.get_by_role("button", name="Restore before").click()
    expect(page.get_by_role("status")).to_contain_text("snapshot before restored")
    assert item.item_id in served.sim.tenants["t1"].books.items
