"""The daemon route: a long-running syncer, woken by CRM notifications and Books webhooks.

``DaemonAdapter("python my_daemon.py")`` starts the command once per scenario world, with the
command route's ``ZOHOSIM_*`` variables plus:

- ``ZOHOSIM_RECEIVER_URL`` / ``ZOHOSIM_WEBHOOK_PORT``: where the daemon must serve HTTP on
  127.0.0.1 (any path; the harness's channels post to ``/notify/crm`` and ``/notify/books``);
- ``ZOHOSIM_POLL_INTERVAL``: the daemon's poll fallback, in seconds of **virtual** time (it reads
  the clock at ``GET $ZOHOSIM_CONTROL_URL/clock``): EVENTUAL gives it that long to catch up;
- ``ZOHOSIM_CONTROL_URL`` and ``ZOHOSIM_IDLE_URL``: ``POST $ZOHOSIM_IDLE_URL`` when it has nothing
  left to do, which ends the harness's wait at once instead of after a settle window.

Once the receiver accepts connections, the harness registers a CRM channel (every module) and
Books webhooks (every entity) to it, unless the daemon registered its own first. Each "run" of
the harness is then: let the world's deliveries go (they are held while the harness edits the
world, so the daemon never sees half an edit), and wait for **quiescence**: every delivery due
has been answered (a flush), and either an idle report newer than anything logged for the tenant
and made with the virtual clock where it is now (a clock moved since may have made a poll due),
or no logged request for ``settle_polls`` polls in a row. The invariants are then checked as after
a run. A kill (RESUMABLE) kills the daemon's process group; the next run starts it again.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.adapters import Endpoints, KillSwitch, _kill_group, _tail
from conformance.observe import RunOutcome

if TYPE_CHECKING:
    from simulator.tenants import Simulator

#: Virtual seconds between the daemon's polls, unless the adapter is told otherwise.
POLL_INTERVAL = 300.0
CRM_EVENTS = ["Accounts.all", "Contacts.all", "Vendors.all", "Products.all"]
BOOKS_ENTITIES = ("contact", "contact_person", "item")
CHANNEL_ID = "7001"


@dataclass
class _Daemon:
    process: subprocess.Popen[bytes]
    port: int
    stderr: Path
    #: Idle reports counted before it started: only a later one is its own.
    marks_before: int
    ready: bool = False


class DaemonAdapter:
    route = "daemon"

    def __init__(
        self,
        cmd: str,
        *,
        timeout: float = 120.0,
        poll_interval: float = POLL_INTERVAL,
        settle_polls: int = 20,
        poll_seconds: float = 0.05,
        cwd: Path | None = None,
    ) -> None:
        self.cmd, self.name = cmd, cmd
        #: The daemon starts here, as the command route's syncer does: by default the folder the
        #: harness was started in, so that a relative command (``python my_daemon.py``) is found.
        self.cwd = cwd or Path.cwd()
        self.timeout, self.poll_interval = timeout, poll_interval
        self.settle_polls, self.poll_seconds = settle_polls, poll_seconds
        #: Polls before a run counts as failed: the timeout, counted in polls (each at least one sleep).
        self.max_polls = max(1, int(timeout / poll_seconds))
        self.sim: Simulator | None = None
        self._daemons: dict[str, _Daemon] = {}
        #: Measured: real seconds from the start of each wait to quiescence.
        self.quiescence_seconds: list[float] = []

    def attach(self, sim: Simulator) -> None:
        """The harness's simulator: the adapter watches its log, its queues and idle reports."""
        self.sim = sim

    # ---- one run -----------------------------------------------------------------------------

    def run(self, endpoints: Endpoints, *, kill: KillSwitch | None = None) -> RunOutcome:
        sim = self._simulator()
        self._reap(sim)
        endpoints.write_config()
        started = time.perf_counter()
        tenant_id = endpoints.tenant_id
        daemon = self._daemons.get(tenant_id)
        if daemon is None or daemon.process.poll() is not None:
            daemon = self._daemons[tenant_id] = self._start(endpoints, port=daemon.port if daemon else None)
        standing = daemon.ready
        dispatcher = sim.notifier.dispatcher
        watch = kill.on_process(daemon.process.pid) if kill is not None else nullcontext()
        with watch:
            try:
                if not daemon.ready:
                    self._wait_ready(daemon)
                    self._subscribe(sim, tenant_id, daemon.port)
                    daemon.ready = True
                dispatcher.resume(tenant_id=tenant_id)
                waited = time.perf_counter()
                self._quiesce(sim, tenant_id, daemon)
                self.quiescence_seconds.append(time.perf_counter() - waited)
                error = None
            except _NotQuiet as exc:
                error = str(exc)
            finally:
                dispatcher.pause(tenant_id=tenant_id)
        seconds = time.perf_counter() - started
        if kill is not None and kill.fired:
            return RunOutcome(ok=False, killed=True, error="killed", seconds=seconds)
        if error is not None:
            return RunOutcome(ok=False, error=f"{error}\n{_tail(daemon.stderr)}", seconds=seconds)
        return RunOutcome(ok=True, seconds=seconds, standing=standing)

    def close(self) -> None:
        for tenant_id in list(self._daemons):
            self._stop(tenant_id)

    # ---- the daemon's process ----------------------------------------------------------------

    def _simulator(self) -> Simulator:
        if self.sim is None:
            raise RuntimeError("the daemon route needs the harness's simulator (open_harness attaches it)")
        return self.sim

    def _start(self, endpoints: Endpoints, *, port: int | None) -> _Daemon:
        port = port or _free_port()
        logs = endpoints.config_path.parent
        control = endpoints.control_url
        env = {
            **os.environ,
            **endpoints.env(),
            "ZOHOSIM_RECEIVER_URL": f"http://127.0.0.1:{port}",
            "ZOHOSIM_WEBHOOK_PORT": str(port),
            "ZOHOSIM_POLL_INTERVAL": f"{self.poll_interval:g}",
            "ZOHOSIM_CONTROL_URL": control,
            "ZOHOSIM_IDLE_URL": f"{control}/tenants/{endpoints.tenant_id}/idle",
        }
        label = f"daemon-{endpoints.run_label}"
        with (logs / f"{label}.stdout").open("wb") as out, (logs / f"{label}.stderr").open("wb") as err:
            process = subprocess.Popen(
                self.cmd,
                shell=True,
                env=env,
                cwd=self.cwd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        marks = self._simulator().notifier.idle.get(endpoints.tenant_id, {}).get("marks", 0)
        return _Daemon(process, port, logs / f"{label}.stderr", int(str(marks)))

    def _wait_ready(self, daemon: _Daemon) -> None:
        for _ in range(self.max_polls):
            if daemon.process.poll() is not None:
                status = daemon.process.returncode
                raise _NotQuiet(f"`{self.cmd}` (in {self.cwd}) exited with status {status} before serving")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", daemon.port), 1):
                return
            time.sleep(self.poll_seconds)
        raise _NotQuiet(f"the daemon did not listen on port {daemon.port} within {self.max_polls} polls")

    def _subscribe(self, sim: Simulator, tenant_id: str, port: int) -> None:
        """Channels and webhooks to the receiver, unless the daemon registered its own."""
        tenant, now = sim.tenants[tenant_id], sim.clock.now()
        receiver = f"http://127.0.0.1:{port}"
        book = sim.notifier.channel_book(tenant)
        hooks = sim.notifier.webhooks.get(tenant_id, {}).values()
        if any(c.notify_url.startswith(receiver) for c in book.live(now)) or any(
            h.url.startswith(receiver) for h in hooks
        ):
            return
        item = {
            "channel_id": CHANNEL_ID,
            "events": CRM_EVENTS,
            "notify_url": f"{receiver}/notify/crm",
            "token": "zohosim-conform",
            "channel_expiry": (now + timedelta(days=6)).isoformat(),
        }
        book.subscribe(item, index=0, now=now, version="v8", base_url=f"{receiver}")
        for entity in BOOKS_ENTITIES:
            sim.notifier.add_webhook(tenant, {"url": f"{receiver}/notify/books", "entity": entity})

    def _quiesce(self, sim: Simulator, tenant_id: str, daemon: _Daemon) -> None:
        last, quiet = -1, 0
        for _ in range(self.max_polls):
            if daemon.process.poll() is not None:
                raise _NotQuiet(f"the daemon exited (status {daemon.process.returncode})")
            drained = sim.notifier.dispatcher.flush(timeout=self.timeout)["drained"]
            seq = _last_seq(sim, tenant_id, last)
            mark = sim.notifier.idle.get(tenant_id, {})
            quiet = quiet + 1 if drained and seq == last else 0
            if drained and _idle_since(mark, seq=seq, marks_before=daemon.marks_before, now=sim.clock.now()):
                return
            if quiet >= self.settle_polls:
                return
            last = seq
            time.sleep(self.poll_seconds)
        raise _NotQuiet(f"no quiescence within {self.max_polls} polls: the daemon kept calling the API")

    def _reap(self, sim: Simulator) -> None:
        """Stop the daemons of worlds that are gone (their tenant was deleted)."""
        for tenant_id in [t for t in self._daemons if t not in sim.tenants]:
            self._stop(tenant_id)

    def _stop(self, tenant_id: str) -> None:
        daemon = self._daemons.pop(tenant_id)
        if daemon.process.poll() is None:
            _kill_group(daemon.process.pid)
        daemon.process.wait(timeout=30)


class _NotQuiet(RuntimeError):
    """The daemon died, never served, or never went quiet."""


def _idle_since(mark: dict[str, object], *, seq: int, marks_before: int, now: datetime) -> bool:
    """The daemon's own idle report, made after everything logged for the tenant and with the
    clock where it is now (a clock moved since may have made a poll due)."""
    if int(str(mark.get("marks", 0))) <= marks_before or int(str(mark.get("seq", -1))) < seq:
        return False
    return datetime.fromisoformat(str(mark["time"])) >= now


def _last_seq(sim: Simulator, tenant_id: str, since: int) -> int:
    """The newest request-log position of the tenant: its API calls and the deliveries to it (a
    delivery a fault dropped never reached the daemon, so it does not count)."""
    entries = [
        entry
        for entry in sim.request_log.filter(tenant_id=tenant_id, since_seq=max(since, 0))
        if not (entry.direction == "outbound" and (entry.fault or "").startswith("drop:"))
    ]
    return entries[-1].seq if entries else max(since, 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
