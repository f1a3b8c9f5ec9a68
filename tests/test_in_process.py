"""In-process mode: respx routing of Zoho's real hosts, the thread server, and the pytest plugin."""

from __future__ import annotations

import httpx
import pytest

from simulator.tenants import Sizes
from simulator.testing import serve_in_thread, zoho_mock

pytest_plugins = ["pytester"]


def _token(tenant, url: str) -> dict:
    reply = httpx.post(
        url,
        data={
            "grant_type": "refresh_token",
            "client_id": tenant.client.client_id,
            "client_secret": tenant.client.client_secret,
            "refresh_token": tenant.refresh_token.token,
        },
    )
    return reply.json()


def test_real_zoho_hosts_reach_the_simulator_with_no_url_change() -> None:
    with zoho_mock() as zoho:
        tenant = zoho.sim.create_tenant(sizes=Sizes(accounts=3, contacts=3, vendors=1, products=1))
        token = _token(tenant, "https://accounts.zoho.com/oauth/v2/token")
        assert token["api_domain"] == "https://www.zohoapis.com"
        headers = {"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
        crm = httpx.get(
            "https://www.zohoapis.com/crm/v8/Accounts", params={"fields": "Account_Name"}, headers=headers
        )
        assert len(crm.json()["data"]) == 3
        books = httpx.get(
            "https://www.zohoapis.com/books/v3/contacts",
            params={"organization_id": tenant.books.organization_id},
            headers=headers,
        )
        assert books.json()["code"] == 0


def test_other_data_centres_and_the_legacy_books_host() -> None:
    with zoho_mock() as zoho:
        tenant = zoho.sim.create_tenant(sizes=Sizes(accounts=1, contacts=1, vendors=1, products=1))
        token = _token(tenant, "https://accounts.zoho.eu/oauth/v2/token")
        assert token["api_domain"] == "https://www.zohoapis.eu"
        assert (
            _token(tenant, "https://accounts.zohocloud.ca/oauth/v2/token")["api_domain"]
            == "https://www.zohoapis.ca"
        )
        legacy = httpx.get(
            "https://books.zoho.com/api/v3/contacts",
            params={"organization_id": tenant.books.organization_id},
            headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"},
        )
        assert legacy.json()["code"] == 0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_clients_are_routed_too() -> None:
    with zoho_mock() as zoho:
        tenant = zoho.sim.create_tenant(sizes=Sizes(accounts=2, contacts=1, vendors=1, products=1))
        async with httpx.AsyncClient() as client:
            reply = await client.post(
                "https://accounts.zoho.in/oauth/v2/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": tenant.client.client_id,
                    "client_secret": tenant.client.client_secret,
                    "refresh_token": tenant.refresh_token.token,
                },
            )
        assert reply.json()["api_domain"] == "https://www.zohoapis.in"


def test_thread_server_serves_on_loopback() -> None:
    with serve_in_thread() as running:
        running.sim.create_tenant(sizes=Sizes(accounts=1, contacts=1, vendors=1, products=1))
        assert running.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(running.base_url + "/__zohosim/health").json() == {"status": "ok"}


PLUGIN_TEST = """
import httpx
import pytest


@pytest.mark.zohosim(seed=7, accounts=4, contacts=2, vendors=1, products=1)
def test_fresh_org_and_credentials(zohosim, zoho_credentials):
    reply = zohosim.client().get("/crm/v8/Accounts", params={"fields": "Account_Name"},
                                 headers=zoho_credentials.headers)
    assert len(reply.json()["data"]) == 4


def test_respx_routes_real_hosts(zoho_credentials, zoho_respx):
    reply = httpx.get("https://www.zohoapis.com/books/v3/contacts",
                      params={"organization_id": zoho_credentials.books_organization_id},
                      headers=zoho_credentials.headers)
    assert reply.json()["code"] == 0


def test_orgs_are_fresh_per_test(zoho_org, zohosim):
    assert zoho_org.tenant_id in zohosim.sim.tenants
    assert len(zohosim.sim.tenants) == 1


def test_requests_routes_real_hosts(zoho_credentials, zoho_requests):
    import requests

    reply = requests.get("https://www.zohoapis.eu/crm/v8/Accounts", params={"fields": "Account_Name"},
                         headers=zoho_credentials.headers, timeout=5)
    assert reply.status_code == 200 and reply.json()["data"]
"""


@pytest.mark.parametrize("mode", ["inprocess", "server"])
def test_the_pytest_plugin_gives_a_simulator_orgs_and_credentials(
    pytester: pytest.Pytester, mode: str
) -> None:
    pytester.makepyfile(PLUGIN_TEST)
    result = pytester.runpytest_inprocess(f"--zohosim-mode={mode}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["inprocess", "server"])
def test_the_plugin_under_xdist_gives_each_worker_its_own_simulator(
    pytester: pytest.Pytester, mode: str
) -> None:
    """Under ``-n 2`` each worker builds its own simulator (the fresh-org test counts its tenants),
    and every outcome is the serial run's."""
    pytester.makepyfile(PLUGIN_TEST)
    options = (f"--zohosim-mode={mode}", "-p", "no:cacheprovider", "-rA")
    serial = pytester.runpytest_subprocess(*options)
    parallel = pytester.runpytest_subprocess(*options, "-n", "2")
    serial.assert_outcomes(passed=4)
    parallel.assert_outcomes(passed=4)
    assert "2 workers [4 items]" in parallel.stdout.str()
    verdicts = [sorted(line for line in r.outlines if line.startswith("PASSED")) for r in (serial, parallel)]
    assert verdicts[0] == verdicts[1]


def test_the_plugin_refuses_unknown_marker_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.zohosim(planets=3)
def test_x(zoho_org):
    pass
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*takes seed and*"])
