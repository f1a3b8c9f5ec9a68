"""pytest plugin (entry point ``pytest11``): run the conformance suites against your syncer.

    pytest --zohosim-syncer=mypkg.sync:factory [--zohosim-profile quick|thorough]
    pytest --zohosim-syncer-cmd="node my-sync.js"
    pytest --zohosim-syncer=mypkg.sync:factory --zohosim-replay=.zohosim-conform/failures/X.json

With either option, pytest collects ``conformance/suite_tests.py``: a test per invariant group,
each parametrized by module sync, each a Hypothesis test over scenarios. Given no test paths,
only the suites run; given paths, the suites run alongside them. Without the options the plugin
does nothing. Under pytest-xdist (``-n N``) each worker opens its own harness.

As with ``zohosim conform``, a whole profile (no ``--zohosim-groups``/``--zohosim-kinds``, every
suite test run) that passes must have exercised every invariant its groups check: one that no
scenario reached fails the session, named in the summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SUITE_FILE = Path(__file__).with_name("suite_tests.py")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zohosim-conformance", "zohosim conformance suites")
    group.addoption(
        "--zohosim-syncer", metavar="MODULE:FACTORY", help="run the suites against this Python syncer"
    )
    group.addoption("--zohosim-syncer-cmd", metavar="CMD", help="run the suites against this command")
    group.addoption(
        "--zohosim-syncer-daemon", metavar="CMD", help="run the suites against this long-running syncer"
    )
    group.addoption(
        "--zohosim-settle-polls",
        type=int,
        default=20,
        help="daemon route: quiet polls (50 ms apart) that count as quiescence for a daemon that never "
        "reports idle",
    )
    group.addoption("--zohosim-profile", default="quick", help="quick (default), thorough or ci")
    group.addoption("--zohosim-scenario-seed", type=int, default=None, help="draw scenarios from this seed")
    group.addoption("--zohosim-replay", metavar="FILE", help="run one saved scenario (a failure file)")
    group.addoption("--zohosim-groups", metavar="G,..", help="only these invariant groups")
    group.addoption("--zohosim-kinds", metavar="K,..", help="only these module syncs")
    group.addoption(
        "--zohosim-served", action="store_true", help="Python route: serve on 127.0.0.1, not in-process"
    )
    group.addoption(
        "--zohosim-out", default=".zohosim-conform", help="the work dir: saved failures, Hypothesis's cache"
    )
    group.addoption(
        "--zohosim-timeout", type=float, default=120.0, help="seconds one command run may take (default 120)"
    )


def _enabled(config: pytest.Config) -> bool:
    options = ("--zohosim-syncer", "--zohosim-syncer-cmd", "--zohosim-syncer-daemon")
    return any(config.getoption(option) for option in options)


def pytest_configure(config: pytest.Config) -> None:
    if not _enabled(config):
        return
    python = config.getoption("--zohosim-syncer")
    if python:  # a bad factory is one usage error, not an error per test
        from conformance.adapters import load_factory

        try:
            load_factory(python, search=(config.rootpath,))
        except (ValueError, ImportError, AttributeError) as error:
            raise pytest.UsageError(f"--zohosim-syncer: {error}") from error
    from_args = getattr(config, "args_source", None) == pytest.Config.ArgsSource.ARGS
    if from_args:
        config.args.append(str(SUITE_FILE))
    else:
        config.args[:] = [str(SUITE_FILE)]
    if not hasattr(config, "workerinput"):  # under xdist, the controller sees every worker's reports
        config.pluginmanager.register(WholeProfile(config), "zohosim-whole-profile")


@dataclass
class Conformance:
    """What the suite tests need: the harness, the profile, and how to say "replay this"."""

    harness: Any
    profile: Any
    syncer_python: str | None
    syncer_cmd: str | None
    syncer_daemon: str | None
    out: Path
    replay: str | None


@pytest.fixture(scope="session")
def zohosim_conformance(request: pytest.FixtureRequest) -> Iterator[Conformance]:
    from hypothesis.configuration import set_hypothesis_home_dir

    from conformance.adapters import adapter_for
    from conformance.daemon import DaemonAdapter
    from conformance.profiles import get_profile
    from conformance.session import open_harness

    config = request.config
    python, cmd = config.getoption("--zohosim-syncer"), config.getoption("--zohosim-syncer-cmd")
    daemon = config.getoption("--zohosim-syncer-daemon")
    if not (python or cmd or daemon):
        pytest.skip(
            "give --zohosim-syncer=MODULE:FACTORY, --zohosim-syncer-cmd=CMD or --zohosim-syncer-daemon=CMD"
        )
    timeout = config.getoption("--zohosim-timeout")
    adapter = (
        DaemonAdapter(daemon, timeout=timeout, settle_polls=config.getoption("--zohosim-settle-polls"))
        if daemon
        else adapter_for(cmd=cmd, python=python, timeout=timeout, search=(config.rootpath,))
    )
    profile = get_profile(
        config.getoption("--zohosim-profile"), seed=config.getoption("--zohosim-scenario-seed")
    )
    served = bool(cmd or daemon) or config.getoption("--zohosim-served")
    out = Path(config.getoption("--zohosim-out"))
    set_hypothesis_home_dir(out / "hypothesis")  # the suites' cache in the work dir, as the CLI's
    try:
        with open_harness(adapter, served=served) as harness:
            replay = config.getoption("--zohosim-replay")
            yield Conformance(harness, profile, python, cmd, daemon, out, replay)
    finally:
        set_hypothesis_home_dir(None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "zohosim_kind" not in metafunc.fixturenames:
        return
    from conformance.suite import KINDS

    raw = metafunc.config.getoption("--zohosim-kinds")
    kinds = [k.strip() for k in raw.split(",")] if raw else list(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise pytest.UsageError(f"--zohosim-kinds: unknown {unknown}: choose from {', '.join(KINDS)}")
    metafunc.parametrize("zohosim_kind", kinds)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _enabled(config):
        return
    raw = config.getoption("--zohosim-groups")
    replaying = bool(config.getoption("--zohosim-replay"))
    groups = {g.strip() for g in raw.split(",")} if raw else None
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if Path(str(item.path)) != SUITE_FILE:
            kept.append(item)
            continue
        group = item.originalname.removeprefix("test_") if isinstance(item, pytest.Function) else ""
        wanted = group == "replay" if replaying else group != "replay" and (groups is None or group in groups)
        (kept if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


#: The name under which a passing suite test records what it exercised (``record_property``).
EXERCISED = "zohosim_exercised"


def unexercised(passed: Mapping[tuple[str, str], Iterable[str]], *, groups: Iterable[str]) -> list[str]:
    """The invariants of ``groups`` that no passing suite test exercised, when every group ran on
    every module sync and passed (``passed``: (group, kind) -> invariants exercised); else none."""
    from conformance.invariants import INVARIANTS
    from conformance.runner import GROUPS
    from conformance.suite import KINDS

    groups = list(groups)
    if set(passed) != {(group, kind) for group in groups for kind in KINDS}:
        return []
    meant = {i for group in groups for i in GROUPS[group].invariants}
    exercised = {i for found in passed.values() for i in found}
    return [i for i in INVARIANTS if i in meant and i not in exercised]


class WholeProfile:
    """The CLI's rule under pytest: a green whole profile has checked every invariant."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.passed: dict[tuple[str, str], list[str]] = {}
        self.missing: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.passed:
            for name, value in report.user_properties:
                if name == EXERCISED and isinstance(value, dict):
                    self.passed[(value["group"], value["kind"])] = value["invariants"]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from conformance.runner import GROUPS

        config = self.config
        if any(config.getoption(o) for o in ("--zohosim-groups", "--zohosim-kinds", "--zohosim-replay")):
            return
        daemon = bool(config.getoption("--zohosim-syncer-daemon"))
        groups = [g for g in GROUPS if daemon or g != "eventual"]
        self.missing = unexercised(self.passed, groups=groups)
        if self.missing and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.missing:
            terminalreporter.write_line(
                f"zohosim conformance FAILED: no scenario exercised {', '.join(self.missing)}: the "
                "profile checked nothing for them (a green run must check every invariant); "
                "try --zohosim-profile thorough or another --zohosim-scenario-seed",
                red=True,
            )
