"""The control plane: tenants, reset, clock, export/import and snapshots, views and settings."""

from __future__ import annotations

from tests.support import ZohoClient


def _account_names(zoho: ZohoClient, token: str | None = None, **params: str) -> list[str]:
    reply = zoho.crm(
        "GET", "/Accounts", token=token, params={"fields": "Account_Name", "per_page": "200", **params}
    )
    return [] if reply.status_code == 204 else [r["Account_Name"] for r in reply.json()["data"]]


def _create_account(zoho: ZohoClient, name: str, token: str | None = None) -> str:
    reply = zoho.crm("POST", "/Accounts", token=token, json={"data": [{"Account_Name": name}]})
    assert reply.status_code == 201, reply.text
    return reply.json()["data"][0]["details"]["id"]


def test_tenants_are_listed_with_ready_credentials(zoho: ZohoClient) -> None:
    [tenant] = zoho.control("GET", "/tenants").json()["tenants"]
    assert tenant["tenant_id"] == "t1" and tenant["seed"] == 42
    assert {"client_id", "client_secret", "refresh_token", "crm_org_id", "books_organization_id"} <= set(
        tenant
    )


def test_a_new_tenant_is_seeded_and_isolated(zoho: ZohoClient) -> None:
    created = zoho.control("POST", "/tenants", json={"tenant_id": "w2", "seed": 7, "sizes": {"accounts": 5}})
    assert created.status_code == 201
    other = ZohoClient(mode=zoho.mode, http=zoho.http, creds=created.json())
    assert len(_account_names(other)) == 5
    assert created.json()["books_organization_id"] != zoho.creds["books_organization_id"]
    # one tenant's token cannot read the other's Books org: the real error, 6041
    crossed = zoho.books("GET", "/contacts", org=created.json()["books_organization_id"])
    assert (crossed.status_code, crossed.json()["code"]) == (400, 6041)
    assert zoho.control("DELETE", "/tenants/w2").status_code == 200
    assert zoho.crm("GET", "/org", token=other.token()).status_code == 401


