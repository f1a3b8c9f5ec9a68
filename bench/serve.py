"""Serving speed: requests/s and p50/p99 latency of two 200-record pages, against the ceiling of
this server stack.

The simulator: ``zohosim serve`` (one uvicorn process, clock frozen so that every reply is
byte-identical), answering

  * ``GET /crm/v8/Accounts?fields=<the syncer's 15 Accounts fields>&per_page=200``
  * ``GET /books/v3/contacts?organization_id=…&per_page=200``

The ceiling: ``bench/ceiling.py``, a bare Starlette app under the same uvicorn configuration that
answers the same paths with the simulator's own reply (body and headers) serialised beforehand.
The ratio simulator/ceiling is the share of the stack's capacity left after the simulator's own
work (auth, scopes, gate, log, query, rendering, JSON).

Load: ``wrk -t2 -c16 -d10s --latency`` with the Authorization header, on 127.0.0.1; a 2-second
warm-up per target, then ``--rounds`` interleaved rounds (simulator, ceiling, …); the median
round is reported.

Run: python bench/serve.py [--seconds 10] [--rounds 3] [--connections 16] [--threads 2]
     python bench/serve.py --profile py-spy   # also write a py-spy flame graph of the simulator
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import WrkResult, median, print_machine, serve, wrk

ACCOUNT_FIELDS = (
    "Account_Name,Website,Phone,Billing_Street,Billing_City,Billing_State,Billing_Code,Billing_Country,"
    "Shipping_Street,Shipping_City,Shipping_State,Shipping_Code,Shipping_Country,Owner,Modified_Time"
)
_HOP_HEADERS = {"date", "server", "content-length", "transfer-encoding", "connection"}


def _targets(books_org: str) -> dict[str, tuple[str, str]]:
    return {
        "CRM Accounts, 200/page": ("/crm/v8/Accounts", f"fields={ACCOUNT_FIELDS}&per_page=200"),
        "Books contacts, 200/page": ("/books/v3/contacts", f"organization_id={books_org}&per_page=200"),
    }


def _capture(base_url: str, token: str, targets: dict[str, tuple[str, str]], folder: Path) -> dict[str, Any]:
    """Fetch each page twice (it must not change), check it holds 200 records, keep bytes and headers."""
    capture: dict[str, Any] = {}
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for n, (path, query) in enumerate(targets.values()):
            first, second = (client.get(f"{path}?{query}", headers=headers) for _ in range(2))
            first.raise_for_status()
            if first.content != second.content:
                raise SystemExit(f"{path} is not byte-stable between two requests: is the clock frozen?")
            rows = first.json().get("data") or first.json().get("contacts") or []
            if len(rows) != 200:
                raise SystemExit(f"{path} returned {len(rows)} records, not 200: seed a larger org")
            body_file = folder / f"body{n}.json"
            body_file.write_bytes(first.content)
            kept = [[k, v] for k, v in first.headers.multi_items() if k.lower() not in _HOP_HEADERS]
            capture[path] = {"body_file": str(body_file), "headers": kept, "bytes": len(first.content)}
    return capture


def _check_ceiling(base_url: str, capture: dict[str, Any], targets: dict[str, tuple[str, str]]) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for path, query in targets.values():
            reply = client.get(f"{path}?{query}")
            expected = Path(capture[path]["body_file"]).read_bytes()
            assert reply.content == expected, f"the ceiling's {path} differs from the simulator's"


def _profile(pid: int, url: str, headers: dict[str, str], seconds: int, out: Path) -> None:
    """Sample the simulator with py-spy while wrk loads it; write a flame graph and a flat table."""
    if shutil.which("py-spy") is None and not (Path(sys.executable).parent / "py-spy").exists():
        raise SystemExit("py-spy is not installed: pip install py-spy")
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raw = out.with_suffix(".txt")
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--duration",
            str(seconds + 1),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wrk(url, headers=headers, seconds=seconds)
    recorder.wait(timeout=seconds + 60)
    print(f"  py-spy samples: {raw}")
    _flat_profile(raw)


def _flat_profile(raw: Path, top: int = 25) -> None:
    """Self time and inclusive time per function, from py-spy's collapsed stacks."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
    print(f"  {'self %':>7} {'incl %':>7}  function (of {total} samples)")
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * n / total:7.1f} {100 * inclusive[frame] / total:7.1f}  {frame[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--profile", choices=("py-spy",), default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    print_machine()
    load_before = _load_average()
    load = {"threads": args.threads, "connections": args.connections, "seconds": args.seconds}
    print(
        f"load:    wrk -t{args.threads} -c{args.connections} -d{args.seconds}s --latency, "
        f"median of {args.rounds} interleaved rounds"
    )
    folder = Path(tempfile.mkdtemp(prefix="zohosim-bench-"))
    size = ("--accounts", str(args.accounts), "--contacts", str(args.contacts))
    with serve("--clock", "frozen", "--seed", "42", *size) as sim:
        creds = sim.credentials()
        token = sim.token()
        targets = _targets(creds["books_organization_id"])
        capture = _capture(sim.base_url, token, targets, folder)
        capture_file = folder / "capture.json"
        capture_file.write_text(json.dumps(capture))
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        with serve(
            str(capture_file), command=[sys.executable, str(Path(__file__).with_name("ceiling.py"))]
        ) as top:
            _check_ceiling(top.base_url, capture, targets)
            runs: dict[str, dict[str, list[WrkResult]]] = {
                name: {"sim": [], "ceiling": []} for name in targets
            }
            for path, query in targets.values():  # warm-up
                wrk(
                    f"{sim.base_url}{path}?{query}",
                    headers=headers,
                    threads=args.threads,
                    connections=args.connections,
                    seconds=2,
                )
                wrk(
                    f"{top.base_url}{path}?{query}",
                    headers=headers,
                    threads=args.threads,
                    connections=args.connections,
                    seconds=2,
                )
            cpu: dict[str, dict[str, list[float]]] = {name: {"sim": [], "ceiling": []} for name in targets}
            for _ in range(args.rounds):
                for name, (path, query) in targets.items():
                    for which, served in (("sim", sim), ("ceiling", top)):
                        began = _cpu_seconds(served.pid)
                        result = wrk(f"{served.base_url}{path}?{query}", headers=headers, **load)
                        runs[name][which].append(result)
                        cpu[name][which].append((_cpu_seconds(served.pid) - began) / result.requests * 1e6)
            if args.profile:
                for name, (path, query) in targets.items():
                    print(f"\nprofile of the simulator, {name}:")
                    _profile(
                        sim.pid,
                        f"{sim.base_url}{path}?{query}",
                        headers,
                        args.seconds,
                        folder / f"profile-{path.strip('/').replace('/', '-')}.svg",
                    )
    results = _report(runs, capture, targets)
    _report_cpu(cpu, results)
    results["load_average"] = {"before": load_before, "after": _load_average()}
    print(f"load average (1, 5, 15 min): before {load_before}, after {results['load_average']['after']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _report_cpu(cpu: dict[str, dict[str, list[float]]], results: dict[str, Any]) -> None:
    """The server's CPU time per request: what other jobs on a shared machine move least.

    A server that is the bottleneck serves requests/s in inverse proportion to it, so the ratio
    ceiling/simulator of CPU per request is the throughput ratio the machine's noise hides."""
    print("\nserver CPU time per request (median of rounds)")
    for name, figures in cpu.items():
        ours, bare = median(figures["sim"]), median(figures["ceiling"])
        print(
            f"  {name}: simulator {ours:6.0f} µs, ceiling {bare:6.0f} µs, "
            f"ratio ceiling/simulator {bare / ours:.2f}"
        )
        results[name]["cpu_us_per_request"] = {"sim": figures["sim"], "ceiling": figures["ceiling"]}
        results[name]["cpu_ratio"] = bare / ours


def _load_average() -> list[float]:
    """The machine's load average: on a shared machine, how busy the other jobs kept it."""
    return [round(x, 2) for x in os.getloadavg()]


def _report(
    runs: dict[str, dict[str, list[WrkResult]]], capture: dict[str, Any], targets: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    print()
    for name, (path, _) in targets.items():
        figures = {}
        for which in ("sim", "ceiling"):
            rounds = runs[name][which]
            figures[which] = {
                "requests_per_s": median([r.requests_per_s for r in rounds]),
                "p50_ms": median([r.p50_ms for r in rounds]),
                "p99_ms": median([r.p99_ms for r in rounds]),
                "errors": sum(r.non_2xx + r.socket_errors for r in rounds),
            }
        sim, top = figures["sim"], figures["ceiling"]
        ratio = sim["requests_per_s"] / top["requests_per_s"]
        # each round's simulator run next to the ceiling's run of the same round
        paired = zip(runs[name]["sim"], runs[name]["ceiling"], strict=True)
        per_round = [ours.requests_per_s / bare.requests_per_s for ours, bare in paired]
        print(f"{name} ({capture[path]['bytes']:,} bytes per reply)")
        for label, f in (("simulator", sim), ("ceiling  ", top)):
            errors = f", {f['errors']} errors" if f["errors"] else ""
            print(
                f"  {label} {f['requests_per_s']:8,.0f} req/s   p50 {f['p50_ms']:6.2f} ms   "
                f"p99 {f['p99_ms']:6.2f} ms{errors}"
            )
        print(
            f"  ratio simulator/ceiling: throughput {ratio:.2f}, "
            f"p50 latency x{sim['p50_ms'] / top['p50_ms']:.2f}, "
            f"p99 latency x{sim['p99_ms'] / top['p99_ms']:.2f}"
        )
        print(
            "  ratio by round: "
            + ", ".join(f"{r:.2f}" for r in per_round)
            + f" (median {median(per_round):.2f}, best {max(per_round):.2f})"
        )
        results[name] = {
            **figures,
            "ratio": ratio,
            "ratio_by_round": per_round,
            "bytes": capture[path]["bytes"],
        }
    return results


if __name__ == "__main__":
    main()
