"""Mass update over HTTP: one set of values written to many records, and the job's status."""

from __future__ import annotations

from tests.crm.expect import error, valid
from tests.support import ZohoClient


def test_mass_update_by_ids_then_its_status(zoho: ZohoClient) -> None:
    listed = zoho.crm("GET", "/Accounts", params={"fields": "Industry", "per_page": 3}).json()["data"]
    ids = [account["id"] for account in listed]
    reply = zoho.crm(
        "POST",
        "/Accounts/actions/mass_update",
        json={"data": [{"Industry": "Banking"}], "ids": [*ids, "1234"]},
    )
    [item] = valid(reply)["data"]
    assert item["message"] == "mass update scheduled successfully"
    status = zoho.crm("GET", "/Accounts/actions/mass_update", params={"job_id": item["details"]["job_id"]})
    assert valid(status)["data"] == [
        {
            "Status": "COMPLETED",
            "Failed_Count": 1,
            "Updated_Count": 3,
            "Not_Updated_Count": 0,
            "Total_Count": 4,
        }
    ]
    for account_id in ids:
        assert zoho.crm("GET", f"/Accounts/{account_id}").json()["data"][0]["Industry"] == "Banking"


def test_mass_update_by_view(zoho: ZohoClient) -> None:
    views = zoho.crm("GET", "/settings/custom_views", params={"module": "Vendors"}).json()["custom_views"]
    every = next(view["id"] for view in views if view["system_name"] == "ALLVIEWS")
    reply = zoho.crm(
        "POST", "/Vendors/actions/mass_update", json={"data": [{"Category": "Wholesale"}], "cvid": every}
    )
    job = reply.json()["data"][0]["details"]["job_id"]
    counts = zoho.crm("GET", "/Vendors/actions/mass_update", params={"job_id": job}).json()["data"][0]
    assert counts["Updated_Count"] == counts["Total_Count"] == 10
    vendors = zoho.crm("GET", "/Vendors", params={"fields": "Category"}).json()["data"]
    assert {vendor.get("Category") for vendor in vendors} == {"Wholesale"}


def test_mass_update_errors(zoho: ZohoClient) -> None:
    path = "/Accounts/actions/mass_update"
    error(
        zoho.crm("POST", path, json={"data": [{"Industry": "Banking"}]}),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "ids"},
    )
    error(
        zoho.crm("POST", path, json={"data": [{"Nope": 1}], "ids": ["1"]}),
        400,
        "INVALID_DATA",
        "invalid data",
        {"api_name": "Nope", "json_path": "$.data[0].Nope"},
    )
    error(
        zoho.crm("POST", path, json={"data": [{"Industry": "x"}], "ids": ["1"], "cvid": "2"}),
        400,
        "AMBIGUITY_DURING_PROCESSING",
        "Ambiguity while processing",
        {"ambiguity_due_to": [{"param_name": "ids"}, {"param_name": "cvid"}]},
    )
    error(
        zoho.crm("GET", path),
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": "job_id"},
    )
    error(
        zoho.crm("GET", path, params={"job_id": "42"}),
        400,
        "INVALID_DATA",
        "invalid data",
        {"param_name": "job_id"},
    )