def test_tenant_errors_name_the_fix(zoho: ZohoClient) -> None:
    dup = zoho.control("POST", "/tenants", json={"tenant_id": "t1"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "tenant_exists"
    missing = zoho.control("GET", "/tenants/nope")
    assert missing.status_code == 404 and "GET /__zohosim/tenants" in missing.json()["error"]["message"]
    bad = zoho.control("POST", "/tenants", json={"sizes": {"planets": 3}})
    assert bad.status_code == 400 and "accounts" in bad.json()["error"]["message"]
    assert zoho.control("POST", "/tenants", content=b"{nope").status_code == 400
    assert zoho.control("POST", "/tenants", json={"seed": -1}).status_code == 400


def test_reset_restores_the_seeded_state(zoho: ZohoClient) -> None:
    before = _account_names(zoho)
    _create_account(zoho, "Scratch Ltd")
    assert len(_account_names(zoho)) == len(before) + 1
    assert zoho.control("POST", "/reset", json={"tenant_id": "t1"}).json() == {"reset": ["t1"]}
    assert _account_names(zoho) == before
    assert zoho.control("POST", "/reset", json={"tenant_id": "zz"}).status_code == 404


def test_clock_reads_sets_and_advances(zoho: ZohoClient) -> None:
    assert zoho.control("GET", "/clock").json() == {"now": "2026-01-15T09:00:00+00:00", "frozen": True}
    moved = zoho.control("POST", "/clock", json={"advance": 90})
    assert moved.json()["now"] == "2026-01-15T09:01:30+00:00"
    assert (
        zoho.control("POST", "/clock", json={"set": "2026-03-01T00:00:00Z"})
        .json()["now"]
        .startswith("2026-03-01")
    )
    assert zoho.control("POST", "/clock", json={"advance": -5}).status_code == 400
    assert zoho.control("POST", "/clock", json={"set": "yesterday"}).status_code == 400


def test_modified_time_follows_the_virtual_clock(zoho: ZohoClient) -> None:
    zoho.control("POST", "/clock", json={"set": "2026-02-02T10:00:00Z"})
    account_id = _create_account(zoho, "Clockwork Inc", token=zoho.token())
    record = zoho.crm("GET", f"/Accounts/{account_id}").json()["data"][0]
    assert record["Modified_Time"] == "2026-02-02T15:30:00+05:30"


def test_export_then_import_is_byte_identical(zoho: ZohoClient) -> None:
    _create_account(zoho, "Exported Co")
    exported = zoho.control("GET", "/tenants/t1/export")
    zoho.control("POST", "/reset")
    assert "Exported Co" not in _account_names(zoho)
    assert zoho.control("POST", "/tenants/t1/import", content=exported.content).status_code == 200
    assert zoho.control("GET", "/tenants/t1/export").content == exported.content
    assert "Exported Co" in _account_names(zoho)
    refused = zoho.control("POST", "/tenants/t1/import", json={"format": "other"})
    assert refused.status_code == 400 and "export" in refused.json()["error"]["message"]


def test_snapshots_roll_back_by_name(zoho: ZohoClient) -> None:
    assert zoho.control("POST", "/tenants/t1/snapshots", json={"name": "clean"}).status_code == 201
    _create_account(zoho, "Temporary Ltd")
    assert zoho.control("GET", "/tenants/t1/snapshots").json() == {"snapshots": ["clean"]}
    assert zoho.control("POST", "/tenants/t1/snapshots/clean/restore").status_code == 200
    assert "Temporary Ltd" not in _account_names(zoho)
    assert zoho.control("POST", "/tenants/t1/snapshots/nope/restore").status_code == 400
    assert zoho.control("DELETE", "/tenants/t1/snapshots/clean").status_code == 200


def test_a_custom_view_created_through_the_control_plane_filters_records(zoho: ZohoClient) -> None:
    _create_account(zoho, "Zeta View Match")
    criteria = {"comparator": "starts_with", "field": {"api_name": "Account_Name"}, "value": "Zeta View"}
    created = zoho.control(
        "POST", "/tenants/t1/crm/views", json={"module": "Accounts", "name": "Zeta", "criteria": criteria}
    )
    assert created.status_code == 201
    cvid = created.json()["custom_view"]["id"]
    assert _account_names(zoho, cvid=cvid) == ["Zeta View Match"]
    listed = zoho.crm("GET", "/settings/custom_views", params={"module": "Accounts"}).json()["custom_views"]
    assert cvid in [v["id"] for v in listed]
    missing = zoho.control("POST", "/tenants/t1/crm/views", json={"module": "Accounts", "name": "x"})
    assert missing.status_code == 400 and "criteria" in missing.json()["error"]["message"]


def test_books_duplicate_name_setting_toggles_3062(zoho: ZohoClient) -> None:
    name = zoho.books("GET", "/contacts").json()["contacts"][0]["contact_name"]
    assert zoho.control("GET", "/tenants/t1/books/settings").json()["allow_duplicate_names"] is True
    zoho.control("PUT", "/tenants/t1/books/settings", json={"allow_duplicate_names": False})
    refused = zoho.books("POST", "/contacts", json={"contact_name": name})
    assert (refused.status_code, refused.json()["code"]) == (400, 3062)
    assert (
        zoho.control("PUT", "/tenants/t1/books/settings", json={"allow_duplicate_names": "no"}).status_code
        == 400
    )


def test_request_log_records_and_filters(zoho: ZohoClient) -> None:
    zoho.control("DELETE", "/requests")
    _account_names(zoho)
    _create_account(zoho, "Logged Ltd")
    zoho.books("GET", "/contacts")
    entries = zoho.control("GET", "/requests", params={"tenant_id": "t1"}).json()["requests"]
    assert [(e["service"], e["method"], e["status"]) for e in entries if e["service"] != "accounts"] == [
        ("crm", "GET", 200),
        ("crm", "POST", 201),
        ("books", "GET", 200),
    ]
    writes = zoho.control("GET", "/requests", params={"service": "crm", "writes_only": "true"}).json()[
        "requests"
    ]
    assert [w["body"]["data"][0]["Account_Name"] for w in writes] == ["Logged Ltd"]
    assert writes[0]["time"] == "2026-01-15T09:00:00+00:00"
    zoho.control("DELETE", "/requests")
    assert zoho.control("GET", "/requests").json()["requests"] == []


def test_a_tenant_can_be_reseeded_with_another_seed_and_sizes(zoho: ZohoClient) -> None:
    reseeded = zoho.control("POST", "/tenants/t1/reset", json={"seed": 7, "sizes": {"accounts": 4}})
    assert reseeded.json() == {"reset": ["t1"], "seed": 7}
    assert len(_account_names(zoho)) == 4
    assert zoho.control("POST", "/tenants/t1/reset", json={"seed": "x"}).status_code == 400
