"""Search and record counts over HTTP."""

from __future__ import annotations

from typing import Any

from tests.crm.expect import empty, ids_of, valid
from tests.support import ZohoClient


def records(zoho: ZohoClient, module: str, fields: str) -> list[dict[str, Any]]:
    return zoho.crm("GET", f"/{module}", params={"fields": fields, "per_page": 200}).json()["data"]


def search(zoho: ZohoClient, module: str, **params: Any) -> list[str]:
    reply = zoho.crm("GET", f"/{module}/search", params=params)
    return [] if reply.status_code == 204 else ids_of(reply)


def test_criteria_equals_contains_text_and_matches_picklists_exactly(zoho: ZohoClient) -> None:
    accounts = records(zoho, "Accounts", "Account_Name,Industry,Billing_Country")
    name = accounts[0]["Account_Name"]
    fragment = name.split()[0].split("-")[0][1:4].lower()
    expected = [a["id"] for a in accounts if fragment in a["Account_Name"].lower()]
    assert search(zoho, "Accounts", criteria=f"(Account_Name:equals:{fragment})") == expected
    technology = [a["id"] for a in accounts if a["Industry"] == "Technology"]
    assert technology and search(zoho, "Accounts", criteria="(Industry:equals:Technology)") == technology
    assert search(zoho, "Accounts", criteria="(Industry:equals:Tech)") == []
    both = [
        a["id"] for a in accounts if a["Industry"] == "Technology" and a["Billing_Country"] == "United States"
    ]
    criteria = "((Industry:equals:Technology)and(Billing_Country:equals:United States))"
    assert search(zoho, "Accounts", criteria=criteria) == both


def test_a_search_reply_has_the_documented_shape(zoho: ZohoClient) -> None:
    reply = zoho.crm(
        "GET", "/Contacts/search", params={"criteria": "(Mailing_Country:equals:United Kingdom)"}
    )
    body = valid(reply)
    assert body["info"] == {
        "per_page": 200,
        "count": len(body["data"]),
        "sort_by": "id",
        "page": 1,
        "sort_order": "desc",
        "more_records": False,
    }
    first = body["data"][0]
    assert first["Mailing_Country"] == "United Kingdom" and "Created_By" in first
    narrow = zoho.crm(
        "GET",
        "/Contacts/search",
        params={"criteria": "(Mailing_Country:equals:United Kingdom)", "fields": "Email"},
    )
    assert set(narrow.json()["data"][0]) == {"Email", "id"}


def test_escaped_values_and_numeric_comparisons(zoho: ZohoClient) -> None:
    [account] = zoho.crm(
        "POST", "/Accounts", json={"data": [{"Account_Name": "Burns, B (West)", "Employees": 7}]}
    ).json()["data"]
    new = account["details"]["id"]
    assert search(zoho, "Accounts", criteria=r"(Account_Name:equals:Burns\, B \(West\))") == [new]
    accounts = records(zoho, "Accounts", "Employees")
    small = [a["id"] for a in accounts if a["Employees"] is not None and a["Employees"] <= 7]
    assert new in small and search(zoho, "Accounts", criteria="(Employees:less_equal:7)") == small


def test_email_phone_and_word_search(zoho: ZohoClient) -> None:
    contacts = records(zoho, "Contacts", "Email,Phone,Last_Name")
    target = next(c for c in contacts if c["Email"] and c["Phone"])
    assert search(zoho, "Contacts", email=target["Email"].upper()) == [target["id"]]
    assert target["id"] in search(zoho, "Contacts", phone=target["Phone"])
    word = target["Last_Name"].lower()
    expected = [c["id"] for c in contacts if word in (c["Last_Name"] or "").lower()]
    assert set(expected) <= set(search(zoho, "Contacts", word=word))
    assert search(zoho, "Contacts", criteria=f"(Email:equals:{target['Email']})", email="nobody@x.com") == [
        target["id"]
    ]


def test_nothing_found_is_204(zoho: ZohoClient) -> None:
    empty(zoho.crm("GET", "/Vendors/search", params={"email": "nobody@nowhere.example"}), 204)


def test_search_pages_and_honours_a_view(zoho: ZohoClient) -> None:
    matching = search(zoho, "Contacts", word="an")
    assert len(matching) > 6
    page = zoho.crm("GET", "/Contacts/search", params={"word": "an", "per_page": 3, "page": 2}).json()
    assert [r["id"] for r in page["data"]] == matching[3:6]
    assert (page["info"]["page"], page["info"]["more_records"]) == (2, True)
    views = zoho.crm("GET", "/settings/custom_views", params={"module": "Contacts"}).json()["custom_views"]
    uk = next(v["id"] for v in views if v["name"] == "UK Contacts")
    in_view = search(zoho, "Contacts", word="an", cvid=uk)
    assert in_view and set(in_view) < set(matching)


def test_counts_follow_views_and_search_params(zoho: ZohoClient) -> None:
    assert valid(zoho.crm("GET", "/Accounts/actions/count"), "count") == {"count": 30}
    views = zoho.crm("GET", "/settings/custom_views", params={"module": "Accounts"}).json()["custom_views"]
    us = next(v["id"] for v in views if v["name"] == "US Accounts")
    in_view = len(ids_of(zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "cvid": us})))
    assert zoho.crm("GET", "/Accounts/actions/count", params={"cvid": us}).json() == {"count": in_view}
    tech = len(search(zoho, "Accounts", criteria="(Industry:equals:Technology)"))
    count = zoho.crm("GET", "/Accounts/actions/count", params={"criteria": "(Industry:equals:Technology)"})
    assert count.json() == {"count": tech}
    assert zoho.crm("GET", "/Vendors/actions/count", params={"email": "nobody@x.example"}).json() == {
        "count": 0
    }
