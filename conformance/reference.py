"""The reference syncer (``syncer/``) as a Python-route syncer under test.

    pytest --zohosim-syncer=conformance.reference:factory
    zohosim conform --syncer-python conformance.reference:factory

Each run is a fresh ``run_sync`` with its SQLite state in the run's state directory, its HTTP
through ``endpoints.http``, and its waits on the simulator's virtual clock.
"""

from __future__ import annotations

from conformance.adapters import Endpoints
from simulator.control.client import ControlClient
from syncer import SyncState, parse_config, run_sync
from syncer.clients import SimulatorClock


class ReferenceSyncer:
    def run(self, endpoints: Endpoints) -> None:
        assert endpoints.http is not None, "the Python route sets endpoints.http"
        config = parse_config(endpoints.config)
        state = SyncState(endpoints.state_dir / "state.sqlite3")
        try:
            clock = SimulatorClock(ControlClient(endpoints.http))
            run_sync(config, client=endpoints.http, clock=clock, state=state)
        finally:
            state.close()


def factory() -> ReferenceSyncer:
    return ReferenceSyncer()
