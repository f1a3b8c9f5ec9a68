"""The pytest plugin's routing of Zoho's real host names from requests and urllib: Zoho's official
Python SDK and pyzohoapi, unmodified and pointed at real Zoho data centres, reach the in-process
simulator. No call may leave the machine: ``offline`` makes every name lookup fail the test."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from simulator.plugin import ZohoCredentials
from simulator.testing import RunningSimulator


class Escaped(AssertionError):
    """A call left for the network: the routing missed it."""


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every client resolves a host name before it connects: refuse them all, and remember them
    (a client may swallow the error), so that a call that escapes the routing fails the test."""
    escaped: list[str] = []

    def refuse(host: object, *args: object, **kwargs: object) -> list[object]:
        escaped.append(str(host))
        raise Escaped(f"a call to {host} escaped to the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield escaped
    assert not escaped, f"calls escaped to the network: {escaped}"


def test_a_call_that_escapes_fails_the_test(offline: list[str], zoho_mock: RunningSimulator) -> None:
    """The guard itself: a host that is not Zoho's passes through the routing, and is caught."""
    with pytest.raises((Escaped, requests.ConnectionError)):
        requests.get("https://zoho.example.com/crm/v8/Accounts", timeout=5)
    assert offline == ["zoho.example.com"]
    offline.clear()


@pytest.mark.zohosim(accounts=5, contacts=2, vendors=1, products=1)
@pytest.mark.parametrize("centre", ["US", "EU", "IN", "AU", "JP", "CA", "CN", "SA"])
def test_the_official_sdk_on_real_data_centres(
    offline: list[str], zoho_requests: object, zoho_credentials: ZohoCredentials, tmp_path: Path, centre: str
) -> None:
    sdk = pytest.importorskip("zohocrmsdk.src.com.zoho.crm.api.initializer")
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
    from zohocrmsdk.src.com.zoho.api.logger import Logger
    from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap, dc
    from zohocrmsdk.src.com.zoho.crm.api.record import (
        ActionWrapper,
        BodyWrapper,
        GetRecordsParam,
        Record,
        RecordOperations,
    )
    from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

    environment = getattr(dc, f"{centre}DataCenter").PRODUCTION()
    assert environment.url.startswith("https://www.zohoapis.")  # a real host, not the simulator's
    sdk.Initializer.initialize(
        environment=environment,
        token=OAuthToken(
            client_id=zoho_credentials.client_id,
            client_secret=zoho_credentials.client_secret,
            refresh_token=zoho_credentials.refresh_token,
        ),
        store=FileStore(str(tmp_path / "tokens.txt")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
        resource_path=str(tmp_path),
        logger=Logger.get_instance(Logger.Levels.INFO, str(tmp_path / "sdk.log")),
    )
    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Account_Name")
    listed = RecordOperations("Accounts").get_records(params, HeaderMap())
    assert listed.get_status_code() == 200
    assert len(listed.get_object().get_data()) == 5

    record = Record()
    record.add_key_value("Account_Name", "Routed Through Requests Ltd")
    body = BodyWrapper()
    body.set_data([record])
    created = RecordOperations("Accounts").create_records(body, HeaderMap())
    assert isinstance(created.get_object(), ActionWrapper)
    assert created.get_object().get_data()[0].get_status().get_value() == "success"


@pytest.mark.zohosim(accounts=1, contacts=1, vendors=1, products=2)
@pytest.mark.parametrize("region", ["us", "eu", "in", "jp"])
def test_pyzohoapi_on_real_data_centres(
    offline: list[str], zoho_mock: RunningSimulator, zoho_credentials: ZohoCredentials, region: str
) -> None:
    pyzohoapi = pytest.importorskip("pyzohoapi")
    books = pyzohoapi.ZohoBooks(
        zoho_credentials.books_organization_id,
        region,
        client_id=zoho_credentials.client_id,
        client_secret=zoho_credentials.client_secret,
        refresh_token=zoho_credentials.refresh_token,
    )
    assert books._oauth.startswith("https://accounts.zoho.")
    items = zoho_mock.client().get(
        "/books/v3/items",
        params={"organization_id": zoho_credentials.books_organization_id},
        headers=zoho_credentials.headers,
    )
    assert sorted(i.item_id for i in books.Item().Iter()) == sorted(
        i["item_id"] for i in items.json()["items"]
    )
    contact = books.Contact()
    contact.contact_name = "Routed Through Requests Ltd"
    contact.Create()
    assert books.Contact(contact.contact_id).contact_name == "Routed Through Requests Ltd"


def test_requests_reaches_the_legacy_books_host_and_sees_dropped_connections(
    offline: list[str], zoho_requests: object, zohosim: RunningSimulator, zoho_credentials: ZohoCredentials
) -> None:
    url = "https://books.zoho.com/api/v3/contacts"
    params = {"organization_id": zoho_credentials.books_organization_id}
    reply = requests.get(url, params=params, headers=zoho_credentials.headers, timeout=5)
    assert reply.status_code == 200 and reply.json()["code"] == 0
    zohosim.sim.faults.add({"effect": "drop", "service": "books", "times": 1})
    with pytest.raises(requests.ConnectionError):
        requests.get(url, params=params, headers=zoho_credentials.headers, timeout=5)


def test_urllib_reaches_the_simulator_and_gets_zoho_errors(
    offline: list[str], zoho_mock: RunningSimulator, zoho_credentials: ZohoCredentials
) -> None:
    form = urllib.parse.urlencode(
        {
            "grant_type": "refresh_token",
            "client_id": zoho_credentials.client_id,
            "client_secret": zoho_credentials.client_secret,
            "refresh_token": zoho_credentials.refresh_token,
        }
    ).encode()
    with urllib.request.urlopen("https://accounts.zoho.in/oauth/v2/token", data=form) as reply:
        token = json.load(reply)
    assert token["api_domain"] == "https://www.zohoapis.in"
    accounts = urllib.request.Request(
        "https://www.zohoapis.in/crm/v8/Accounts?fields=Account_Name",
        headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"},
    )
    with urllib.request.urlopen(accounts) as reply:
        assert reply.status == 200 and json.load(reply)["data"]
    refused = urllib.request.Request(accounts.full_url, headers={"Authorization": "Zoho-oauthtoken nope"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(refused)
    assert error.value.code == 401
    assert json.load(error.value)["code"] == "INVALID_TOKEN"
