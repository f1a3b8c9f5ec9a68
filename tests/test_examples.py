"""The worked third-party syncers in ``examples/`` pass the conformance harness, each by its own
route; and a deliberately broken variant of the Node.js one is flagged, so these tests can fail.

The Node.js example needs ``node`` and its packages (``npm ci --prefix examples/node-vendors``).
Without them its tests skip locally and fail in CI (when ``CI`` is set). Each of its runs starts
a Node process that loads Zoho's SDK (seconds), so its tests are marked slow.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.adapters import CommandAdapter, PythonAdapter
from conformance.cli import load_replay
from conformance.profiles import get_profile
from conformance.report import failure_report
from conformance.runner import GROUPS
from conformance.scenarios import BooksSeed, CrmSeed, Scenario, SyncSpec
from conformance.session import Harness, open_harness
from conformance.suite import replay, run_suite

NODE_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "node-vendors"
#: Scenarios on which the harness once found an example wrong.
FINDINGS = Path(__file__).parent / "example_regressions"
NODE_FINDINGS = sorted(FINDINGS.glob("node-vendors-*.json"))
PYTHON_FINDINGS = sorted(FINDINGS.glob("python-httpx-*.json"))
NODE_SYNC = f"node {shlex.quote(str(NODE_EXAMPLE / 'sync.js'))}"
CI = get_profile("ci")


def _node_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (NODE_EXAMPLE / "node_modules" / "@zohocrm" / "nodejs-sdk-8.0").is_dir():
        return "the Node example's packages are not installed: npm ci --prefix examples/node-vendors"
    return None


@pytest.fixture(scope="module")
def node_route() -> Iterator[Harness]:
    missing = _node_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Node.js example: {missing}", pytrace=False)
        pytest.skip(missing)
    # The official SDK takes seconds to load on a busy machine: a generous timeout per run.
    with open_harness(CommandAdapter(NODE_SYNC, timeout=300)) as harness:
        yield harness


def _passes_every_group(harness: Harness, kind: str) -> Counter[str]:
    exercised: Counter[str] = Counter()
    for group in GROUPS:
        result = run_suite(harness, group, kind, CI)
        assert result.error is None, f"{group}/{kind}: {result.error!r}"
        if result.failure is not None:
            pytest.fail(failure_report(result.failure, kind=kind), pytrace=False)
        exercised.update(result.exercised)
    return exercised


def test_the_python_httpx_example_passes_every_group() -> None:
    with open_harness(PythonAdapter("examples.python_httpx.sync:factory")) as harness:
        exercised = _passes_every_group(harness, "customers-accounts")
    assert {"FAULT-TOLERANT", "RESUMABLE", "IDEMPOTENT", "NO-CRM-DUPLICATE"} <= set(exercised)


@pytest.mark.parametrize("path", PYTHON_FINDINGS, ids=[p.stem for p in PYTHON_FINDINGS])
def test_the_python_httpx_example_passes_a_former_finding(path: Path) -> None:
    group, kind, scenario = load_replay(str(path))
    assert group is not None
    with open_harness(PythonAdapter("examples.python_httpx.sync:factory")) as harness:
        outcome = replay(harness, group, scenario)
    assert outcome.failed() == [], failure_report(outcome, kind=kind)


@pytest.mark.slow
def test_the_node_example_passes_every_group(node_route: Harness) -> None:
    exercised = _passes_every_group(node_route, "vendors")
    assert {"FAULT-TOLERANT", "RESUMABLE", "IDEMPOTENT", "NO-CRM-DUPLICATE"} <= set(exercised)


# ---- directed scenarios: paging, and a create the run never heard back from ---------------------


def _vendor(n: int) -> CrmSeed:
    return CrmSeed(f"V{n}", "Vendors", {"Vendor_Name": f"Vendor {n:04d}", "City": "Basel"})


def _many_pages() -> Scenario:
    """Two pages on each side: 205 CRM vendors to fetch, 203 Books vendors to push."""
    books = [
        BooksSeed(f"b{n}", "vendor", {"contact_name": f"Books vendor {n:04d}", "contact_type": "vendor"}, n)
        for n in range(203)
    ]
    return Scenario(
        sync=SyncSpec(module="vendors", extent="both_ways", duplicates="skip"),
        crm=[_vendor(n) for n in range(205)],
        books=books,
    )


def _killed_after_first_create() -> Scenario:
    """Clone mode, where a create made twice is visible: the first run dies after its first write."""
    return Scenario(
        sync=SyncSpec(module="vendors", extent="fetch_from_crm", duplicates="clone"),
        crm=[_vendor(n) for n in range(2)],
        kill_after=1,
    )


def _flagged(harness: Harness, group: str, scenario: Scenario) -> set[str]:
    outcome = replay(harness, group, scenario)
    return {violation.invariant for violation in outcome.failed()}


@pytest.mark.slow
def test_the_node_example_reads_every_page(node_route: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _flagged(node_route, "first_sync", _many_pages()) == set()
    monkeypatch.setenv("EXAMPLE_BREAK", "crm-last-page")
    assert "MODULE-SHAPE" in _flagged(node_route, "first_sync", _many_pages())  # vendors never fetched


@pytest.mark.slow
def test_the_node_example_adopts_what_a_killed_run_created(
    node_route: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _flagged(node_route, "resume", _killed_after_first_create()) == set()
    monkeypatch.setenv("EXAMPLE_BREAK", "forget-intents")
    assert "RESUMABLE" in _flagged(node_route, "resume", _killed_after_first_create())


@pytest.mark.slow
@pytest.mark.parametrize("path", NODE_FINDINGS, ids=[p.stem for p in NODE_FINDINGS])
def test_the_node_example_passes_a_former_finding(node_route: Harness, path: Path) -> None:
    group, kind, scenario = load_replay(str(path))
    assert group is not None
    outcome = replay(node_route, group, scenario)
    assert outcome.failed() == [], failure_report(outcome, kind=kind)


def test_the_python_example_passes_by_the_documented_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's words, verbatim, from the repository's root: no PYTHONPATH, no wrapper."""
    from simulator.cli import main

    monkeypatch.chdir(NODE_EXAMPLE.parent.parent)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    code = main([
        "conform", "--syncer-python", "examples.python_httpx.sync:factory", "--kinds", "customers-accounts",
        "--profile", "ci", "--work-dir", str(tmp_path / "work"),
    ])
    assert code == 0, capsys.readouterr().out[-3000:]
