"""A run's page in Chromium: each record's outcome with what its mapped fields were and became."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import expect
from tests.support import ZohoClient

pytestmark = pytest.mark.server  # a real server in a thread, and a browser

INTEGRATION = "/tenants/t1/books/crm-integration"


def test_a_run_page_shows_a_fields_old_value_struck_through_and_its_new_one(
    page: Any, zoho: ZohoClient
) -> None:
    zoho.control(
        "PUT", INTEGRATION, json={"connected": True, "modules": {"vendors": {"duplicates": "overwrite"}}}
    )
    run = zoho.control("POST", f"{INTEGRATION}/sync", json={"wait": True}).json()["run"]
    page_of = zoho.control(
        "GET", f"{INTEGRATION}/runs/{run['run_id']}", params={"outcome": "overwritten"}
    ).json()
    record = page_of["records"][0]
    change = next(c for c in record["changes"] if c["before"] and c["after"])

    page.goto(
        f"/__zohosim/console/tenants/t1/books/settings/integrations/zohocrm/runs/{run['run_id']}?outcome=overwritten"
    )
    row = page.locator("#run-records tr").filter(has=page.get_by_role("link", name=record["books_id"]))
    cell = row.locator("td.changes")
    field = cell.locator("dt", has_text=change["field"])
    expect(field).to_have_count(1)
    expect(cell.locator("del", has_text=str(change["before"]))).to_have_count(1)
    expect(cell.locator("ins", has_text=str(change["after"]))).to_have_count(1)
    expect(page.locator("#run-changes")).to_contain_text(f"{run['changes']['records']} records")
