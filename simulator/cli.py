"""The ``zohosim`` command."""

from __future__ import annotations

import argparse
import errno
import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.clock import DEFAULT_START, EARLIEST, LATEST, Clock, ClockRangeError, parse_datetime

if TYPE_CHECKING:
    from simulator.tenants import Simulator, Tenant

#: Subcommands other packages define: name -> the module whose ``add_parser`` adds it.
PLUGGED = {"sync": "syncer.cli", "conform": "conformance.cli"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(only=argv[0] if argv and argv[0] in ("serve", *PLUGGED) else None)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    return args.run(args)


def _parser(*, only: str | None = None) -> argparse.ArgumentParser:
    """Every subcommand, or ``only`` the one being run: a run imports what it needs and no more
    (``zohosim sync``, run once per sync by a conformance command route, skips the simulator's
    seeding and Hypothesis)."""
    parser = argparse.ArgumentParser(
        prog="zohosim",
        description="A local, stateful simulator of Zoho CRM and Zoho Books, with a reference syncer "
        "(sync) and a conformance harness for any syncer (conform).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands")
    if only in (None, "serve"):
        _add_serve(commands)
    for name, module in PLUGGED.items():
        if only in (None, name):
            importlib.import_module(module).add_parser(commands)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("zohosim")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _add_serve(commands: argparse._SubParsersAction) -> None:
    from simulator.books.editions import DEFAULT_EDITION, EDITIONS
    from simulator.tenants import Sizes

    serve = commands.add_parser("serve", help="run the simulator (accounts, CRM, Books and control plane)")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1); anything but loopback exposes every "
        "tenant's credentials through the control plane: pair it with --control-token",
    )
    serve.add_argument(
        "--control-token",
        default=None,
        metavar="TOKEN",
        help="the control plane (/__zohosim/) then answers only requests with 'Authorization: Bearer TOKEN'",
    )
    serve.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="the base URL clients reach the simulator by; token replies name it as api_domain "
        "(default: the URL each request came to)",
    )
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port (default 8765)")
    serve.add_argument("--seed", type=int, default=42, help="fully determines the seeded data (default 42)")
    defaults = Sizes()
    for name, what in (
        ("accounts", "CRM Accounts"),
        ("contacts", "CRM Contacts (about 30%% with no account)"),
        ("vendors", "CRM Vendors"),
        ("products", "CRM Products (each with a vendor)"),
    ):
        serve.add_argument(
            f"--{name}",
            type=_count,
            default=getattr(defaults, name),
            metavar="N",
            help=f"seed N {what} in the first tenant (default {getattr(defaults, name)})",
        )
    serve.add_argument(
        "--books-overlap",
        type=_fraction,
        default=defaults.books_overlap,
        metavar="F",
        help="fraction of CRM records with a same-named Books record (default 0.25)",
    )
    serve.add_argument(
        "--books-extra",
        type=_count,
        default=defaults.books_extra,
        metavar="N",
        help=f"seed N Books contacts and items that no CRM record matches (default {defaults.books_extra})",
    )
    serve.add_argument(
        "--books-edition",
        choices=EDITIONS,
        default=DEFAULT_EDITION,
        help=f"the Books org's edition (country): its records' tax fields (default {DEFAULT_EDITION})",
    )
    serve.add_argument(
        "--clock",
        choices=("wall", "frozen"),
        default="wall",
        help="wall: virtual time that ticks with real time (default); frozen: moves only when told",
    )
    serve.add_argument(
        "--clock-start",
        type=_datetime,
        default=None,
        metavar="ISO",
        help="where the virtual clock starts, e.g. 2026-01-15T09:00:00Z "
        "(default: now, or 2026-01-15T09:00:00Z with --clock frozen)",
    )
    serve.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep every org's state in DIR (SQLite); a restart resumes it. Default: in memory",
    )
    serve.add_argument(
        "--log-level",
        default="warning",
        choices=("critical", "error", "warning", "info", "debug"),
        help="how much the server logs to stderr (default warning)",
    )
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # imported here so that `zohosim --help` stays fast

    from simulator.app import create_app
    from simulator.gate import quiet_dropped_connections
    from simulator.http import listen
    from simulator.tenants import Simulator, Sizes, persist

    start = args.clock_start or (DEFAULT_START if args.clock == "frozen" else None)
    sim = Simulator(
        clock=Clock(start=start, frozen=args.clock == "frozen"),
        seed=args.seed,
        control_token=args.control_token,
        public_url=args.public_url,
    )
    if not _is_loopback(args.host):
        print(_exposed_warning(args.host, has_token=bool(args.control_token)), file=sys.stderr)
    sizes = Sizes(
        accounts=args.accounts,
        contacts=args.contacts,
        vendors=args.vendors,
        products=args.products,
        books_overlap=args.books_overlap,
        books_extra=args.books_extra,
    )
    began = time.perf_counter()
    try:
        resumed = args.data_dir is not None and _open_store(sim, args.data_dir)
    except _StoreProblem as exc:
        return _fail(str(exc))
    tenant = (
        next(iter(sim.tenants.values()))
        if resumed
        else sim.create_tenant(sizes=sizes, books_edition=args.books_edition)
    )
    persist(sim)
    sim.freeze_seeded = True  # from here on, every seeding (control plane) freezes what it made
    sim.freeze(collect=True)
    seeded_in = time.perf_counter() - began
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        return _fail(_bind_problem(exc, args.host, args.port))
    host, port = sock.getsockname()[:2]
    base_url = f"http://{host}:{port}"
    print(_banner(sim, tenant, base_url=base_url, seeded_in=seeded_in, resumed=resumed), flush=True)
    config = uvicorn.Config(create_app(sim), log_level=args.log_level, access_log=False, lifespan="off")
    quiet_dropped_connections()
    uvicorn.Server(config).run(sockets=[sock])
    return 0


