"""``zohosim sync --config sync.toml [--now | --later | --every 2h]``.

Run by a conformance harness, it needs no flag: the configuration is ``$ZOHOSIM_CONFIG``, and the
connection and state directory come from the other ``ZOHOSIM_*`` variables.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from syncer.config import ConfigError, Connection, load_config, parse_duration, with_environment

_FIX = {
    "connection": "check [connection] in the config, or start the simulator with `zohosim serve`",
    "environment": "set the ZOHOSIM_* connection variables together, or unset them",
}


def add_parser(commands: Any) -> None:
    sync = commands.add_parser(
        "sync",
        help="run the reference CRM <-> Books syncer",
        description="Run the module syncs of a configuration against the simulator (default) or real Zoho.",
    )
    sync.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("ZOHOSIM_CONFIG") or None,
        help="a TOML or JSON sync configuration (default: $ZOHOSIM_CONFIG)",
    )
    when = sync.add_mutually_exclusive_group()
    when.add_argument("--now", dest="when", action="store_const", const="now", help="run once, now (default)")
    when.add_argument(
        "--later",
        dest="when",
        action="store_const",
        const="later",
        help="first run at the next tick, then repeat",
    )
    when.add_argument("--every", metavar="INTERVAL", help="run now, then every INTERVAL (e.g. 2h, 30m)")
    sync.add_argument(
        "--runs", type=int, default=None, metavar="N", help="with --later/--every: stop after N runs"
    )
    sync.add_argument(
        "--report", type=Path, default=None, metavar="FILE", help="write the full report as JSON"
    )
    sync.add_argument(
        "--base-url",
        metavar="URL",
        help="use the simulator at URL (overrides the URLs of [connection] and ZOHOSIM_*_URL; "
        "credentials given there are kept)",
    )
    sync.add_argument("--quiet", action="store_true", help="no progress bar")
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="read both sides and print the plan (one row per action, with its request); write nothing "
        "(with --report, the plan as JSON)",
    )
    sync.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the sync state (one file per CRM/Books org pair) in DIR instead of beside the config",
    )
    sync.set_defaults(run=run_command)


def run_command(args: argparse.Namespace) -> int:
    from syncer.clients import WallClock
    from syncer.run import run_sync
    from syncer.schedule import Scheduler, with_schedule

    if args.config is None:
        print("zohosim sync: give --config FILE (or set ZOHOSIM_CONFIG)", file=sys.stderr)
        return 2
    try:
        config = with_environment(load_config(args.config), os.environ)
        if args.base_url:
            given = config.connection
            connection = replace(Connection.local(args.base_url, **given.credentials), tenant=given.tenant)
            config = replace(config, connection=connection)
        if args.state_dir:
            config = replace(config, state_path=args.state_dir / config.state_path.name)
        interval = parse_duration(args.every) if args.every else None
    except ConfigError as error:
        return _fail(error)
    when = args.when or ("now" if args.every else None)
    repeating = bool(args.every) or when == "later"
    if args.dry_run:
        if repeating:
            print("zohosim sync: --dry-run plans one run now\n  fix: drop --later/--every", file=sys.stderr)
            return 2
        return _dry_run(config, args)
    config = with_schedule(config, schedule=when, interval=interval)
    reports = []

    def run_once(subset: Any) -> Any:
        with _Progress(enabled=not args.quiet) as progress:
            report = run_sync(subset, clock=_waits(), report=progress.report(), status=progress.status)
        print(report.table(), end="")
        reports.append(report)
        if args.report:
            _write_report(args.report, reports)
        return report

    try:
        if not repeating:
            run_once(config)
        else:
            scheduler = Scheduler(config=config, clock=WallClock(), run=run_once, say=print)
            count = args.runs if args.runs is not None else sys.maxsize
            for _ in range(count):
                scheduler.tick()
    except ConfigError as error:
        return _fail(error)
    except KeyboardInterrupt:
        print("zohosim sync: stopped", file=sys.stderr)
        return 130
    except Exception as error:  # a network or API failure: say what, not a traceback
        from syncer.clients import ZohoClientError

        if isinstance(error, ZohoClientError):
            print(f"zohosim sync: {error}", file=sys.stderr)
            return 1
        raise
    return 1 if any(r.failed for r in reports) else 0


def _dry_run(config: Any, args: argparse.Namespace) -> int:
    from syncer.clients import ZohoClientError
    from syncer.dryrun import plan_json, plan_table
    from syncer.run import plan_sync

    try:
        with _Progress(enabled=not args.quiet) as progress:
            plan = plan_sync(config, clock=_waits(), status=progress.status)
    except ConfigError as error:
        return _fail(error)
    except ZohoClientError as error:
        print(f"zohosim sync: {error}", file=sys.stderr)
        return 1
    print(plan_table(plan), end="")
    if args.report:
        args.report.write_text(json.dumps(plan_json(plan), indent=2), encoding="utf-8")
    return 0


def _waits() -> Any:
    """Under a conformance harness (``ZOHOSIM_CONTROL_URL`` set), a wait (a 429's Retry-After, a
    backoff) moves the simulator's virtual clock instead of sleeping; otherwise real time."""
    from syncer.clients import SimulatorClock, WallClock

    control_url = os.environ.get("ZOHOSIM_CONTROL_URL")
    if not control_url:
        return WallClock()
    import httpx

    from simulator.control.client import ControlClient

    return SimulatorClock(ControlClient(httpx.Client(base_url=control_url, timeout=30), prefix=""))


def _fail(error: ConfigError) -> int:
    fix = _FIX.get(error.where.split(".")[0], "correct that setting in the config file")
    print(f"zohosim sync: {error}\n  fix: {fix}", file=sys.stderr)
    return 2


def _write_report(path: Path, reports: list[Any]) -> None:
    document = reports[-1].to_json() if len(reports) == 1 else {"runs": [r.to_json() for r in reports]}
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


class _Progress:
    """A progress display that counts records as the report fills in."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

            self._bar = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()
            )
            self._bar.start()
            self._task = self._bar.add_task("syncing", total=None)
        return self

    def report(self) -> Any:
        from syncer.report import Report

        def on_row(row: Any) -> None:
            if self._bar is not None:
                self._bar.update(self._task, advance=1, description=f"{row.sync}: {row.action.value}")

        return Report(on_row=on_row)

    def status(self, text: str) -> None:
        """A wait or a retry, as it happens: on the progress line, or a line of its own."""
        if self._bar is not None:
            self._bar.update(self._task, description=text)
        else:
            print(f"zohosim sync: {text}", file=sys.stderr, flush=True)

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.stop()
