"""Deliberately broken syncers, to prove the harness catches them with the right invariant id.
Each wraps the reference syncer and breaks one rule of the contract."""

from __future__ import annotations

import copy
from dataclasses import replace

from conformance.adapters import Endpoints
from conformance.reference import ReferenceSyncer


class _Reconfigured:
    """The reference, run with a configuration other than the one it was given."""

    def __init__(self, change: dict[str, tuple[str, str]]) -> None:
        self.change = change

    def run(self, endpoints: Endpoints) -> None:
        config = copy.deepcopy(endpoints.config)
        entry = config["sync"][0]
        for key, (old, new) in self.change.items():
            if entry.get(key, old) == old:
                entry[key] = new
        ReferenceSyncer().run(replace(endpoints, config=config))


def skip_overwrites() -> _Reconfigured:
    """Under skip, overwrites the duplicate: SKIP-UNTOUCHED."""
    return _Reconfigured({"duplicates": ("skip", "overwrite")})


def fetch_pushes() -> _Reconfigured:
    """Under fetch_from_crm, syncs both ways: FETCH-READ-ONLY."""
    return _Reconfigured({"extent": ("fetch_from_crm", "both_ways")})


class Crashes:
    """Fails every run."""

    def run(self, endpoints: Endpoints) -> None:
        raise RuntimeError("this syncer always fails")


class Bypasses:
    """Talks to the simulator with its own client, not endpoints.http: the harness cannot kill it."""

    def run(self, endpoints: Endpoints) -> None:
        import httpx

        http = httpx.Client(transport=endpoints.transport, base_url=endpoints.base_url)  # not closed: shared
        ReferenceSyncer().run(replace(endpoints, http=http))