class _StoreProblem(Exception):
    """``--data-dir`` can't be served from; the message names the fix."""


def _open_store(sim: Simulator, data_dir: Path) -> bool:
    """True when the data dir held state (it is resumed), False when it starts empty."""
    import sqlite3

    from simulator.store import Store
    from simulator.tenants import attach_store

    path = data_dir / "zohosim.sqlite3"
    if data_dir.exists() and not data_dir.is_dir():
        raise _StoreProblem(f"--data-dir {data_dir} is a file, not a folder: name a folder (it is created)")
    try:
        return attach_store(sim, Store(path)) and bool(sim.tenants)
    except ClockRangeError as exc:
        raise _StoreProblem(
            f"the store {path} holds a clock out of range ({exc}): start with another --data-dir"
        ) from None
    except OSError as exc:
        raise _StoreProblem(
            f"cannot use --data-dir {data_dir} ({exc.strerror or exc}): check its permissions"
        ) from None
    except sqlite3.Error as exc:
        raise _StoreProblem(
            f"the store {path} can't be opened or written ({exc}): it is not a zohosim store, is corrupt, "
            "or is read-only; move it aside or start with another --data-dir"
        ) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise _StoreProblem(
            f"the store {path} holds state this version can't read ({type(exc).__name__}: {exc}): "
            "start with another --data-dir"
        ) from None


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _exposed_warning(host: str, *, has_token: bool) -> str:
    warning = f"zohosim: warning: listening on {host}, not loopback: other machines can reach the simulator"
    if has_token:
        return warning + " (the control plane needs the --control-token)"
    return warning + "; /__zohosim/tenants hands every client secret to anyone: add --control-token TOKEN"


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use: pick another with --port, or --port 0 for a free one"
    return f"cannot listen on {host}:{port} ({exc.strerror}): check --host and --port"


def _banner(sim: Simulator, tenant: Tenant, *, base_url: str, seeded_in: float, resumed: bool) -> str:
    creds = tenant.credentials()
    sizes = tenant.sizes
    clock = "frozen" if sim.clock.frozen else "ticking with wall time"
    origin = f"resumed from {sim.store.path}" if resumed and sim.store else f"seeded in {seeded_in:.2f} s"
    token_cmd = (
        f"curl -s -X POST {base_url}/oauth/v2/token -d grant_type=refresh_token "
        f"-d client_id={creds['client_id']} -d client_secret={creds['client_secret']} "
        f"-d refresh_token={creds['refresh_token']}"
    )
    return "\n".join(
        [
            f"zohosim: Zoho CRM v8 + Books v3 + accounts, seed {sim.seed}",
            f"  tenant {tenant.tenant_id}: {sizes.accounts} accounts, {sizes.contacts} contacts, "
            f"{sizes.vendors} vendors, {sizes.products} products, {origin}",
            f"  base URL       {base_url}   (accounts /oauth/v2, CRM /crm/v8, Books /books/v3)",
            f"  console        {base_url}/   (open it in a browser)",
            f"  client id      {creds['client_id']}",
            f"  client secret  {creds['client_secret']}",
            f"  refresh token  {creds['refresh_token']}",
            f"  CRM org id     {creds['crm_org_id']}",
            f"  Books org id   {creds['books_organization_id']} ({creds['books_edition']} edition)",
            f"  clock          {sim.clock.now().isoformat()} ({clock}; POST /__zohosim/clock to move it)",
            "",
            "Get an access token:",
            f"  {token_cmd}",
            f"zohosim ready at {base_url}",
        ]
    )


def _fail(message: str) -> int:
    print(f"zohosim: {message}", file=sys.stderr)
    return 2


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: give 0 or more")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return value


def _datetime(text: str) -> object:
    try:
        when = parse_datetime(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 datetime, e.g. 2026-01-15T09:00:00Z"
        ) from None
    if not EARLIEST <= when <= LATEST:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range: {ClockRangeError()}")
    return when


if __name__ == "__main__":
    sys.exit(main())
