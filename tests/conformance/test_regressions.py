"""Scenarios on which the harness once found the reference syncer wrong (see
``conformance/findings/README.md``): each replays, through the group it failed in, and passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.adapters import PythonAdapter
from conformance.cli import load_replay
from conformance.report import failure_report
from conformance.session import Harness, open_harness
from conformance.suite import replay

FILES = sorted((Path(__file__).parent / "regressions").glob("*.json"))


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with open_harness(PythonAdapter("conformance.reference:factory")) as opened:
        yield opened


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_reference_passes_a_former_finding(harness: Harness, path: Path) -> None:
    group, kind, scenario = load_replay(str(path))
    assert group is not None
    outcome = replay(harness, group, scenario)
    assert outcome.failed() == [], failure_report(outcome, kind=kind)
