"""Each CRM API version answers in its own shape (``simulator/crm/versions.py``), over raw HTTP.

A client written for ``/crm/v2`` reads replies the way Zoho's v2 SDK does: a lookup field's
``lookup.module`` is a module name to ask ``settings/fields`` about next, and a record list pages
on ``page`` and ``more_records`` alone.  v8's shapes are checked against Zoho's OpenAPI documents
by the other CRM tests; here every row of the versions table is probed on every version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from simulator.crm import versions
from tests.crm.expect import versioned
from tests.support import ZohoClient


class V2Client:
    """Just enough of a v2-era client: it trusts the v2 shapes and would break on v8's."""

    def __init__(self, zoho: ZohoClient) -> None:
        self.zoho = zoho

    def get(self, path: str, **params: Any) -> httpx.Response:
        return versioned(self.zoho, "v2", "GET", path, params=params)

    def fields(self, module: str) -> list[dict[str, Any]]:
        reply = self.get("/settings/fields", module=module)
        assert reply.status_code == 200, (module, reply.text)
        return reply.json()["fields"]

    def lookup_graph(self, module: str) -> dict[str, dict[str, str]]:
        """Each module reachable through lookups, with its lookup fields' target names, as the v2
        SDK walks them (``Utility.get_fields_info`` on each ``lookup.module``)."""
        graph: dict[str, dict[str, str]] = {}
        pending = [module]
        while pending:
            current = pending.pop()
            if current in graph:
                continue
            targets = {f["api_name"]: f["lookup"]["module"] for f in self.fields(current) if f["lookup"]}
            assert all(isinstance(name, str) for name in targets.values()), targets
            graph[current] = targets
            pending += targets.values()
        return graph

    def all_records(self, module: str, *, per_page: int) -> list[dict[str, Any]]:
        rows, page, more = [], 1, True
        while more:
            reply = self.get(f"/{module}", page=page, per_page=per_page)
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert set(body["info"]) == {"per_page", "count", "page", "more_records"}
            rows += body["data"]
            page, more = page + 1, body["info"]["more_records"]
        return rows


def test_a_v2_client_follows_lookup_module_names_through_the_field_metadata(zoho: ZohoClient) -> None:
    graph = V2Client(zoho).lookup_graph("Contacts")
    assert graph == {
        "Contacts": {"Account_Name": "Accounts", "Vendor_Name": "Vendors", "Reporting_To": "Contacts"},
        "Accounts": {"Parent_Account": "Accounts"},
        "Vendors": {},
    }
    v8 = zoho.crm("GET", "/settings/fields", params={"module": "Contacts"}).json()["fields"]
    assert {f["api_name"]: f["lookup"]["module"]["api_name"] for f in v8 if f["lookup"]} == graph["Contacts"]


def test_a_v2_client_reads_every_record_and_resolves_its_lookups(zoho: ZohoClient) -> None:
    client = V2Client(zoho)
    contacts = client.all_records("Contacts", per_page=40)
    accounts = {row["id"]: row["Account_Name"] for row in client.all_records("Accounts", per_page=200)}
    assert len(contacts) == 90 and len({row["id"] for row in contacts}) == 90
    field_names = {f["api_name"] for f in client.fields("Contacts")}
    assert all(field_names <= set(row) for row in contacts)
    linked = [row["Account_Name"] for row in contacts if row["Account_Name"]]
    assert linked and all(accounts[ref["id"]] == ref["name"] for ref in linked)


def _lookup_module_object(zoho: ZohoClient, version: str) -> bool:
    fields = versioned(zoho, version, "GET", "/settings/fields", params={"module": "Contacts"}).json()
    [account] = [f for f in fields["fields"] if f["api_name"] == "Account_Name"]
    return isinstance(account["lookup"]["module"], dict)


def _page_tokens(zoho: ZohoClient, version: str) -> bool:
    params = {"fields": "Account_Name", "per_page": 2}
    listed = versioned(zoho, version, "GET", "/Accounts", params=params).json()["info"]
    searched = versioned(
        zoho, version, "GET", "/Accounts/search", params={"word": "Ltd", "per_page": 1}
    ).json()["info"]
    assert ("next_page_token" in listed) == ("sort_by" in searched) == ("sort_order" in searched)
    if "next_page_token" in listed:
        token = {"fields": "Account_Name", "per_page": 2, "page_token": listed["next_page_token"]}
        assert versioned(zoho, version, "GET", "/Accounts", params=token).status_code == 200
    beyond = {"fields": "Account_Name", "per_page": 200, "page": 11}
    capped = versioned(zoho, version, "GET", "/Accounts", params=beyond).status_code != 204
    assert capped == ("next_page_token" in listed)
    return "next_page_token" in listed


def _fields_required(zoho: ZohoClient, version: str) -> bool:
    reply = versioned(zoho, version, "GET", "/Accounts", params={"per_page": 1})
    if reply.status_code == 200:
        return False
    assert reply.json()["code"] == "REQUIRED_PARAM_MISSING"
    return True


def _customizable_properties(zoho: ZohoClient, version: str) -> bool:
    fields = versioned(zoho, version, "GET", "/settings/fields", params={"module": "Vendors"}).json()
    shown = {"customizable_properties" in f for f in fields["fields"]}
    assert len(shown) == 1
    return shown.pop()


def _recycle_bin_on_delete(zoho: ZohoClient, version: str) -> bool:
    every = versioned(zoho, version, "GET", "/settings/modules").json()["modules"]
    one = versioned(zoho, version, "GET", "/settings/modules/Accounts").json()["modules"]
    shown = {"recycle_bin_on_delete" in module for module in [*every, *one]}
    assert len(shown) == 1
    return shown.pop()


def _deletable_org_account(zoho: ZohoClient, version: str) -> bool:
    return "deletable_org_account" in versioned(zoho, version, "GET", "/org").json()["org"][0]


#: For each row of the table, how a client sees whether a version behaves as v8 does.
PROBES: dict[str, Callable[[ZohoClient, str], bool]] = {
    "lookup_module_object": _lookup_module_object,
    "page_tokens": _page_tokens,
    "fields_required": _fields_required,
    "customizable_properties": _customizable_properties,
    "recycle_bin_on_delete": _recycle_bin_on_delete,
    "deletable_org_account": _deletable_org_account,
}


def test_every_row_of_the_versions_table_has_a_probe() -> None:
    assert set(PROBES) == {change.key for change in versions.CHANGES}
    assert all(change.sources and change.since in versions.VERSIONS for change in versions.CHANGES)


@pytest.mark.parametrize("version", versions.VERSIONS)
def test_each_version_answers_in_its_own_shape(zoho: ZohoClient, version: str) -> None:
    seen = {key: probe(zoho, version) for key, probe in PROBES.items()}
    expected = {
        "v2": dict.fromkeys(PROBES, False),
        "v2.1": dict.fromkeys(PROBES, False),
        "v3": {
            **dict.fromkeys(PROBES, True),
            "customizable_properties": False,
            "recycle_bin_on_delete": False,
        },
        "v6": dict.fromkeys(PROBES, True),
    }
    # Versions not listed answer as the nearest older one listed.
    nearest = max(
        (v for v in expected if versions.VERSIONS.index(v) <= versions.VERSIONS.index(version)),
        key=versions.VERSIONS.index,
    )
    assert seen == expected[nearest]
    assert seen == {key: versions.has(version, key) for key in PROBES}
