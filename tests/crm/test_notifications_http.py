"""The CRM Notifications API (``/crm/{version}/actions/watch``) and the callbacks it sends to a local
receiver, in-process and served. Tests never sleep: they flush the delivery queues."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.clock import DEFAULT_START, parse_datetime
from tests.receiver import Receiver
from tests.support import ZohoClient

CHANNEL = "1000000068001"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as rx:
        yield rx


def enable(zoho: ZohoClient, url: str, *, version: str = "v8", **item: Any) -> Any:
    body = {"watch": [{"channel_id": CHANNEL, "events": ["Accounts.all"], "notify_url": url, **item}]}
    return zoho._api("POST", f"/crm/{version}/actions/watch", token=None, auth=True, json=body)


def flushed(zoho: ZohoClient, receiver: Receiver) -> list[Any]:
    outcome = zoho.control("POST", "/notifications/flush", json={"timeout": 30}).json()
    assert outcome["drained"], outcome
    return receiver.bodies()


def new_account(zoho: ZohoClient, name: str = "Watched Ltd") -> str:
    reply = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": name}]})
    assert reply.status_code == 201, reply.text
    return reply.json()["data"][0]["details"]["id"]


def test_enable_answers_zoho_shape_and_lists_the_channel(zoho: ZohoClient, receiver: Receiver) -> None:
    reply = enable(zoho, receiver.url + "/hook", token="TOKEN_1", events=["Accounts.create", "Contacts.all"])
    assert reply.status_code == 201
    item = reply.json()["watch"][0]
    assert (item["code"], item["status"]) == ("SUCCESS", "success")
    assert item["message"] == "Successfully subscribed for actions-watch of the given module"
    names = [event["resource_name"] for event in item["details"]["events"]]
    assert names == ["Accounts", "Contacts"]
    assert item["details"]["events"][0]["channel_expiry"] == "2026-01-15T15:30:00+05:30"  # an hour on
    listed = zoho.crm("GET", "/actions/watch").json()
    assert listed["info"] == {"per_page": 200, "count": 2, "page": 1, "more_records": False}
    accounts = listed["watch"][0]
    assert accounts["events"] == ["Accounts.create"]
    assert accounts["token"] == "TOKEN_1"
    assert accounts["notify_on_related_action"] is True
    assert accounts["return_affected_field_values"] is False
    assert accounts["resource_uri"].endswith("/crm/v8/Accounts")
    only = zoho.crm("GET", "/actions/watch", params={"module": "Contacts"}).json()["watch"]
    assert [row["events"] for row in only] == [["Contacts.create", "Contacts.edit", "Contacts.delete"]]


def test_api_insert_update_delete_send_documented_callbacks(zoho: ZohoClient, receiver: Receiver) -> None:
    enable(zoho, receiver.url + "/hook?tenant=acme", token="T")
    account = new_account(zoho)
    assert zoho.crm("PUT", f"/Accounts/{account}", json={"data": [{"Phone": "555"}]}).status_code == 200
    assert zoho.crm("DELETE", f"/Accounts/{account}").status_code == 200
    bodies = flushed(zoho, receiver)
    assert [(b["operation"], b["ids"], b["affected_fields"]) for b in bodies] == [
        ("insert", [account], []),
        ("update", [account], ["Phone"]),
        ("delete", [account], []),
    ]
    first = bodies[0]
    assert set(first) == {
        "server_time", "query_params", "module", "resource_uri", "ids",
        "affected_fields", "operation", "channel_id", "token",
    }  # fmt: skip
    assert first["server_time"] == int(DEFAULT_START.timestamp() * 1000)
    assert first["query_params"] == {"tenant": "acme"}
    assert (first["module"], first["channel_id"], first["token"]) == ("Accounts", CHANNEL, "T")
    assert {r.path for r in receiver.received} == {"/hook?tenant=acme"}


def test_affected_values_carry_the_changed_fields(zoho: ZohoClient, receiver: Receiver) -> None:
    enable(zoho, receiver.url, return_affected_field_values=True)
    account = new_account(zoho, "Valued Ltd")
    zoho.crm("PUT", "/Accounts", json={"data": [{"id": account, "Phone": "1", "Account_Name": "Valued Ltd"}]})
    inserted, updated = flushed(zoho, receiver)
    assert inserted["affected_values"][0]["values"]["Account_Name"] == "Valued Ltd"
    assert updated["affected_fields"] == ["Phone"]
    assert updated["affected_values"] == [{"record_id": account, "values": {"Phone": "1"}}]


def test_events_and_field_filters_choose_what_is_sent(zoho: ZohoClient, receiver: Receiver) -> None:
    enable(zoho, receiver.url, events=["Accounts.edit"], fields={"Accounts": ["Phone"]})
    account = new_account(zoho)  # a create: not watched
    zoho.crm("PUT", f"/Accounts/{account}", json={"data": [{"Website": "w.example"}]})  # not a chosen field
    zoho.crm("PUT", f"/Accounts/{account}", json={"data": [{"Phone": "2"}]})
    assert [b["affected_fields"] for b in flushed(zoho, receiver)] == [["Phone"]]


def test_notification_condition_selects_fields(zoho: ZohoClient, receiver: Receiver) -> None:
    condition = {
        "type": "field_selection",
        "module": {"api_name": "Accounts"},
        "field_selection": {
            "group_operator": "or",
            "group": [{"field": {"api_name": "Phone"}}, {"field": {"api_name": "Fax"}}],
        },
    }
    enable(zoho, receiver.url, events=["Accounts.edit"], notification_condition=[condition])
    account = new_account(zoho)
    zoho.crm("PUT", f"/Accounts/{account}", json={"data": [{"Website": "w.example"}]})
    zoho.crm("PUT", f"/Accounts/{account}", json={"data": [{"Fax": "9"}]})
    assert [b["affected_fields"] for b in flushed(zoho, receiver)] == [["Fax"]]
    listed = zoho.crm("GET", "/actions/watch").json()["watch"][0]
    assert listed["notification_condition"][0]["module"] == {"api_name": "Accounts"}


@pytest.mark.parametrize("related", [True, False])
def test_a_contact_change_notifies_its_account_when_related_actions_are_on(
    zoho: ZohoClient, receiver: Receiver, related: bool
) -> None:
    account = new_account(zoho)
    enable(zoho, receiver.url, notify_on_related_action=related)
    zoho.crm("POST", "/Contacts", json={"data": [{"Last_Name": "Linked", "Account_Name": {"id": account}}]})
    expected = [{"module": "Accounts", "operation": "update", "ids": [account], "affected_fields": []}]
    got = [
        {k: b[k] for k in ("module", "operation", "ids", "affected_fields")} for b in flushed(zoho, receiver)
    ]
    assert got == (expected if related else [])


def test_control_plane_import_notifies_every_difference(zoho: ZohoClient, receiver: Receiver) -> None:
    state = zoho.control("GET", "/tenants/t1/export").json()
    rows = state["crm"]["records"]["Accounts"]
    removed, edited = rows.pop(), rows[0]
    edited["Phone"] = "+1 000 000"
    enable(zoho, receiver.url, notify_on_related_action=False)  # (the edited one may have a parent)
    assert zoho.control("POST", "/tenants/t1/import", json=state).status_code == 200
    got = sorted((b["operation"], b["ids"][0], tuple(b["affected_fields"])) for b in flushed(zoho, receiver))
    assert got == sorted([("delete", removed["id"], ()), ("update", edited["id"], ("Phone",))])


def test_snapshot_restore_notifies_the_records_it_brings_back(zoho: ZohoClient, receiver: Receiver) -> None:
    zoho.control("POST", "/tenants/t1/snapshots", json={"name": "before"})
    enable(zoho, receiver.url)
    account = new_account(zoho)
    zoho.control("POST", "/tenants/t1/snapshots/before/restore")
    assert [(b["operation"], b["ids"]) for b in flushed(zoho, receiver)] == [
        ("insert", [account]),
        ("delete", [account]),
    ]


def test_a_delayed_callback_is_neither_early_nor_late(zoho: ZohoClient, receiver: Receiver) -> None:
    rule = {"effect": "delay", "service": "notifications", "delay_seconds": 60, "times": 1}
    fault = zoho.control("POST", "/faults", json=rule).json()["rule_id"]
    try:
        enable(zoho, receiver.url)
        account = new_account(zoho)
        assert flushed(zoho, receiver) == []
        zoho.control("POST", "/clock", json={"advance": 59})
        assert flushed(zoho, receiver) == []
        zoho.control("POST", "/clock", json={"advance": 1})
        (body,) = flushed(zoho, receiver)
        assert body["ids"] == [account]
        assert body["server_time"] == int(DEFAULT_START.timestamp() * 1000)  # the time of the change
    finally:
        zoho.control("DELETE", f"/faults/{fault}")


def test_channel_expiry_follows_the_virtual_clock(zoho: ZohoClient, receiver: Receiver) -> None:
    enable(zoho, receiver.url)
    zoho.control("POST", "/clock", json={"advance": 3600})
    zoho.token(fresh=True)  # the access token's hour is over too
    new_account(zoho, "After Expiry")
    assert flushed(zoho, receiver) == []
    assert zoho.crm("GET", "/actions/watch").status_code == 204


@pytest.mark.parametrize(
    ("version", "ahead", "kept"),
    [("v2", timedelta(hours=23), True), ("v3", timedelta(days=2), False), ("v4", timedelta(days=6), True),
     ("v8", timedelta(days=8), False)],
)  # fmt: skip
def test_channel_expiry_is_capped_by_version(
    zoho: ZohoClient, receiver: Receiver, version: str, ahead: timedelta, kept: bool
) -> None:
    wanted = DEFAULT_START + ahead
    reply = enable(zoho, receiver.url, version=version, channel_expiry=wanted.isoformat())
    expiry = reply.json()["watch"][0]["details"]["events"][0]["channel_expiry"]
    assert parse_datetime(expiry) == (wanted if kept else DEFAULT_START + timedelta(hours=1))


def test_update_patch_disable(zoho: ZohoClient, receiver: Receiver) -> None:
    enable(zoho, receiver.url, events=["Accounts.all", "Contacts.create"], token="A")
    patched = zoho.crm("PATCH", "/actions/watch", json={"watch": [{"channel_id": CHANNEL, "token": "B"}]})
    assert patched.json()["watch"][0]["message"] == "Successfully updated the subscribe details"
    assert {row["token"] for row in zoho.crm("GET", "/actions/watch").json()["watch"]} == {"B"}
    stop = {"channel_id": CHANNEL, "events": ["Accounts.all"], "_delete_events": True}
    assert zoho.crm("PATCH", "/actions/watch", json={"watch": [stop]}).status_code == 200
    assert [r["resource_name"] for r in zoho.crm("GET", "/actions/watch").json()["watch"]] == ["Contacts"]
    replaced = {"channel_id": CHANNEL, "events": ["Vendors.edit"], "notify_url": receiver.url}
    assert zoho.crm("PUT", "/actions/watch", json={"watch": [replaced]}).status_code == 200
    (row,) = zoho.crm("GET", "/actions/watch").json()["watch"]
    assert (row["resource_name"], row["token"]) == ("Vendors", None)
    gone = zoho.crm("DELETE", "/actions/watch", params={"channel_ids": CHANNEL})
    assert gone.json()["watch"][0]["message"] == "Successfully un-subscribed from actions-watch"
    assert zoho.crm("GET", "/actions/watch").status_code == 204
    again = zoho.crm("DELETE", "/actions/watch", params={"channel_ids": CHANNEL})
    assert again.status_code == 202
    assert again.json()["watch"][0]["code"] == "NOT_SUBSCRIBED"


@pytest.mark.parametrize(
    ("item", "code", "api_name"),
    [
        ({"notify_url": None}, "MANDATORY_NOT_FOUND", "notify_url"),
        ({"events": []}, "MANDATORY_NOT_FOUND", "events"),
        ({"notify_url": "https://example.com/hook"}, "INVALID_DATA", "notify_url"),
        ({"events": ["Nope.create"]}, "INVALID_DATA", "events"),
        ({"events": ["Accounts.touch"]}, "INVALID_DATA", "events"),
        ({"channel_id": "abc"}, "INVALID_DATA", "channel_id"),
        ({"token": "x" * 51}, "LIMIT_EXCEEDED", "token"),
        ({"channel_expiry": "2020-01-01T00:00:00Z"}, "INVALID_DATA", "channel_expiry"),
        ({"return_affected_field_values": "yes"}, "INVALID_DATA", "return_affected_field_values"),
    ],
)
def test_bad_items_get_zoho_errors(
    zoho: ZohoClient, receiver: Receiver, item: dict[str, Any], code: str, api_name: str
) -> None:
    reply = enable(zoho, receiver.url, **item)
    assert reply.status_code == 202
    (error,) = reply.json()["watch"]
    assert (error["code"], error["status"], error["details"]["api_name"]) == (code, "error", api_name)
    assert zoho.crm("GET", "/actions/watch").status_code == 204


def test_scope_and_parameters_are_checked(zoho: ZohoClient, receiver: Receiver) -> None:
    narrow = zoho.token(("ZohoCRM.modules.ALL",))
    refused = zoho.crm("GET", "/actions/watch", token=narrow)
    assert (refused.status_code, refused.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
    reader = zoho.token(("ZohoCRM.notifications.READ",))
    assert zoho.crm("GET", "/actions/watch", token=reader).status_code == 204
    body = {"watch": [{"channel_id": CHANNEL, "events": ["Accounts.all"], "notify_url": receiver.url}]}
    assert (
        zoho.crm("POST", "/actions/watch", token=reader, json=body).json()["code"] == "OAUTH_SCOPE_MISMATCH"
    )
    assert zoho.crm("DELETE", "/actions/watch").json()["code"] == "REQUIRED_PARAM_MISSING"
    assert zoho.crm("GET", "/actions/watch", params={"module": "Nope"}).json()["code"] == "INVALID_MODULE"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_ITEM_KEYS = st.sampled_from(
    ["channel_id", "events", "notify_url", "token", "channel_expiry", "fields", "notification_condition",
     "return_affected_field_values", "notify_on_related_action", "_delete_events"]
)  # fmt: skip


@given(
    method=st.sampled_from(["POST", "PUT", "PATCH"]),
    body=st.one_of(
        _JSON,
        st.builds(
            lambda items: {"watch": items},
            st.lists(st.dictionaries(_ITEM_KEYS, _JSON, max_size=5), max_size=3),
        ),
    ),
)
def test_junk_bodies_get_crm_errors_never_500(asgi_http: Any, method: str, body: Any) -> None:
    zoho = junk_client(asgi_http)
    reply = zoho.crm(method, "/actions/watch", json=body)
    assert reply.status_code in (200, 201, 202, 400), reply.text
    shown = reply.json()
    items = shown.get("watch", [shown])
    assert all(item["status"] in ("success", "error") and "code" in item for item in items)


def junk_client(http: Any) -> ZohoClient:
    client = ZohoClient(mode="asgi", http=http)
    client.creds = client.control("GET", "/tenants/t1").json()
    return client
