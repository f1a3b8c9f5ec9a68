"""The seed's flow in Chromium: Books → Settings → Integrations → Zoho CRM → Connect, Configure Now,
Save and Sync Now, for each of Books' three modules; then the Books records that result, the
request log while a sync runs, and the scheduled run two virtual hours later.

These need the integration's control-plane API (docs/books-crm-integration.md); in a build
without it, only the page's "not available" state is checked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from simulator.testing import RunningSimulator
from tests.browser.support import expect
from tests.support import ZohoClient

pytestmark = pytest.mark.server  # a real server in a thread, and a browser

INTEGRATION = "/__zohosim/tenants/t1/books/crm-integration"
#: Books module -> (its row on the page, the CRM module it syncs from, the Books link field).
MODULES = {
    "customers": ("Accounts", "zcrm_account_id"),
    "vendors": ("Vendors", "zcrm_vendor_id"),
    "items": ("Products", "zcrm_product_id"),
}
#: A sync of the test org takes a few hundred requests; bound the wait for it, never sleep.
RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def integration(zoho: ZohoClient) -> None:
    reply = zoho.control("GET", INTEGRATION.removeprefix("/__zohosim"))
    if reply.status_code == 404 and not isinstance(reply.json().get("error"), dict):
        pytest.skip("this build has no Books CRM integration API (docs/books-crm-integration.md)")


def test_without_the_integration_the_page_says_so(page: Any, zoho: ZohoClient) -> None:
    reply = zoho.control("GET", INTEGRATION.removeprefix("/__zohosim"))
    if reply.status_code != 404:
        pytest.skip("this build has the Books CRM integration: the flow tests cover its pages")
    page.goto("/__zohosim/console/tenants/t1")
    page.get_by_role("link", name="Zoho CRM").click()
    expect(page.locator("#integration-unavailable")).to_contain_text("not available")


def _connect(page: Any) -> None:
    page.goto("/__zohosim/console/tenants/t1")
    page.get_by_role("link", name="Zoho CRM").click()
    page.get_by_role("link", name="Connect").click()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#credentials")).to_contain_text("Connected to the CRM organization")


def _sync_now(page: Any, module: str) -> None:
    page.locator(f"#module-{module}").get_by_role("link", name="Configure Now").click()
    if module == "customers":
        page.get_by_role("radio", name="Accounts & their Contacts").check()
        page.get_by_label("Include contacts that are not associated").check()
    page.get_by_label("Overwrite").check()
    page.get_by_role("button", name="Save and Sync Now").click()
    expect(page.locator("#run-status")).to_have_text("finished", timeout=RUN_TIMEOUT_MS)


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize("module", list(MODULES))
def test_the_seed_flow_for_each_module(page: Any, served: RunningSimulator, module: str) -> None:
    crm_module, link = MODULES[module]
    tenant = served.sim.tenants["t1"]
    _connect(page)
    _sync_now(page, module)

    records = page.locator("#run-records tbody tr, #run-records tr").filter(has=page.locator("td"))
    expect(records.first).to_contain_text(re.compile("created|overwritten"))
    books = tenant.books
    linked = {getattr(r, link) for r in (books.items if module == "items" else books.contacts).values()}
    assert set(tenant.crm.records[crm_module]) <= linked  # every CRM record now has its Books twin

    records.first.get_by_role("link", name="compare").click()  # the pair, field by field
    name_row = page.locator("#compare tr").nth(1)  # the name comes first in every field map
    expect(name_row).to_contain_text("same")
    page.go_back()
    records.first.locator("td").nth(3).get_by_role("link").first.click()  # what it became in Books
    expect(page.locator("#crm-links")).to_contain_text(link)


@pytest.mark.usefixtures("integration")
def test_request_log_follows_a_sync(page: Any, zoho: ZohoClient) -> None:
    assert (
        zoho.control(
            "PUT",
            INTEGRATION.removeprefix("/__zohosim"),
            json={
                "connected": True,
                "modules": {"items": {"duplicates": "overwrite"}},
            },
        ).status_code
        == 200
    )
    page.goto("/__zohosim/console/requests")
    expect(page.locator("#log tbody tr").first).to_contain_text("No requests yet")
    started = zoho.control("POST", INTEGRATION.removeprefix("/__zohosim") + "/sync", json={"when": "now"})
    assert started.status_code == 202
    expect(page.locator("#log tbody tr").first).to_contain_text("books-crm-integration")


@pytest.mark.usefixtures("integration")
def test_two_hours_later_the_scheduled_run(page: Any) -> None:
    _connect(page)
    _sync_now(page, "vendors")
    page.get_by_role("link", name="Clock").click()
    page.get_by_role("button", name="+2 hours").click()
    expect(page.locator("#clock-state")).to_contain_text("2026-01-15T11:00:00")
    page.goto("/__zohosim/console/tenants/t1/books/settings/integrations/zohocrm")
    history = page.locator("#runs tbody tr, #runs tr").filter(has=page.locator("td"))
    expect(history.first).to_contain_text("schedule")
    expect(history.first.locator(".status")).to_have_text("finished", timeout=RUN_TIMEOUT_MS)
