"""pytest plugin (entry point ``pytest11``): a running simulator, a fresh org per test, ready
credentials, and routing of Zoho's real host names into the simulator from httpx (``zoho_respx``),
requests (``zoho_requests``) or every client at once (``zoho_mock``).

    def test_my_sync(zoho_credentials, zoho_mock):
        my_sync.run(client_id=zoho_credentials.client_id, ...)   # calls https://www.zohoapis.com/...

Under pytest-xdist (``pytest -n auto``) each worker is a process with its own simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from simulator.routing import route_httpx, route_requests, route_urllib
from simulator.tenants import Sizes, Tenant
from simulator.testing import (
    InProcessTransport,
    RunningSimulator,
    build_simulator,
    in_process,
    serve_in_thread,
)

if TYPE_CHECKING:
    import responses
    import respx

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
def _zoho_transport(zohosim: RunningSimulator) -> Iterator[InProcessTransport]:
    with InProcessTransport(zohosim.app) as transport:
        yield transport


@pytest.fixture
def zoho_respx(_zoho_transport: InProcessTransport) -> Iterator[respx.Router]:
    """Route httpx calls to Zoho's real hosts (accounts.zoho.com, www.zohoapis.eu, …) into the
    simulator; other hosts pass through. Yields the respx router."""
    import respx

    with respx.mock(assert_all_called=False) as router:
        route_httpx(router, _zoho_transport)
        router.route().pass_through()
        yield router


@pytest.fixture
def zoho_requests(_zoho_transport: InProcessTransport) -> Iterator[responses.RequestsMock]:
    """Route ``requests`` calls to Zoho's real hosts into the simulator (Zoho's official Python
    SDK, pyzohoapi); other hosts pass through. Yields the ``responses.RequestsMock``."""
    with route_requests(_zoho_transport) as mock:
        yield mock


@pytest.fixture
def zoho_mock(
    zohosim: RunningSimulator,
    zoho_respx: respx.Router,
    zoho_requests: responses.RequestsMock,
    _zoho_transport: InProcessTransport,
) -> Iterator[RunningSimulator]:
    """Every client at once: httpx, requests and urllib's ``urlopen`` reach the simulator when they
    call a Zoho host. Yields the running simulator (the ``zohosim`` fixture)."""
    with route_urllib(_zoho_transport):
        yield zohosim
