"""``zohosim conform``: validate a CRM <-> Books syncer against the sync contract (docs/contract.md).

    zohosim conform --syncer-cmd "node my-sync.js" --junit report.xml
    zohosim conform --syncer-python mypkg.sync:factory --profile thorough
    zohosim conform --replay .zohosim-conform/failures/OVERWRITE-REPLACES-....json --syncer-cmd "..."
    zohosim conform --contract | --config-schema

The simulator runs in this process, in a thread, on 127.0.0.1; each scenario gets a fresh tenant.
Everything the harness writes (each world's files, saved failures, Hypothesis's cache) goes under
one work directory, ``--work-dir`` (default ``.zohosim-conform``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.adapters import adapter_for
from conformance.daemon import DaemonAdapter
from conformance.profiles import PROFILES, get_profile
from conformance.progress import Progress
from conformance.published import config_schema_text, contract_text
from conformance.report import (
    failure_report,
    junit_xml,
    replay_commands,
    save_failure,
    summary_text,
    unexercised,
)
from conformance.runner import GROUPS
from conformance.scenarios import Scenario
from conformance.session import describe_runs, open_harness
from conformance.suite import KINDS, run_suite

#: After a failure, run the same group and module sync again with the failing ids set aside, to
#: find other invariants it breaks (at most this many more times).
EXTRA_ROUNDS = 2


def add_parser(commands: Any) -> None:
    conform = commands.add_parser(
        "conform",
        help="check a CRM <-> Books syncer against the sync contract (zohosim conform --contract)",
        description="Run the property-based conformance suites against a syncer: a command (any language) "
        "or a Python factory. The simulator starts in this process on 127.0.0.1.",
    )
    who = conform.add_mutually_exclusive_group()
    who.add_argument(
        "--syncer-cmd", metavar="CMD", help='a shell command that runs one sync, e.g. "node sync.js"'
    )
    who.add_argument(
        "--syncer-python",
        metavar="MODULE:FACTORY",
        help="a factory of objects with run(endpoints), imported from the working directory first",
    )
    who.add_argument("--contract", action="store_true", help="print the sync contract (Markdown) and exit")
    who.add_argument(
        "--config-schema",
        action="store_true",
        help="print the JSON Schema of the configuration a syncer gets in ZOHOSIM_CONFIG, and exit",
    )
    who.add_argument(
        "--syncer-daemon",
        metavar="CMD",
        help="a long-running syncer, started once per world, woken by notifications (docs/daemon-route.md)",
    )
    conform.add_argument("--profile", choices=sorted(PROFILES), default="quick", help="default: quick")
    conform.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    conform.add_argument(
        "--replay", metavar="FILE_OR_JSON", help="run one saved scenario (a failure file or JSON)"
    )
    conform.add_argument("--groups", metavar="G,..", help=f"only these groups ({', '.join(GROUPS)})")
    conform.add_argument("--kinds", metavar="K,..", help=f"only these module syncs ({', '.join(KINDS)})")
    conform.add_argument("--seed", type=int, help="draw scenarios from this seed (repeat a thorough run)")
    conform.add_argument("--timeout", type=float, default=120.0, help="seconds one command run may take")
    conform.add_argument(
        "--settle-polls",
        type=int,
        default=20,
        metavar="N",
        help="daemon route: polls (50 ms apart) with no new request that count as quiet, for a daemon that "
        "never reports idle; raise it on a slow machine (default: 20)",
    )
    conform.add_argument(
        "--work-dir",
        "--out",
        dest="work_dir",
        type=Path,
        default=Path(".zohosim-conform"),
        help="the one folder the harness writes to: worlds' files, failures/, Hypothesis's cache "
        "(default .zohosim-conform)",
    )
    conform.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run the suites in N processes, through pytest-xdist (default 1: in this process)",
    )
    conform.set_defaults(run=run_command)


def _pick(raw: str | None, known: Any, what: str) -> list[str]:
    if not raw:
        return list(known)
    chosen = [x.strip() for x in raw.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in known]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}: choose from {', '.join(known)}")
    return chosen


def run_command(args: argparse.Namespace) -> int:
    if args.contract or args.config_schema:
        print(contract_text() if args.contract else config_schema_text(), end="")
        return 0
    if not (args.syncer_cmd or args.syncer_python or args.syncer_daemon):
        print(
            "zohosim conform: give the syncer: --syncer-cmd 'CMD' (any language), "
            "--syncer-python MODULE:FACTORY or --syncer-daemon 'CMD'",
            file=sys.stderr,
        )
        return 2
    if args.settle_polls < 1:
        print("zohosim conform: --settle-polls must be 1 or more", file=sys.stderr)
        return 2
    try:
        if args.syncer_daemon:
            adapter: Any = DaemonAdapter(
                args.syncer_daemon, timeout=args.timeout, settle_polls=args.settle_polls
            )
        else:
            adapter = adapter_for(cmd=args.syncer_cmd, python=args.syncer_python, timeout=args.timeout)
        profile = get_profile(args.profile, seed=args.seed)
        # EVENTUAL needs notifications to drop: only a daemon is woken by them
        routed = GROUPS if args.syncer_daemon else {g: v for g, v in GROUPS.items() if g != "eventual"}
        groups = _pick(args.groups, routed, "groups")
        kinds = _pick(args.kinds, KINDS, "module syncs")
    except (ValueError, ImportError, AttributeError) as error:
        print(f"zohosim conform: {error}", file=sys.stderr)
        return 2
    if args.workers > 1 and not args.replay:
        from conformance.workers import run_with_workers

        return run_with_workers(args)
    with _work_dir(args.work_dir) as workroot:
        if args.replay:
            return _replay(args, adapter, groups, workroot)
        return _run(args, adapter, profile, groups, kinds, workroot)


def _run(
    args: argparse.Namespace, adapter: Any, profile: Any, groups: list[str], kinds: list[str], workroot: Path
) -> int:
    started = time.perf_counter()
    results: list[Any] = []
    reports: dict[tuple[str, str], str] = {}
    progress = Progress(suites=len(groups) * len(kinds))
    with open_harness(adapter, served=True, workroot=workroot) as harness:
        for group in groups:
            for kind in kinds:
                ignored: list[str] = []
                for round_ in range(1 + EXTRA_ROUNDS):
                    again = f" (again, setting aside {', '.join(ignored)})" if round_ else ""
                    if round_:
                        progress.suites += 1
                    total, aside = profile.examples[group], tuple(ignored)
                    with progress.suite(group, kind, total=total, note=again, ignore=aside) as tick:
                        result = run_suite(harness, group, kind, profile, ignore=ignored, on_outcome=tick)
                    result.ignored = tuple(ignored)
                    results.append(result)
                    _progress(result, ignored)
                    if result.failure is None:
                        break
                    text = _report(args, result, ignored)
                    reports[(group, kind)] = reports.get((group, kind), "") + text + "\n"
                    print(text, flush=True)
                    ignored += sorted({v.invariant for v in result.failure.failed(tuple(ignored))})
                    if set(GROUPS[group].invariants) <= set(ignored):
                        break  # nothing left to check
    seconds = time.perf_counter() - started
    narrowed = (
        " and ".join(f"--{o} {getattr(args, o)}" for o in ("groups", "kinds") if getattr(args, o)) or None
    )
    print(
        summary_text(results, seconds=seconds, syncer=adapter.name, profile=profile.name, narrowed=narrowed)
    )
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(
            junit_xml(results, reports, seconds=seconds, narrowed=narrowed), encoding="utf-8"
        )
        print(f"JUnit XML: {args.junit}")
    failed = any(r.failure is not None or r.error is not None for r in results)
    # A whole profile that left an invariant unchecked is not a pass (the summary says which).
    return 1 if failed or (narrowed is None and unexercised(results)) else 0


def _progress(result: Any, ignored: list[str]) -> None:
    state = "pass" if result.passed else ("FAIL" if result.failure else "ERROR")
    again = f" (again, setting aside {', '.join(ignored)})" if ignored else ""
    print(
        f"{result.group:<10} {result.kind:<44} {result.examples:>4} scenarios  {state:<5} "
        f"{result.seconds:6.1f} s{again}",
        flush=True,
    )


def _report(args: argparse.Namespace, result: Any, ignored: list[str]) -> str:
    syncer = args.syncer_cmd or args.syncer_python or args.syncer_daemon
    saved = save_failure(
        result.failure, args.work_dir / "failures", kind=result.kind, syncer=syncer, ignore=ignored
    )
    commands = replay_commands(
        saved, syncer_cmd=args.syncer_cmd, syncer_python=args.syncer_python, syncer_daemon=args.syncer_daemon
    )
    return failure_report(result.failure, kind=result.kind, saved=saved, replay=commands, ignore=ignored)


#: What an unreadable replay raises: a missing file, bad JSON, or a document that is not a scenario.
REPLAY_ERRORS = (OSError, ValueError, KeyError, TypeError)


def load_replay(raw: str) -> tuple[str | None, str, Scenario]:
    """A failure file (or its JSON text), or a bare scenario: (group, module sync, scenario)."""
    text = raw if raw.lstrip().startswith("{") else Path(raw).read_text(encoding="utf-8")
    document = json.loads(text)
    if "scenario" in document:
        return document.get("group"), document.get("kind", "?"), Scenario.from_json(document["scenario"])
    return None, "?", Scenario.from_json(document)


@contextmanager
def _work_dir(work_dir: Path) -> Iterator[Path]:
    """The worlds' folder in the work directory, emptied of an earlier run's (a stale state file
    would mislead a syncer; saved failures stay), with Hypothesis's cache pointed there too while
    the harness runs (no ``.hypothesis/`` in the caller's folder)."""
    from hypothesis.configuration import set_hypothesis_home_dir

    workroot = work_dir / "worlds"
    shutil.rmtree(workroot, ignore_errors=True)
    set_hypothesis_home_dir(work_dir / "hypothesis")
    try:
        yield workroot
    finally:
        set_hypothesis_home_dir(None)


def _replay(args: argparse.Namespace, adapter: Any, groups: list[str], workroot: Path) -> int:
    try:
        group, kind, scenario = load_replay(args.replay)
    except REPLAY_ERRORS as error:
        print(f"zohosim conform: --replay: cannot read the scenario: {error}", file=sys.stderr)
        return 2
    group = group or (groups[0] if args.groups else "lifecycle")
    from conformance.suite import replay
    from conformance.world import ScenarioError

    with open_harness(adapter, served=True, workroot=workroot) as harness:
        try:
            outcome = replay(harness, group, scenario)
        except ScenarioError as error:
            print(
                f"zohosim conform: --replay: the scenario cannot be built ({error}); "
                "fix the file, or replay one that the harness saved",
                file=sys.stderr,
            )
            return 2
    if outcome.failed():
        print(failure_report(outcome, kind=kind, max_violations=20))
        return 1
    print(f"zohosim conform: the scenario passes (group {group}): {scenario.describe()}")
    print("Runs: " + "; ".join(describe_runs(outcome)))
    return 0
