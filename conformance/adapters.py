"""The syncer under test, whatever its language: how the harness hands it a world and runs it.

A syncer gets ``Endpoints`` (where Zoho is, the credentials, a configuration in
``syncer/config.py``'s schema, and a state directory of its own) and makes one sync run.

- Python route: ``PythonAdapter(factory)``. ``factory()`` returns an object with
  ``run(endpoints) -> None``; raising means the run failed. The harness calls the factory for
  every run, as if each run were a new process: whatever must survive between runs belongs in
  ``endpoints.state_dir``. Send every request through ``endpoints.http`` (an ``httpx.Client``
  whose ``base_url`` is the simulator): the harness simulates a crash in it (RESUMABLE).
- Command route: ``CommandAdapter("node my-sync.js")`` runs a shell command per run, in the
  caller's working directory, with the ``ZOHOSIM_*`` environment variables below (its state in
  ``ZOHOSIM_STATE_DIR``, which lasts across the runs of one world; its stdout and stderr in
  ``ZOHOSIM_RUN_DIR``, one per run); a non-zero exit or a timeout is a failed run.

The reference CLI reads these variables: ``zohosim sync`` is a complete command-route syncer.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

from conformance.contract import WRITE_METHODS
from conformance.observe import RunOutcome

if TYPE_CHECKING:
    from simulator.tenants import Simulator

ENV_VARS = (
    "ZOHOSIM_ACCOUNTS_URL",
    "ZOHOSIM_CRM_URL",
    "ZOHOSIM_BOOKS_URL",
    "ZOHOSIM_CLIENT_ID",
    "ZOHOSIM_CLIENT_SECRET",
    "ZOHOSIM_REFRESH_TOKEN",
    "ZOHOSIM_CRM_ORG_ID",
    "ZOHOSIM_BOOKS_ORGANIZATION_ID",
    "ZOHOSIM_CONFIG",
    "ZOHOSIM_STATE_DIR",
    "ZOHOSIM_RUN_DIR",
    "ZOHOSIM_CONTROL_URL",
)


@dataclass
class Endpoints:
    """Everything one run of a syncer needs. ``config`` is one ``[[sync]]`` entry plus a
    ``connection`` (base URL and credentials) and ``state.path`` inside ``state_dir``;
    ``config_path`` is the same configuration as a JSON file."""

    accounts_url: str
    crm_url: str
    books_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    crm_org_id: str
    books_organization_id: str
    config: dict[str, Any]
    config_path: Path
    state_dir: Path
    base_url: str = ""
    tenant_id: str = ""
    run_label: str = "run"
    #: The simulator's control plane: a syncer that waits (backoff, rate limits) may wait in virtual
    #: time with ``POST {control_url}/clock {"advance": seconds}`` instead of sleeping.
    control_url: str = ""
    #: Python route: the client every request must go through (set by ``PythonAdapter``).
    http: httpx.Client | None = None
    #: The harness's way to the simulator (in-process or 127.0.0.1); the Python route wraps it.
    transport: httpx.BaseTransport | None = field(default=None, repr=False)

    @property
    def run_dir(self) -> Path:
        """This run's own folder (the command route's stdout and stderr land here)."""
        return self.config_path.parent / self.run_label

    def env(self) -> dict[str, str]:
        return {
            "ZOHOSIM_ACCOUNTS_URL": self.accounts_url,
            "ZOHOSIM_CRM_URL": self.crm_url,
            "ZOHOSIM_BOOKS_URL": self.books_url,
            "ZOHOSIM_CLIENT_ID": self.client_id,
            "ZOHOSIM_CLIENT_SECRET": self.client_secret,
            "ZOHOSIM_REFRESH_TOKEN": self.refresh_token,
            "ZOHOSIM_CRM_ORG_ID": self.crm_org_id,
            "ZOHOSIM_BOOKS_ORGANIZATION_ID": self.books_organization_id,
            "ZOHOSIM_CONFIG": str(self.config_path),
            "ZOHOSIM_STATE_DIR": str(self.state_dir),
            "ZOHOSIM_RUN_DIR": str(self.run_dir),
            "ZOHOSIM_CONTROL_URL": self.control_url,
        }

    def write_config(self) -> None:
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config, indent=2, ensure_ascii=False), encoding="utf-8")


@runtime_checkable
class SyncerUnderTest(Protocol):
    """One sync run against ``endpoints``; raising means the run failed."""

    def run(self, endpoints: Endpoints) -> None: ...


class SyncerKilled(BaseException):
    """Raised inside a Python syncer's HTTP client: the harness's stand-in for the process dying.
    A BaseException, so that ``except Exception`` in the syncer does not swallow it."""


class KillSwitch:
    """Ends a run right after its N-th write request reached the simulator (the write is applied;
    its reply is lost). Python route: the client's transport raises ``SyncerKilled``. Command
    route: the process group gets SIGKILL when the simulator logs that write."""

    def __init__(self, after_writes: int, *, sim: Simulator | None = None, tenant_id: str = "") -> None:
        if after_writes < 1:
            raise ValueError("kill after at least one write")
        self.after_writes = after_writes
        self.sim = sim
        self.tenant_id = tenant_id
        self.writes = 0
        self.fired = False

    def transport(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        return _KillingTransport(inner, self)

    def count(self, method: str, path: str) -> bool:
        """Count a write; True when it is the one after which the run dies."""
        service = path.strip("/").split("/")[0]
        if method.upper() not in WRITE_METHODS or service not in ("crm", "books") or self.fired:
            return False
        self.writes += 1
        if self.writes >= self.after_writes:
            self.fired = True
        return self.fired

    @contextmanager
    def on_process(self, pid: int) -> Iterator[None]:
        """While the block runs, SIGKILL process group ``pid`` once the simulator logs the N-th write."""
        if self.sim is None:
            raise RuntimeError("the command route's kill switch needs the simulator (sim=...)")
        log = self.sim.request_log
        original = log.append

        def append(**fields: Any) -> Any:
            entry = original(**fields)
            inbound = entry.tenant_id == self.tenant_id and entry.direction == "inbound"
            if inbound and self.count(entry.method, entry.path):
                _kill_group(pid)
            return entry

        # the request log has no write hook: its method is wrapped on this instance for the block
        log.append = append  # type: ignore[method-assign]
        try:
            yield
        finally:
            log.append = original  # type: ignore[method-assign]


class _KillingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, switch: KillSwitch) -> None:
        self.inner, self.switch = inner, switch

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.switch.fired:
            raise SyncerKilled("the harness already killed this run")
        response = self.inner.handle_request(request)
        if self.switch.count(request.method, request.url.path):
            response.close()
            raise SyncerKilled(
                f"killed after write #{self.switch.writes}: {request.method} {request.url.path}"
            )
        return response


class _Shared(httpx.BaseTransport):
    """The harness's transport, lent to one run's client: closing the client leaves it open."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        """The wrapped transport belongs to the caller, who closes it."""


def load_factory(spec: str, *, search: Iterable[Path] = ()) -> Callable[[], Any]:
    """``package.module:attribute`` -> the attribute (a factory, or a class). Like pytest with its
    rootdir, the import looks in the working directory (and ``search``) first."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{spec!r}: give the factory as package.module:factory")
    for folder in (*search, Path.cwd()):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ImportError(
            f"{spec!r}: {exc}. Run from the folder that holds {module_name.split('.')[0]!r}, "
            "or install it (pip install -e .)"
        ) from exc
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{spec!r} is not callable")
    return target


