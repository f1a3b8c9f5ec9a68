"""Failure reports tell the truth: only the fields that differ, whole field names, a field found
equal never shown as missing, a failed run first, and a link to each invariant's section."""

from __future__ import annotations

import io
from pathlib import Path

from conformance.invariants import CheckReport
from conformance.observe import RecordDiff, RunOutcome, Violation
from conformance.progress import Progress
from conformance.report import failure_report, record_table, replay_commands
from conformance.scenarios import Scenario, SyncSpec
from conformance.session import Outcome


def _vendor(email: str, **fields: object) -> dict:
    person = {
        "contact_person_id": "9",
        "first_name": "Contact Person With A Long Name",
        "last_name": "Of Northwind Traders",
        "email": email,
        "is_primary_contact": True,
    }
    return {
        "contact_id": "1",
        "contact_name": "Northwind",
        "contact_type": "vendor",
        "contact_persons": [person],
        **fields,
    }


def test_a_new_record_shows_only_what_differs_from_the_expectation() -> None:
    expected = {
        "contact_name": "Northwind",
        "primary_contact.email": "v@example.com",
        "website": "https://n.example",
    }
    diff = RecordDiff(
        "Books vendor 'northwind'", None, _vendor("v@example.com", website="http://wrong"), expected
    )
    table = "\n".join(record_table(diff))
    assert "website" in table and "'http://wrong'" in table and "'https://n.example'" in table
    assert "primary_contact.email" not in table, "found equal: not a difference"
    assert "contact_name" not in table


def test_field_names_are_whole_and_a_mapped_person_field_reads_the_primary_person() -> None:
    expected = {"primary_contact.email": "right@example.com"}
    diff = RecordDiff("Books vendor 'northwind'", None, _vendor("wrong@example.com"), expected)
    rows = record_table(diff)[2:]
    assert [row.split()[0] for row in rows] == ["primary_contact.email"]
    assert "'wrong@example.com'" in rows[0] and "'right@example.com'" in rows[0]
    before, after = _vendor("a@example.com"), _vendor("b@example.com")
    changed = record_table(RecordDiff("Books vendor 'northwind'", before, after))
    name = "contact_persons[Contact Person With A Long Name Of Northwind Traders].email"
    assert len(changed) == 3 and changed[2].strip().startswith(f"{name} 'a@example.com'")


def test_a_failed_run_leads_and_the_rest_are_its_consequences() -> None:
    report = CheckReport()
    report.add("RUN-FAILED", (True, [Violation("RUN-FAILED", "the run failed: exit status 1\nboom", run=1)]))
    for invariant in ("NO-DELETE", "IDEMPOTENT"):
        report.add(
            invariant,
            (True, [Violation(invariant, "cannot pass: the run failed before its first write", run=1)]),
        )
    report.add(
        "MAPPED-EQUAL",
        (True, [Violation("MAPPED-EQUAL", "a pair disagrees", [RecordDiff("x", {"a": 1}, {"a": 2})], run=1)]),
    )
    outcome = Outcome("first_sync", Scenario(sync=SyncSpec("vendors", "both_ways", "skip")), report)
    outcome.runs.append(("run 1", RunOutcome(ok=False, error="exit status 1\nboom")))
    lines = failure_report(outcome, kind="vendors").splitlines()
    assert lines[0] == "SYNCER FAILED — group first_sync, module sync vendors"
    assert lines[1].startswith("RUN-FAILED (run 1): the run failed: exit status 1") and lines[2] == "boom"
    assert lines[3] == "  contract: docs/contract.md#run-failed"
    assert lines[4] == "Invariants failed as a consequence: IDEMPOTENT, MAPPED-EQUAL, NO-DELETE"
    assert (
        "NO-DELETE, IDEMPOTENT (run 1): cannot pass: the run failed before its first write [a consequence"
        in lines[5]
    )
    assert "  contract: docs/contract.md#no-delete (and the section of each id above)" in lines
    assert any(line.startswith("MAPPED-EQUAL (run 1): a pair disagrees [a consequence") for line in lines)
    assert "  contract: docs/contract.md#mapped-equal" in lines


def test_without_a_failed_run_the_invariants_lead() -> None:
    report = CheckReport()
    report.add("NO-DELETE", (True, [Violation("NO-DELETE", "deleted Books vendor 1", run=1)]))
    outcome = Outcome("first_sync", Scenario(sync=SyncSpec("vendors", "both_ways", "skip")), report)
    text = failure_report(outcome, kind="vendors")
    assert text.startswith("FAILED NO-DELETE — group first_sync")
    assert "consequence" not in text and "contract: docs/contract.md#no-delete" in text


# ---- progress ------------------------------------------------------------------------------------


class _Ran:
    def __init__(self, *violations: Violation) -> None:
        self.violations = list(violations)

    def failed(self, ignore: tuple[str, ...] = ()) -> list[Violation]:
        return [v for v in self.violations if v.invariant not in ignore]


def test_progress_is_plain_lines_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(suites=2, stream=stream)
    assert progress.bar is False
    with progress.suite("first_sync", "vendors", total=8) as tick:
        for _ in range(8):
            tick(_Ran())
    lines = stream.getvalue().splitlines()
    assert [line.split(": ")[1].split(",")[0] for line in lines] == [
        "2/8 scenarios",
        "4/8 scenarios",
        "6/8 scenarios",
        "8/8 scenarios",
    ]
    assert lines[0].startswith("[1/2] first_sync vendors: ") and "left" in lines[0]
    assert "left" not in lines[-1]


def test_progress_says_when_a_failure_is_being_shrunk() -> None:
    stream = io.StringIO()
    with Progress(suites=1, stream=stream).suite("lifecycle", "items", total=1) as tick:
        tick(_Ran(Violation("NO-DELETE", "deleted")))
    assert "a failure found: shrinking it" in stream.getvalue()
    again = io.StringIO()
    with Progress(suites=1, stream=again).suite("lifecycle", "items", total=1, ignore=("NO-DELETE",)) as tick:
        tick(_Ran(Violation("NO-DELETE", "deleted")))
    assert "1/1 scenarios" in again.getvalue()


def test_progress_draws_a_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(suites=1, stream=stream, bar=True).suite("faults", "items", total=3) as tick:
        for _ in range(3):
            tick(_Ran())
    assert "[1/1] faults items" in stream.getvalue()


def test_a_daemon_failure_is_replayed_with_the_daemon() -> None:
    commands = replay_commands(
        Path("f.json"), syncer_cmd=None, syncer_python=None, syncer_daemon="python my daemon.py"
    )
    assert commands == [
        "zohosim conform --replay f.json --syncer-daemon 'python my daemon.py'",
        "pytest --zohosim-syncer-daemon='python my daemon.py' --zohosim-replay=f.json",
    ]
