"""A long-running CRM <-> Books syncer: woken by CRM notifications and Books webhooks, with a poll
fallback on the simulator's virtual clock.

    zohosim conform --syncer-daemon "python examples/python-daemon/daemon.py" --kinds vendors

It reads the daemon route's environment (``conformance/daemon.py``): ``ZOHOSIM_CONFIG`` (one
``[[sync]]`` entry and its connection), ``ZOHOSIM_STATE_DIR``, ``ZOHOSIM_WEBHOOK_PORT`` (serve
callbacks there), ``ZOHOSIM_POLL_INTERVAL`` (virtual seconds), ``ZOHOSIM_CONTROL_URL`` (the clock)
and ``ZOHOSIM_IDLE_URL`` (say when there is nothing left to do).

The sync pass itself is the reference engine's (``syncer.run_sync``: incremental, keeps its
links and checkpoint in SQLite). What this file adds is the event loop around it:

- every callback is answered at once (200) and put in an inbox; the work happens off the
  receiver's thread, so a slow pass never makes Zoho's delivery time out;
- a delivery seen before (Zoho may deliver one twice) is ignored, and so is one older than the
  newest already seen for the same record (deliveries may come out of order): a pass reads the
  records' current state anyway, so neither may cause one;
- a pass runs when fresh deliveries came in, and at the latest ``ZOHOSIM_POLL_INTERVAL`` virtual
  seconds after the previous one: a lost notification is caught by the next poll;
- when its inbox is empty after work, or once it has seen the clock move, it reports idle.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import sys
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from simulator.control.client import ControlClient
from syncer import SyncState, parse_config, run_sync
from syncer.clients import SimulatorClock

#: Real seconds between looks at the inbox and the clock.
TICK = 0.05


@dataclass(frozen=True)
class Delivery:
    path: str
    body: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.path.encode() + self.body).hexdigest()

    def versions(self) -> list[tuple[str, str]]:
        """(record, change time) pairs this delivery announces: CRM ids at the callback's
        server_time, a Books entity at its last_modified_time."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return []
        if "ids" in data:
            return [(f"crm:{i}", f"{data.get('server_time', 0):020}") for i in data["ids"]]
        for entity, record in data.items():
            if isinstance(record, Mapping):
                key = next((k for k in record if k.endswith("_id")), None)
                if key:
                    return [(f"books:{entity}:{record[key]}", str(record.get("last_modified_time", "")))]
        return []


class Daemon:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.config = parse_config(json.loads(Path(env["ZOHOSIM_CONFIG"]).read_text(encoding="utf-8")))
        self.state_path = Path(env["ZOHOSIM_STATE_DIR"]) / "state.sqlite3"
        self.poll_interval = float(env.get("ZOHOSIM_POLL_INTERVAL", "300"))
        self.port = int(env["ZOHOSIM_WEBHOOK_PORT"])
        self.idle_url = env.get("ZOHOSIM_IDLE_URL")
        self.control = httpx.Client(base_url=env["ZOHOSIM_CONTROL_URL"].removesuffix("/__zohosim"))
        self.clock = SimulatorClock(ControlClient(self.control))
        self.inbox: queue.Queue[Delivery] = queue.Queue()
        self.seen: set[str] = set()
        self.newest: dict[str, str] = {}
        self.next_poll: datetime | None = None  # None: a pass is due now (the first one)
        self.last_seen: datetime | None = None  # the virtual time at the last look

    # ---- the receiver ------------------------------------------------------------------------

    def serve(self) -> None:
        inbox = self.inbox

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                inbox.put(Delivery(self.path, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the daemon logs only what goes wrong."""

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    # ---- what deserves a pass -----------------------------------------------------------------

    def fresh(self, delivery: Delivery) -> bool:
        """A delivery not seen before that announces something newer than what was seen."""
        if delivery.digest in self.seen:
            return False
        self.seen.add(delivery.digest)
        versions = delivery.versions()
        newer = False
        for record, version in versions:
            if version >= self.newest.get(record, ""):
                self.newest[record] = version
                newer = True
        return newer or not versions

    # ---- the loop -----------------------------------------------------------------------------

    def sync_pass(self) -> None:
        state = SyncState(self.state_path)
        try:
            report = run_sync(self.config, clock=self.clock, state=state)
        finally:
            state.close()
        if report.failed:
            print(report.table(), file=sys.stderr, flush=True)

    def step(self, deliveries: list[Delivery]) -> bool:
        """One turn of the loop; True when it did anything."""
        fresh = [d for d in deliveries if self.fresh(d)]
        now = self.clock.now()
        moved, self.last_seen = now != self.last_seen, now
        if not fresh and self.next_poll is not None and now < self.next_poll:
            return bool(deliveries) or moved  # the clock moved: say idle at the new time
        self.sync_pass()
        self.next_poll = self.clock.now() + timedelta(seconds=self.poll_interval)
        return True

    def run_forever(self) -> None:
        self.serve()
        busy = True
        while True:
            deliveries = _drain(self.inbox, wait=0 if busy else TICK)
            try:
                busy = self.step(deliveries)
            except Exception:  # a failed pass is logged; the next delivery or poll tries again
                traceback.print_exc()
                busy = False
            if busy and self.inbox.empty() and self.idle_url:
                self.control.post(self.idle_url)


def _drain(inbox: queue.Queue[Delivery], *, wait: float) -> list[Delivery]:
    try:
        out = [inbox.get(timeout=wait) if wait else inbox.get_nowait()]
    except queue.Empty:
        return []
    while not inbox.empty():
        out.append(inbox.get_nowait())
    return out


if __name__ == "__main__":
    Daemon(os.environ).run_forever()
