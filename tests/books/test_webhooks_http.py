"""Books webhooks (set through the control plane) POST each contact, contact person and item change
to a local receiver, in Books' JSON payload; bad rules get the control plane's error shape."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.control.client import ControlClient
from tests.receiver import Receiver
from tests.support import ZohoClient

SECRET = "s3cretS3cret42"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as rx:
        yield rx


def hook(zoho: ZohoClient, **rule: Any) -> Any:
    return zoho.control("POST", "/tenants/t1/books/webhooks", json=rule)


def flushed(zoho: ZohoClient, receiver: Receiver) -> list[Any]:
    assert zoho.control("POST", "/notifications/flush").json()["drained"]
    return receiver.bodies()


def test_contact_create_update_delete(zoho: ZohoClient, receiver: Receiver) -> None:
    added = hook(
        zoho, url=receiver.url + "/books", entity="contact", headers={"X-Api-Key": "k1"}, secret=SECRET
    )
    assert added.status_code == 201
    assert added.json()["secret"] == "*" * len(SECRET)
    created = zoho.books("POST", "/contacts", json={"contact_name": "Hooked Ltd"}).json()["contact"]
    contact_id = created["contact_id"]
    zoho.books("PUT", f"/contacts/{contact_id}", json={"website": "hooked.example"})
    zoho.books("DELETE", f"/contacts/{contact_id}")
    bodies = flushed(zoho, receiver)
    assert [body["contact"]["contact_id"] for body in bodies] == [contact_id] * 3
    assert bodies[0]["contact"] == created  # the entity as the API shows it
    assert bodies[1]["contact"]["website"] == "hooked.example"
    events = [r.headers["X-Zohosim-Event"] for r in receiver.received]
    assert events == ["contact.create", "contact.update", "contact.delete"]
    for received in receiver.received:
        assert received.headers["X-Api-Key"] == "k1"
        mac = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
        assert received.headers["X-Zoho-Webhook-Signature"] == mac


def test_only_the_chosen_events_and_entity_fire(zoho: ZohoClient, receiver: Receiver) -> None:
    hook(zoho, url=receiver.url, entity="item", events=["update"])
    item = zoho.books("POST", "/items", json={"name": "Widget", "rate": 5}).json()["item"]
    zoho.books("POST", "/contacts", json={"contact_name": "Not An Item"})
    zoho.books("PUT", f"/items/{item['item_id']}", json={"rate": 7})
    zoho.books("PUT", f"/items/{item['item_id']}", json={"rate": 7})  # no change: no webhook
    bodies = flushed(zoho, receiver)
    assert [(body["item"]["item_id"], body["item"]["rate"]) for body in bodies] == [(item["item_id"], 7)]


def test_contact_person_changes(zoho: ZohoClient, receiver: Receiver) -> None:
    contact = zoho.books("POST", "/contacts", json={"contact_name": "People Inc"}).json()["contact"]
    hook(zoho, url=receiver.url, entity="contact_person")
    person = zoho.books(
        "POST", "/contacts/contactpersons", json={"contact_id": contact["contact_id"], "first_name": "Ann"}
    ).json()["contact_person"][0]
    person_id = person["contact_person_id"]
    zoho.books(
        "PUT",
        f"/contacts/contactpersons/{person_id}",
        json={"contact_id": contact["contact_id"], "first_name": "Anna"},
    )
    zoho.books("DELETE", f"/contacts/contactpersons/{person_id}")
    bodies = flushed(zoho, receiver)
    assert [body["contact_person"]["first_name"] for body in bodies] == ["Ann", "Anna", "Anna"]
    assert {body["contact_person"]["contact_id"] for body in bodies} == {contact["contact_id"]}
    events = [r.headers["X-Zohosim-Event"] for r in receiver.received]
    assert events == ["contact_person.create", "contact_person.update", "contact_person.delete"]


def test_import_sends_webhooks_for_what_it_changes(zoho: ZohoClient, receiver: Receiver) -> None:
    state = zoho.control("GET", "/tenants/t1/export").json()
    hook(zoho, url=receiver.url, entity="contact")
    created = zoho.books("POST", "/contacts", json={"contact_name": "Gone After Import"}).json()["contact"]
    assert zoho.control("POST", "/tenants/t1/import", json=state).status_code == 200
    bodies = flushed(zoho, receiver)
    assert [r.headers["X-Zohosim-Event"] for r in receiver.received] == ["contact.create", "contact.delete"]
    assert bodies[1]["contact"]["contact_id"] == created["contact_id"]


def test_rules_are_listed_and_deleted(zoho: ZohoClient, receiver: Receiver) -> None:
    control = ControlClient(zoho.http)
    webhook_id = control.add_books_webhook("t1", url=receiver.url, entity="item")["webhook_id"]
    listed = zoho.control("GET", "/tenants/t1/books/webhooks").json()["webhooks"]
    assert [(w["webhook_id"], w["events"]) for w in listed] == [(webhook_id, ["create", "update", "delete"])]
    assert zoho.control("DELETE", f"/tenants/t1/books/webhooks/{webhook_id}").status_code == 200
    zoho.books("POST", "/items", json={"name": "Quiet", "rate": 1})
    assert control.flush_notifications()["drained"]
    assert receiver.received == []
    assert control.notifications()["counters"] == {}
    again = zoho.control("DELETE", f"/tenants/t1/books/webhooks/{webhook_id}")
    assert again.status_code == 400


@pytest.mark.parametrize(
    "rule",
    [
        {"url": "https://example.com/hook", "entity": "contact"},
        {"url": "http://10.0.0.1/hook", "entity": "contact"},
        {"url": "http://127.0.0.1:1/hook", "entity": "invoice"},
        {"url": "http://127.0.0.1:1/hook", "entity": "contact", "events": ["explode"]},
        {"url": "http://127.0.0.1:1/hook", "entity": "contact", "secret": "short"},
        {"url": "http://127.0.0.1:1/hook", "entity": "contact", "headers": {"Bad Header": "x"}},
        {"url": "http://127.0.0.1:1/hook", "entity": "contact", "colour": "blue"},
    ],
)
def test_bad_rules_are_refused_clearly(zoho: ZohoClient, rule: dict[str, Any]) -> None:
    reply = zoho.control("POST", "/tenants/t1/books/webhooks", json=rule)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "bad_request"
    assert zoho.control("GET", "/tenants/t1/books/webhooks").json()["webhooks"] == []


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


@given(body=_JSON)
def test_junk_rules_never_500(asgi_http: Any, body: Any) -> None:
    reply = asgi_http.post("/__zohosim/tenants/t1/books/webhooks", json=body)
    assert reply.status_code in (201, 400)
    if reply.status_code == 201:
        asgi_http.delete(f"/__zohosim/tenants/t1/books/webhooks/{reply.json()['webhook_id']}")
    else:
        assert set(reply.json()["error"]) == {"code", "message"}


@given(body=_JSON)
def test_junk_flush_bodies_never_500(asgi_http: Any, body: Any) -> None:
    reply = asgi_http.post("/__zohosim/notifications/flush", json=body)
    assert reply.status_code in (200, 400)
