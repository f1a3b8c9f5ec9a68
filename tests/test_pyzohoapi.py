"""The Books client ``pyzohoapi`` unmodified against ``zohosim serve``.

Its quirks: trailing slashes on single objects, JSON bodies with no Content-Type, a stray ``id=``
query parameter, and ``X-Rate-Limit-Reset`` required on every successful reply.
"""

from __future__ import annotations

import pytest

from tests.support import ZohoClient

pyzohoapi = pytest.importorskip("pyzohoapi", reason="pyzohoapi is not installed")

pytestmark = pytest.mark.server


@pytest.fixture
def books(served: ZohoClient) -> pyzohoapi.ZohoBooks:
    base = str(served.http.base_url).rstrip("/")

    class LocalBooks(pyzohoapi.ZohoBooks):
        def get_endpoint(self, region: str) -> str:
            return base + "/books/v3"

    api = LocalBooks(
        served.creds["books_organization_id"],
        "us",
        client_id=served.creds["client_id"],
        client_secret=served.creds["client_secret"],
        refresh_token=served.creds["refresh_token"],
    )
    api._oauth = base + "/oauth/v2"
    return api


def test_contacts_list_create_update_delete(books: pyzohoapi.ZohoBooks) -> None:
    before = [c.contact_id for c in books.Contact().Iter()]
    assert before

    created = books.Contact()
    created.contact_name = "Acme Widgets Ltd"
    created.contact_type = "customer"
    created.Create()
    assert created.contact_id and created.contact_name == "Acme Widgets Ltd"

    fetched = books.Contact(created.contact_id)
    fetched.website = "https://acme.example"
    fetched.Update()
    assert books.Contact(created.contact_id).website == "https://acme.example"

    books.Contact(created.contact_id).Delete()
    assert created.contact_id not in [c.contact_id for c in books.Contact().Iter()]


def test_items_list_create_update_delete(books: pyzohoapi.ZohoBooks) -> None:
    assert any(True for _ in books.Item().Iter())
    item = books.Item()
    item.name = "Hard Drive 2TB"
    item.rate = 120
    item.Create()
    loaded = books.Item(item.item_id)
    loaded.rate = 99.5
    loaded.Update()
    assert float(books.Item(item.item_id).rate) == 99.5
    books.Item(item.item_id).Delete()
    assert item.item_id not in [i.item_id for i in books.Item().Iter()]


def test_expired_token_mid_run_is_refreshed(books: pyzohoapi.ZohoBooks, served: ZohoClient) -> None:
    assert books.Contact().Iter().__next__().contact_id
    served.control("POST", "/clock", json={"advance": 3601})  # the simulator's token expires
    assert books.Contact().Iter().__next__().contact_id  # 401, refresh, retry: all inside pyzohoapi
