"""Deliberately broken long-running syncers for the daemon route: the worked example
(``examples/python-daemon/daemon.py``) with one of its event-handling rules broken. Each is a
command for ``--syncer-daemon``::

    zohosim conform --syncer-daemon "python -m conformance.mutants.daemon never_polls" --groups eventual

``DAEMON_MUTANTS`` maps a name to the invariant the harness must flag it under;
``tests/conformance/test_daemon.py`` checks that the suite kills every one.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-daemon" / "daemon.py"

DAEMON_MUTANTS: dict[str, str] = {
    "never_polls": "EVENTUAL",
    "replays_duplicates": "EVENTUAL",
    "trusts_payload_order": "EVENTUAL",
}


def command(name: str) -> str:
    """The shell command that runs mutant ``name`` with this interpreter."""
    if name not in DAEMON_MUTANTS:
        raise ValueError(f"unknown daemon mutant {name!r}: choose from {', '.join(DAEMON_MUTANTS)}")
    return f"{sys.executable} -m conformance.mutants.daemon {name}"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zohosim_example_daemon", EXAMPLE)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load the example daemon at {EXAMPLE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _mutant(name: str) -> Any:
    example = _example()
    base = example.Daemon  # loaded at run time, so mypy can't check a subclass (the ignores below)

    class NeverPolls(base):  # type: ignore[misc, valid-type]
        """Trusts notifications: after its first pass it syncs only when one comes, so a dropped
        notification's change is never synced."""

        next_poll: datetime | None

        def step(self, deliveries: list[Any]) -> bool:
            fresh = [d for d in deliveries if self.fresh(d)]
            if fresh or self.next_poll is None:
                self.sync_pass()
                self.next_poll = self.clock.now()
                return True
            return bool(deliveries)

    class ReplaysDuplicates(base):  # type: ignore[misc, valid-type]
        """Each delivery is a job that works from the state saved when that delivery was first
        handled (as independent workers do), and a duplicate is not recognised: it runs its job
        again, from the old state, and writes what the first copy already wrote."""

        def __init__(self, env: Any) -> None:
            super().__init__(env)
            self.saved: dict[str, bytes | None] = {}

        def step(self, deliveries: list[Any]) -> bool:
            if not deliveries:
                return bool(super().step([]))
            for delivery in deliveries:
                state = self.saved.setdefault(delivery.digest, _read(self.state_path))
                _write(self.state_path, state)
                self.sync_pass()
            self.next_poll = self.clock.now() + example.timedelta(seconds=self.poll_interval)
            return True

    class TrustsPayloadOrder(base):  # type: ignore[misc, valid-type]
        """Keeps the Books record each webhook carried, the last to arrive winning, and syncs from
        those copies instead of reading Books: a webhook that arrives late brings back old data."""

        def __init__(self, env: Any) -> None:
            super().__init__(env)
            self.copies: dict[str, dict[str, Any]] = {}

        def fresh(self, delivery: Any) -> bool:
            data = example.json.loads(delivery.body or b"{}")
            for record in data.values() if "ids" not in data else ():
                key = next((k for k in record if k in ("contact_id", "item_id")), None)
                if key:
                    self.copies[str(record[key])] = record
            return bool(super().fresh(delivery))

        def sync_pass(self) -> None:
            from unittest import mock

            from syncer.clients import books

            def overlay(original: Any) -> Any:
                def rows(client: Any, *args: Any, **kwargs: Any) -> Any:
                    for row in original(client, *args, **kwargs):
                        key = str(row.get("contact_id") or row.get("item_id") or "")
                        yield {**row, **self.copies.get(key, {})}

                return rows

            with (
                mock.patch.object(books.BooksClient, "contacts", overlay(books.BooksClient.contacts)),
                mock.patch.object(books.BooksClient, "items", overlay(books.BooksClient.items)),
            ):
                super().sync_pass()

    return {
        "never_polls": NeverPolls,
        "replays_duplicates": ReplaysDuplicates,
        "trusts_payload_order": TrustsPayloadOrder,
    }[name]


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def _write(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(data)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in DAEMON_MUTANTS:
        sys.exit(f"usage: python -m conformance.mutants.daemon {{{','.join(DAEMON_MUTANTS)}}}")
    _mutant(sys.argv[1])(os.environ).run_forever()