class PythonAdapter:
    route = "python"

    def __init__(
        self, factory: Callable[[], Any] | str, *, name: str | None = None, search: Iterable[Path] = ()
    ) -> None:
        self.spec = factory if isinstance(factory, str) else f"{factory.__module__}:{factory.__qualname__}"
        self.factory = load_factory(factory, search=search) if isinstance(factory, str) else factory
        self.name = name or self.spec

    def run(self, endpoints: Endpoints, *, kill: KillSwitch | None = None) -> RunOutcome:
        endpoints.write_config()
        if endpoints.transport is None:
            raise RuntimeError("the Python route needs the harness's transport (Endpoints.transport)")
        transport: httpx.BaseTransport = _Shared(endpoints.transport)
        if kill is not None:
            transport = kill.transport(transport)
        started = time.perf_counter()
        with httpx.Client(transport=transport, base_url=endpoints.base_url, timeout=60) as http:
            try:
                self.factory().run(replace(endpoints, http=http))
            except SyncerKilled:
                return RunOutcome(
                    ok=False, killed=True, error="killed", seconds=time.perf_counter() - started
                )
            except Exception as exc:
                if kill is not None and kill.fired:
                    return RunOutcome(
                        ok=False, killed=True, error=repr(exc), seconds=time.perf_counter() - started
                    )
                tail = "".join(traceback.format_exception(exc)[-6:])
                return RunOutcome(
                    ok=False,
                    error=f"{type(exc).__name__}: {exc}\n{tail}",
                    seconds=time.perf_counter() - started,
                )
        return RunOutcome(ok=True, killed=bool(kill and kill.fired), seconds=time.perf_counter() - started)


class CommandAdapter:
    """A shell command per run, started in ``cwd`` (by default the working directory the adapter
    was made in: the caller's, so that ``node my-sync.js`` finds its file)."""

    route = "command"

    def __init__(self, cmd: str, *, timeout: float = 120.0, cwd: Path | None = None) -> None:
        self.cmd = cmd
        self.timeout = timeout
        self.name = cmd
        self.cwd = cwd or Path.cwd()

    def run(self, endpoints: Endpoints, *, kill: KillSwitch | None = None) -> RunOutcome:
        endpoints.write_config()
        out_path, err_path = endpoints.run_dir / "stdout.log", endpoints.run_dir / "stderr.log"
        env = {**os.environ, **endpoints.env()}
        started = time.perf_counter()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(
                self.cmd,
                shell=True,
                env=env,
                cwd=self.cwd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: a kill reaches the shell's children
            )
            watch = kill.on_process(process.pid) if kill is not None else nullcontext()
            with watch:
                try:
                    code = process.wait(timeout=self.timeout)
                except subprocess.TimeoutExpired:
                    _kill_group(process.pid)
                    process.wait(timeout=30)
                    return RunOutcome(
                        ok=False,
                        error=f"timed out after {self.timeout:g} s\n{_tail(err_path)}",
                        seconds=time.perf_counter() - started,
                    )
        seconds = time.perf_counter() - started
        if kill is not None and kill.fired:
            return RunOutcome(ok=False, killed=True, error=f"killed (exit status {code})", seconds=seconds)
        if code != 0:
            tail = _tail(err_path) or "(nothing on stderr)"
            return RunOutcome(
                ok=False,
                error=f"`{self.cmd}` (in {self.cwd}) ended with exit status {code}; "
                f"the end of its stderr:\n{tail}",
                seconds=seconds,
            )
        return RunOutcome(ok=True, seconds=seconds)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def adapter_for(
    *,
    cmd: str | None = None,
    python: str | None = None,
    timeout: float = 120.0,
    search: Iterable[Path] = (),
) -> Any:
    if cmd is not None and python is None:
        return CommandAdapter(cmd, timeout=timeout)
    if python is not None and cmd is None:
        return PythonAdapter(python, search=search)
    raise ValueError("give exactly one of a command (--syncer-cmd) and a Python factory (--syncer-python)")
