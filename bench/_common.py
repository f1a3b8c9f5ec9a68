"""What every benchmark shares: the machine's description, a ``zohosim serve`` subprocess on
127.0.0.1, credentials and tokens, and ``wrk``.

Scripts run from the repository root (``python bench/serve.py``) or as modules
(``python -m bench.serve``); both work.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


# -- the machine -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """``nproc``, the CPU model from /proc/cpuinfo, memory, and the Python and server-stack versions."""
    model = "unknown"
    with contextlib.suppress(OSError):  # no /proc: not Linux
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):  # no /proc: not Linux
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        if found:
            memory = f"{int(found.group(1)) / 1024 / 1024:.0f} GiB"
    from importlib.metadata import version

    stack = ", ".join(f"{name} {version(name)}" for name in ("uvicorn", "starlette", "orjson", "h11"))
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "memory": memory,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "stack": stack,
    }


def print_machine() -> None:
    info = machine()
    print(f"machine: nproc {info['nproc']}, {info['cpu']}, {info['memory']}, {info['python']}")
    print(f"stack:   {info['stack']}")


# -- a zohosim serve subprocess ----------------------------------------------------------------


@dataclass
class Served:
    """A running ``zohosim serve``; ``kill()`` is ``kill -9``."""

    process: subprocess.Popen[str]
    base_url: str
    banner: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def credentials(self, tenant: str = "t1") -> dict[str, Any]:
        reply = httpx.get(f"{self.base_url}/__zohosim/tenants/{tenant}", timeout=30)
        reply.raise_for_status()
        return reply.json()

    def token(self, tenant: str = "t1") -> str:
        return access_token(self.base_url, self.credentials(tenant))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        if self.process.stdout:
            self.process.stdout.close()

    def kill(self) -> None:
        """``kill -9``: no shutdown handler runs, nothing is flushed."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        if self.process.stdout:
            self.process.stdout.close()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def serve(*args: str, timeout: float = 600, command: Sequence[str] | None = None) -> Served:
    """Start ``zohosim serve --port 0 ARGS`` and wait (up to ``timeout`` s) for its ready line."""
    argv = [*(command or [sys.executable, "-m", "simulator", "serve"]), "--host", HOST, "--port", "0", *args]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, bufsize=1
    )
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip("\n"))
        match = re.match(r"^(?:zohosim|ceiling) ready at (\S+)", line)
        if match:
            return Served(process, match.group(1), seen)
    process.kill()
    process.wait()
    raise RuntimeError(f"{' '.join(argv)} did not start:\n" + "\n".join(seen))


def access_token(base_url: str, creds: dict[str, Any]) -> str:
    reply = httpx.post(
        f"{base_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "refresh_token": creds["refresh_token"],
        },
        timeout=30,
    )
    reply.raise_for_status()
    return reply.json()["access_token"]


# -- wrk ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int

    def row(self) -> str:
        errors = f", {self.non_2xx} non-2xx" if self.non_2xx else ""
        errors += f", {self.socket_errors} socket errors" if self.socket_errors else ""
        return (
            f"{self.requests_per_s:9,.0f} req/s  p50 {self.p50_ms:7.2f} ms  p99 {self.p99_ms:7.2f} ms{errors}"
        )


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    threads: int = 2,
    connections: int = 16,
    seconds: int = 10,
) -> WrkResult:
    """Run ``wrk -tT -cC -dDs --latency`` against ``url`` and parse its report."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*argv, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout

    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if match is None:
            raise RuntimeError(f"no {percent}% latency in wrk's output:\n{out}")
        return float(match.group(1)) * _UNITS_MS[match.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if rps is None or count is None:
        raise RuntimeError(f"cannot parse wrk's output:\n{out}")
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        requests=int(count.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
