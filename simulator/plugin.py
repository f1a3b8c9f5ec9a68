"""pytest plugin (entry point ``pytest11``): a running simulator, a fresh org per test, ready
credentials, and respx routing of Zoho's real host names into the simulator.

    def test_my_sync(zoho_credentials, zoho_respx):
        my_sync.run(client_id=zoho_credentials.client_id, ...)   # calls https://www.zohoapis.com/...
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from simulator.tenants import Sizes, Tenant
from simulator.testing import RunningSimulator, build_simulator, in_process, serve_in_thread

_SIZE_KEYS = {"accounts", "contacts", "vendors", "products", "books_overlap", "books_extra"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zohosim")
    group.addoption(
        "--zohosim-mode",
        choices=("inprocess", "server"),
        default="inprocess",
        help="serve the simulator in-process (default) or with uvicorn on 127.0.0.1",
    )
    group.addoption("--zohosim-seed", type=int, default=42, help="the seed of every zoho_org (default 42)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "zohosim(seed=None, **sizes): seed and sizes of the test's zoho_org")


@dataclass(frozen=True)
class ZohoCredentials:
    base_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    access_token: str
    crm_org_id: str
    books_organization_id: str

    @property
    def accounts_url(self) -> str:
        return self.base_url + "/oauth/v2/token"

    @property
    def crm_url(self) -> str:
        return self.base_url + "/crm/v8"

    @property
    def books_url(self) -> str:
        return self.base_url + "/books/v3"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.access_token}"}


@pytest.fixture(scope="session")
def zohosim(request: pytest.FixtureRequest) -> Iterator[RunningSimulator]:
    """The simulator for this session, with a frozen clock at its default start."""
    sim = build_simulator(seed=request.config.getoption("zohosim_seed"))
    runner = serve_in_thread if request.config.getoption("zohosim_mode") == "server" else in_process
    with runner(sim) as running:
        yield running


@pytest.fixture
def zoho_org(zohosim: RunningSimulator, request: pytest.FixtureRequest) -> Iterator[Tenant]:
    """A fresh CRM + Books org pair for this test, deleted afterwards."""
    marker = request.node.get_closest_marker("zohosim")
    options = dict(marker.kwargs) if marker else {}
    unknown = set(options) - _SIZE_KEYS - {"seed"}
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.zohosim got {sorted(unknown)}: it takes seed and {sorted(_SIZE_KEYS)}"
        )
    seed = options.pop("seed", request.config.getoption("zohosim_seed"))
    tenant = zohosim.new_tenant(seed=seed, sizes=Sizes(**options))
    yield tenant
    zohosim.sim.delete_tenant(tenant.tenant_id)


@pytest.fixture
def zoho_credentials(zohosim: RunningSimulator, zoho_org: Tenant) -> ZohoCredentials:
    """Ready credentials for ``zoho_org``, with an access token already minted."""
    access = zohosim.sim.accounts.refresh(
        client_id=zoho_org.client.client_id,
        client_secret=zoho_org.client.client_secret,
        refresh_token=zoho_org.refresh_token.token,
    )
    return ZohoCredentials(
        base_url=zohosim.base_url,
        client_id=zoho_org.client.client_id,
        client_secret=zoho_org.client.client_secret,
        refresh_token=zoho_org.refresh_token.token,
        access_token=access.token,
        crm_org_id=zoho_org.crm.org_id,
        books_organization_id=zoho_org.books.organization_id,
    )


@pytest.fixture
def zoho_respx(zohosim: RunningSimulator) -> Iterator[object]:
    """Route httpx calls to Zoho's real hosts (accounts.zoho.com, www.zohoapis.eu, …) into the
    simulator; other hosts pass through. Yields the respx router."""
    import respx

    from simulator.testing import InProcessTransport, route_zoho_hosts

    with respx.mock(assert_all_called=False) as router, InProcessTransport(zohosim.app) as transport:
        route_zoho_hosts(router, transport)
        router.route().pass_through()
        yield router
