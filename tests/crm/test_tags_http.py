"""Tags over HTTP: ``settings/tags`` and a record's ``add_tags``/``remove_tags``."""

from __future__ import annotations

from typing import Any

from tests.crm.expect import error, valid
from tests.support import ZohoClient


def first_ids(zoho: ZohoClient, module: str, count: int) -> list[str]:
    reply = zoho.crm("GET", f"/{module}", params={"fields": "Owner", "per_page": count})
    return [record["id"] for record in reply.json()["data"]]


def tags_of(zoho: ZohoClient, module: str, record_id: str) -> list[dict[str, Any]]:
    return zoho.crm("GET", f"/{module}/{record_id}").json()["data"][0]["Tag"]


def test_creating_listing_renaming_and_deleting_tags(zoho: ZohoClient) -> None:
    listed = valid(zoho.crm("GET", "/settings/tags", params={"module": "Accounts"}))
    assert listed == {"tags": [], "info": {"count": 0, "allowed_count": 100}}
    reply = zoho.crm(
        "POST",
        "/settings/tags",
        params={"module": "Accounts"},
        json={"tags": [{"name": "Hot", "color_code": "#F17574"}, {"name": "Cold"}]},
    )
    created = valid(reply)["tags"]
    assert reply.status_code == 201
    assert [t["message"] for t in created] == ["tags created successfully"] * 2
    hot_id = created[0]["details"]["id"]
    listed = valid(zoho.crm("GET", "/settings/tags", params={"module": "Accounts"}))
    assert [(t["name"], t["color_code"]) for t in listed["tags"]] == [("Hot", "#F17574"), ("Cold", "#879BFC")]
    assert valid(zoho.crm("GET", "/settings/tags", params={"module": "Contacts"}))["tags"] == []
    renamed = zoho.crm(
        "PUT", f"/settings/tags/{hot_id}", params={"module": "Accounts"}, json={"tags": [{"name": "Warm"}]}
    )
    assert renamed.json()["tags"][0]["message"] == "tags updated successfully"
    names = [
        t["name"] for t in zoho.crm("GET", "/settings/tags", params={"module": "Accounts"}).json()["tags"]
    ]
    assert names == ["Warm", "Cold"]
    deleted = zoho.crm("DELETE", f"/settings/tags/{hot_id}")
    assert deleted.json()["tags"][0]["details"] == {"id": hot_id}
    names = [
        t["name"] for t in zoho.crm("GET", "/settings/tags", params={"module": "Accounts"}).json()["tags"]
    ]
    assert names == ["Cold"]


def test_bad_tags_are_item_errors(zoho: ZohoClient) -> None:
    zoho.crm("POST", "/settings/tags", params={"module": "Vendors"}, json={"tags": [{"name": "Key"}]})
    reply = zoho.crm(
        "POST",
        "/settings/tags",
        params={"module": "Vendors"},
        json={"tags": [{"name": "key"}, {"name": "x" * 26}, {"color_code": "#000000"}, {"name": "Fine"}]},
    )
    assert reply.status_code == 207
    assert [item["code"] for item in reply.json()["tags"]] == [
        "DUPLICATE_DATA",
        "INVALID_DATA",
        "MANDATORY_NOT_FOUND",
        "SUCCESS",
    ]
    error(
        zoho.crm("POST", "/settings/tags", params={"module": "Vendors"}, json={}),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "tags"},
    )
    error(
        zoho.crm("GET", "/settings/tags", params={"module": "Nope"}),
        400,
        "INVALID_MODULE",
        "the module name given seems to be invalid",
        {"param_name": "module"},
    )


def test_tagging_records_one_and_many(zoho: ZohoClient) -> None:
    first, second, third = first_ids(zoho, "Contacts", 3)
    assert tags_of(zoho, "Contacts", first) == []
    reply = zoho.crm("POST", f"/Contacts/{first}/actions/add_tags", json={"tags": [{"name": "VIP"}]})
    body = valid(reply)
    [vip] = body["data"][0]["details"]["tags"]
    assert body["data"][0]["details"]["id"] == first and vip["name"] == "VIP"
    assert tags_of(zoho, "Contacts", first) == [vip]
    reply = zoho.crm(
        "POST",
        "/Contacts/actions/add_tags",
        json={"tags": [{"name": "Newsletter"}], "ids": [first, second, "1234"], "over_write": False},
    )
    assert reply.status_code == 207
    assert [item["status"] for item in reply.json()["data"]] == ["success", "success", "error"]
    assert [t["name"] for t in tags_of(zoho, "Contacts", first)] == ["VIP", "Newsletter"]
    zoho.crm(
        "POST", f"/Contacts/{second}/actions/add_tags", json={"tags": [{"id": vip["id"]}], "over_write": True}
    )
    assert [t["name"] for t in tags_of(zoho, "Contacts", second)] == ["VIP"]
    count = zoho.crm(
        "GET", f"/settings/tags/{vip['id']}/actions/records_count", params={"module": "Contacts"}
    )
    assert count.json() == {"count": "2"}
    removed = zoho.crm(
        "POST", "/Contacts/actions/remove_tags", json={"tags": [{"name": "VIP"}], "ids": [first]}
    )
    assert valid(removed)["data"][0]["message"] == "tags removed successfully"
    assert [t["name"] for t in tags_of(zoho, "Contacts", first)] == ["Newsletter"]
    assert tags_of(zoho, "Contacts", third) == []


