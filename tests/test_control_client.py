"""The control plane's Python client."""

from __future__ import annotations

import pytest

from simulator.control.client import ControlClient, ControlRefused
from tests.support import ZohoClient


def test_client_round_trip(zoho: ZohoClient) -> None:
    control = ControlClient(zoho.http)
    assert [t["tenant_id"] for t in control.tenants()] == ["t1"]
    created = control.create_tenant(tenant_id="c2", seed=5, sizes={"accounts": 3})
    assert control.tenant("c2")["client_id"] == created["client_id"]
    state = control.export_state("c2")
    control.snapshot("c2", "s")
    control.restore("c2", "s")
    control.import_state("c2", state)
    assert control.export_state("c2") == state
    assert control.advance_clock(10).endswith("09:00:10+00:00")
    assert control.set_clock("2026-05-01T00:00:00Z", frozen=True).startswith("2026-05-01")
    assert control.now().startswith("2026-05-01")
    assert control.add_fault(effect="latency", latency_ms=1)["rule_id"]
    control.clear_faults()
    assert control.set_limits("c2", books={"enabled": True})["books"]["enabled"] is True
    control.allow_duplicate_names("c2", False)
    control.reset("c2")
    control.clear_requests()
    assert control.requests(tenant_id="c2") == []
    control.delete_tenant("c2")


def test_client_errors_carry_the_fix(zoho: ZohoClient) -> None:
    with pytest.raises(ControlRefused, match="GET /__zohosim/tenants lists them"):
        ControlClient(zoho.http).tenant("nobody")
