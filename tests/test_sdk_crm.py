"""The official CRM SDK, ``zohocrmsdk8-0``, unmodified against ``zohosim serve``.

Only the data-centre URL points at the simulator (research: "Pointing it at a custom host").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import ZohoClient

sdk = pytest.importorskip(
    "zohocrmsdk.src.com.zoho.crm.api.initializer", reason="zohocrmsdk8-0 is not installed"
)

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken  # noqa: E402
from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore  # noqa: E402
from zohocrmsdk.src.com.zoho.api.logger import Logger  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.record import (  # noqa: E402
    ActionWrapper,
    BodyWrapper,
    DeleteRecordsParam,
    Field,
    GetRecordsParam,
    Record,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig  # noqa: E402

pytestmark = pytest.mark.server


@pytest.fixture
def sdk_ready(served: ZohoClient, tmp_path: Path) -> ZohoClient:
    base = str(served.http.base_url).rstrip("/")
    sdk.Initializer.initialize(
        environment=DataCenter.Environment(base, base + "/oauth/v2/token", base),
        token=OAuthToken(
            client_id=served.creds["client_id"],
            client_secret=served.creds["client_secret"],
            refresh_token=served.creds["refresh_token"],
        ),
        store=FileStore(str(tmp_path / "sdk_tokens.txt")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False, update_api_domain=False),
        resource_path=str(tmp_path),
        logger=Logger.get_instance(Logger.Levels.INFO, str(tmp_path / "sdk.log")),
    )
    return served


def _params(cls: type, **values: object) -> ParameterMap:
    params = ParameterMap()
    for name, value in values.items():
        params.add(getattr(cls, name), value)
    return params


def _names(module: str, field: str, **params: object) -> list[str]:
    response = RecordOperations(module).get_records(_params(GetRecordsParam, **params), HeaderMap())
    assert response.get_status_code() == 200
    wrapper = response.get_object()
    assert isinstance(wrapper, ResponseWrapper)
    return [record.get_key_value(field) for record in wrapper.get_data()]


def _action_ids(response: object) -> list[int]:
    assert response is not None
    wrapper = response.get_object()
    assert isinstance(wrapper, ActionWrapper), wrapper
    outcomes = wrapper.get_data()
    assert all(o.get_status().get_value() == "success" for o in outcomes), [o.get_message() for o in outcomes]
    return [int(o.get_details()["id"]) for o in outcomes]


def test_sdk_reads_creates_updates_searches_and_deletes_accounts(sdk_ready: ZohoClient) -> None:
    names = _names("Accounts", "Account_Name", fields="Account_Name,Phone", per_page=200)
    assert len(names) == 30 and all(names)

    ops = RecordOperations("Accounts")
    record = Record()
    record.add_field_value(Field.Accounts.account_name(), "Zylker SDK Test")
    record.add_field_value(Field.Accounts.phone(), "555-0100")
    body = BodyWrapper()
    body.set_data([record])
    created = ops.create_records(body, HeaderMap())
    assert created.get_status_code() == 201
    [new_id] = _action_ids(created)

    change = Record()
    change.add_field_value(Field.Accounts.phone(), "555-0199")
    update = BodyWrapper()
    update.set_data([change])
    _action_ids(ops.update_record(new_id, update, HeaderMap()))

    found = ops.search_records(_params(SearchRecordsParam, criteria="(Account_Name:equals:Zylker SDK Test)"))
    assert found.get_status_code() == 200
    [hit] = found.get_object().get_data()
    assert hit.get_id() == new_id and hit.get_key_value("Phone") == "555-0199"

    deleted = ops.delete_records(_params(DeleteRecordsParam, ids=str(new_id)), HeaderMap())
    assert _action_ids(deleted) == [new_id]
    assert "Zylker SDK Test" not in _names("Accounts", "Account_Name", fields="Account_Name")


def test_sdk_handles_contacts_with_an_account_lookup(sdk_ready: ZohoClient) -> None:
    accounts = RecordOperations("Accounts").get_records(
        _params(GetRecordsParam, fields="Account_Name"), HeaderMap()
    )
    account = accounts.get_object().get_data()[0]

    ops = RecordOperations("Contacts")
    contact = Record()
    contact.add_field_value(Field.Contacts.last_name(), "Boyle")
    contact.add_field_value(Field.Contacts.first_name(), "Patricia")
    contact.add_field_value(Field.Contacts.email(), "p.boyle@example.com")
    link = Record()
    link.set_id(account.get_id())
    contact.add_field_value(Field.Contacts.account_name(), link)
    body = BodyWrapper()
    body.set_data([contact])
    [contact_id] = _action_ids(ops.create_records(body, HeaderMap()))

    fetched = ops.get_record(
        contact_id, _params(GetRecordsParam, fields="Last_Name,Account_Name"), HeaderMap()
    )
    [got] = fetched.get_object().get_data()
    assert got.get_key_value("Account_Name").get_id() == account.get_id()

    change = Record()
    change.set_id(contact_id)
    change.add_field_value(Field.Contacts.title(), "CFO")
    update = BodyWrapper()
    update.set_data([change])
    _action_ids(ops.update_records(update, HeaderMap()))

    by_email = ops.search_records(_params(SearchRecordsParam, email="p.boyle@example.com"))
    [hit] = by_email.get_object().get_data()
    assert hit.get_key_value("Title") == "CFO"

    _action_ids(ops.delete_records(_params(DeleteRecordsParam, ids=str(contact_id)), HeaderMap()))
    gone = ops.search_records(_params(SearchRecordsParam, email="p.boyle@example.com"))
    assert gone.get_status_code() == 204


def test_sdk_refreshes_a_token_that_expires_mid_run(
    sdk_ready: ZohoClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An hour passes for both sides: the simulator's virtual clock, and the SDK's own wall clock
    (the SDK reads ``time.time()`` through its module, so only the SDK's view moves)."""
    import time as real_time
    from types import SimpleNamespace

    from zohocrmsdk.src.com.zoho.api.authenticator import oauth_token as token_module

    assert _names("Accounts", "Account_Name", fields="Account_Name")
    sdk_ready.control("DELETE", "/requests")
    sdk_ready.control("POST", "/clock", json={"advance": 3601})
    monkeypatch.setattr(token_module, "time", SimpleNamespace(time=lambda: real_time.time() + 3601))
    assert _names("Accounts", "Account_Name", fields="Account_Name")
    log = sdk_ready.control("GET", "/requests").json()["requests"]
    assert [(e["method"], e["path"]) for e in log][:1] == [("POST", "/oauth/v2/token")]
    assert log[-1]["status"] == 200
