"""Fixtures: every HTTP test runs twice, in-process (ASGI) and against a real ``zohosim serve``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, settings

from simulator.app import create_app
from simulator.clock import DEFAULT_START, Clock
from simulator.tenants import Simulator, Sizes
from simulator.testing import in_process_client
from tests.support import SEED, TEST_SIZES, ZohoClient, start_server, stop_server

settings.register_profile(
    "ci", max_examples=30, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def asgi_http() -> Iterator[httpx.Client]:
    sim = Simulator(clock=Clock(start=DEFAULT_START, frozen=True), seed=SEED)
    sim.create_tenant(sizes=Sizes(**TEST_SIZES))
    with in_process_client(create_app(sim)) as client:
        yield client


@pytest.fixture(scope="session")
def server_http() -> Iterator[httpx.Client]:
    process, base_url = start_server("--clock", "frozen")
    try:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            yield client
    finally:
        stop_server(process)


@pytest.fixture(params=["asgi", pytest.param("server", marks=pytest.mark.server)])
def zoho(request: pytest.FixtureRequest) -> ZohoClient:
    """A client on a freshly reset tenant ``t1`` (seed 42, test sizes), clock frozen at DEFAULT_START."""
    return fresh_client(request.param, request.getfixturevalue(f"{request.param}_http"))


@pytest.fixture
def served(server_http: httpx.Client) -> ZohoClient:
    """Like ``zoho``, but always the real ``zohosim serve``: for clients that open their own sockets."""
    return fresh_client("server", server_http)


def fresh_client(mode: str, http: httpx.Client) -> ZohoClient:
    client = ZohoClient(mode=mode, http=http)
    for tenant in client.control("GET", "/tenants").json()["tenants"]:
        if tenant["tenant_id"] != "t1":
            client.control("DELETE", f"/tenants/{tenant['tenant_id']}")
    client.control("POST", "/tenants/t1/reset", json={"seed": SEED, "sizes": TEST_SIZES}).raise_for_status()
    client.control(
        "POST", "/clock", json={"set": DEFAULT_START.isoformat(), "frozen": True}
    ).raise_for_status()
    client.creds = client.control("GET", "/tenants/t1").json()
    return client