def test_a_whole_record_lists_its_tags(zoho: ZohoClient) -> None:
    [account] = first_ids(zoho, "Accounts", 1)
    zoho.crm("POST", f"/Accounts/{account}/actions/add_tags", json={"tags": [{"name": "Partner"}]})
    listed = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "per_page": 1}).json()["data"][0]
    assert "Tag" not in listed  # only a whole record lists its tags
    record = zoho.crm("GET", f"/Accounts/{account}").json()["data"][0]
    assert [t["name"] for t in record["Tag"]] == ["Partner"]


def test_tag_errors(zoho: ZohoClient) -> None:
    [record] = first_ids(zoho, "Products", 1)
    error(
        zoho.crm("POST", f"/Products/{record}/actions/add_tags", json={"tags": []}),
        400,
        "INVALID_DATA",
        "invalid data",
        {"api_name": "tags", "json_path": "$.tags"},
    )
    error(
        zoho.crm("POST", f"/Products/{record}/actions/remove_tags", json={"tags": [{"name": "Unknown"}]}),
        400,
        "INVALID_DATA",
        "invalid data",
        {"api_name": "tags", "json_path": "$.tags[0]", "name": "Unknown"},
    )
    error(
        zoho.crm("POST", "/Products/actions/add_tags", json={"tags": [{"name": "A"}]}),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "ids"},
    )
    error(
        zoho.crm("POST", f"/Products/{record}/actions/add_tags", content=b"nope"),
        400,
        "UNABLE_TO_PARSE_DATA_TYPE",
        "either the request body or parameters is in wrong format",
    )
    many = [{"name": f"T{n}"} for n in range(11)]
    reply = zoho.crm("POST", f"/Products/{record}/actions/add_tags", json={"tags": many})
    assert reply.status_code == 400 and reply.json()["data"][0]["code"] == "LIMIT_EXCEEDED"


def test_coql_finds_records_by_tag(zoho: ZohoClient) -> None:
    first, second, third = first_ids(zoho, "Contacts", 3)
    zoho.crm("POST", "/Contacts/actions/add_tags", json={"tags": [{"name": "Hot"}], "ids": [first, third]})
    reply = zoho.crm("POST", "/coql", json={"select_query": "select Tag from Contacts where Tag = 'hot'"})
    body = valid(reply, "tags")
    assert sorted(row["id"] for row in body["data"]) == sorted([first, third])
    assert {row["Tag"][0]["name"] for row in body["data"]} == {"Hot"}
    untagged = zoho.crm(
        "POST", "/coql", json={"select_query": "select id from Contacts where Tag is null limit 200"}
    )
    assert second in [row["id"] for row in valid(untagged)["data"]]
    assert not {first, third} & {row["id"] for row in untagged.json()["data"]}


def test_tags_and_links_survive_an_export_and_import(zoho: ZohoClient) -> None:
    [account] = first_ids(zoho, "Accounts", 1)
    [product] = first_ids(zoho, "Products", 1)
    zoho.crm("POST", f"/Accounts/{account}/actions/add_tags", json={"tags": [{"name": "Kept"}]})
    zoho.crm("PUT", f"/Accounts/{account}/Products/{product}")
    state = zoho.control("GET", "/tenants/t1/export").json()
    zoho.control("POST", "/tenants/t1/reset").raise_for_status()
    assert tags_of(zoho, "Accounts", account) == []
    zoho.control("POST", "/tenants/t1/import", json=state).raise_for_status()
    assert [t["name"] for t in tags_of(zoho, "Accounts", account)] == ["Kept"]
    linked = zoho.crm("GET", f"/Accounts/{account}/Products", params={"fields": "Product_Name"})
    assert [p["id"] for p in linked.json()["data"]] == [product]
