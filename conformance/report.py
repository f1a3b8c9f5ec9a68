"""Failure reports: the invariant, the (shrunk) scenario, the records that differ as a
before/after/expected table, and a one-line replay command. Also the JUnit XML and the summary.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.invariants import INVARIANTS, RUN_FAILED
from conformance.observe import RecordDiff, Violation
from conformance.runner import GROUPS
from conformance.session import Outcome, describe_runs

MAX_ROWS = 14
WIDTH = 34
_ALWAYS_SHOWN = {"contact_name", "name", "Account_Name", "Vendor_Name", "Product_Name", "Last_Name"}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"billing_address": {"city": "X"}}`` -> ``{"billing_address.city": "X"}``; persons by name."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for n, item in enumerate(value):
            name = " ".join(str(item.get(k) or "") for k in ("first_name", "last_name")).strip() or str(n)
            out.update(flatten(item, f"{prefix}[{name}]"))
    else:
        out[prefix] = value
    return out


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "-"
    text = repr(value)
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


_ABSENT = object()


def record_table(diff: RecordDiff) -> list[str]:
    before = flatten(diff.before) if diff.before is not None else {}
    after = flatten(diff.after) if diff.after is not None else {}
    expected = flatten(diff.expected) if diff.expected is not None else {}
    if diff.before is None and diff.after is None:
        return [f"  {diff.label}"]
    state = " (new)" if diff.before is None else (" (gone)" if diff.after is None else "")
    lines = [f"  {diff.label}{state}"]
    rows = []
    for path in dict.fromkeys([*before, *after, *expected]):
        old, new = before.get(path, _ABSENT), after.get(path, _ABSENT)
        want = expected.get(path, _ABSENT)
        differs = (diff.before is not None and diff.after is not None and old != new) or (
            want is not _ABSENT and new != want and not (want in ("", None) and new in ("", None, _ABSENT))
        )
        named = path.split(".")[-1] in _ALWAYS_SHOWN and not path.startswith("contact_persons")
        if differs or named:
            rows.append((path, old, new, want))
    if (diff.before is None) != (diff.after is None):
        rows = rows[:MAX_ROWS]
    header = f"    {'field':<30} {'before':<{WIDTH}} {'after':<{WIDTH}}" + (" expected" if expected else "")
    lines.append(header.rstrip())
    for path, old, new, want in rows[:MAX_ROWS]:
        line = f"    {path[:30]:<30} {_show(old):<{WIDTH}} {_show(new):<{WIDTH}}"
        if expected:
            line += f" {_show(want)}"
        lines.append(line.rstrip())
    if len(rows) > MAX_ROWS:
        lines.append(f"    … {len(rows) - MAX_ROWS} more fields differ")
    return lines


def violation_text(violation: Violation) -> list[str]:
    lines = [f"{violation}"]
    for diff in violation.records:
        lines += record_table(diff)
    return lines


def save_failure(
    outcome: Outcome, directory: Path, *, kind: str, syncer: str, ignore: Sequence[str] = ()
) -> Path:
    """Write the scenario (and what failed) to a file that ``--replay`` takes."""
    violations = outcome.failed(tuple(ignore))
    ids = sorted({v.invariant for v in violations})
    text = outcome.scenario.dumps()
    digest = hashlib.sha1(f"{outcome.group}{text}".encode()).hexdigest()[:8]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{'-'.join(ids) or 'failure'}-{outcome.group}-{kind}-{digest}.json"
    document = {
        "group": outcome.group,
        "kind": kind,
        "syncer": syncer,
        "invariants": ids,
        "messages": [str(v) for v in violations][:20],
        "scenario": outcome.scenario.to_json(),
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def replay_commands(path: Path, *, syncer_cmd: str | None, syncer_python: str | None) -> list[str]:
    commands = []
    target = shlex.quote(str(path))
    if syncer_cmd is not None:
        commands.append(f"zohosim conform --replay {target} --syncer-cmd {shlex.quote(syncer_cmd)}")
    if syncer_python is not None:
        commands.append(f"zohosim conform --replay {target} --syncer-python {syncer_python}")
        commands.append(f"pytest --zohosim-syncer={syncer_python} --zohosim-replay={target}")
    return commands


def failure_report(
    outcome: Outcome,
    *,
    kind: str,
    saved: Path | None = None,
    replay: Iterable[str] = (),
    ignore: Sequence[str] = (),
    max_violations: int = 4,
) -> str:
    violations = outcome.failed(tuple(ignore))
    ids = sorted({v.invariant for v in violations})
    lines = [f"FAILED {', '.join(ids)} — group {outcome.group}, module sync {kind}"]
    for violation in violations[:max_violations]:
        lines += violation_text(violation)
    if len(violations) > max_violations:
        lines.append(f"… and {len(violations) - max_violations} more violations")
    lines.append(f"Scenario (shrunk): {outcome.scenario.describe()}")
    if outcome.notes:
        lines.append("Notes: " + "; ".join(outcome.notes))
    lines.append("Runs: " + "; ".join(describe_runs(outcome)))
    failed_runs = [r for _, r in outcome.runs if not r.ok and not r.killed and r.error]
    if failed_runs and RUN_FAILED not in ids:
        lines.append("A run failed: " + failed_runs[0].error.strip().splitlines()[-1][:300])
    if saved is not None:
        lines.append(f"Saved: {saved}")
    commands = list(replay)
    if commands:
        lines.append("Replay:")
        lines += [f"  {c}" for c in commands]
    return "\n".join(lines)


# ---- the summary and JUnit -----------------------------------------------------------------------

IDS = (*INVARIANTS, RUN_FAILED)


def summarize(results: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Per invariant id: scenarios where it had something to check, and its failures."""
    summary: dict[str, dict[str, Any]] = {i: {"checked": 0, "failed": [], "groups": set()} for i in IDS}
    for result in results:
        for invariant, count in result.exercised.items():
            summary[invariant]["checked"] += count
            summary[invariant]["groups"].add(result.group)
        if result.failure is not None:
            for violation in result.failure.failed(getattr(result, "ignored", ())):
                entry = summary[violation.invariant]
                label = f"{result.group}/{result.kind}"
                if label not in entry["failed"]:
                    entry["failed"].append(label)
    return summary


def unexercised(results: Sequence[Any]) -> list[str]:
    """The invariants that the groups run were meant to check and no scenario exercised."""
    summary = summarize(results)
    meant = {i for r in results for i in GROUPS[r.group].invariants}
    return [i for i in INVARIANTS if i in meant and not summary[i]["checked"] and not summary[i]["failed"]]


def narrowed_out(results: Sequence[Any]) -> list[str]:
    """The invariants that no group run checks at all (a run narrowed by ``--groups``)."""
    meant = {i for r in results for i in GROUPS[r.group].invariants}
    return [i for i in INVARIANTS if i not in meant]


def summary_text(
    results: Sequence[Any], *, seconds: float, syncer: str, profile: str, narrowed: str | None = None
) -> str:
    """``narrowed``: how the user narrowed the run (``--groups``, ``--kinds``), or None for a whole
    profile, which must exercise every invariant: one it left unchecked is a failure."""
    summary = summarize(results)
    unchecked, left_out = set(unexercised(results)), set(narrowed_out(results))
    scenarios = sum(r.examples for r in results)
    runs = sum(r.runs for r in results)
    lines = [
        f"zohosim conform: {syncer} (profile {profile}): {scenarios} scenarios, {runs} syncer runs, "
        f"{seconds:.1f} s ({scenarios / seconds if seconds else 0:.2f} scenarios/s)",
        f"  {'invariant':<20} {'result':<8} scenarios checked",
    ]
    for invariant in IDS:
        entry = summary[invariant]
        if invariant == RUN_FAILED and not entry["failed"]:
            continue
        state = "FAIL" if entry["failed"] else ("pass" if entry["checked"] else "n/a")
        if invariant in left_out:
            state = "skipped"
        elif invariant in unchecked and narrowed is None:
            state = "UNCHECKED"
        where = f"  failed in {', '.join(entry['failed'])}" if entry["failed"] else ""
        lines.append(f"  {invariant:<20} {state:<8} {entry['checked']}{where}")
    if narrowed is not None and (left_out or unchecked):
        lines.append(
            f"  (narrowed by {narrowed}: skipped, no chosen group checks it; n/a, no scenario run reached it)"
        )
    elif unchecked:
        lines.append(
            f"  FAILED: no scenario exercised {', '.join(sorted(unchecked))}: the profile checked "
            "nothing for them (a green run must check every invariant)"
        )
    errors = [r for r in results if r.error is not None]
    for result in errors:
        lines.append(
            f"  harness error in {result.group}/{result.kind}: {type(result.error).__name__}: {result.error}"
        )
    return "\n".join(lines)


def junit_xml(
    results: Sequence[Any],
    reports: Mapping[tuple[str, str], str],
    *,
    seconds: float,
    narrowed: str | None = None,
) -> str:
    """One testsuite per group, one testcase per invariant id of the group and module sync: failed,
    passed, or skipped when no scenario exercised it. A ``coverage`` suite has one testcase per
    invariant: it fails when a whole profile (``narrowed`` None) exercised it nowhere, and is
    skipped, with the reason, when the user narrowed it out."""
    root = ET.Element("testsuites", name="zohosim conform", time=f"{seconds:.3f}")
    by_group: dict[str, list[Any]] = {}
    for result in results:
        by_group.setdefault(result.group, []).append(result)
    for group, members in by_group.items():
        suite = ET.SubElement(root, "testsuite", name=group)
        tests = failures = errors = skipped = 0
        for result in members:
            failed_ids = {v.invariant for v in result.failure.failed()} if result.failure else set()
            for invariant in IDS:
                meant = invariant in GROUPS[group].invariants
                if invariant not in result.exercised and invariant not in failed_ids and not meant:
                    continue
                tests += 1
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{group}.{result.kind}",
                    name=invariant,
                    time=f"{result.seconds:.3f}",
                )
                if invariant in failed_ids:
                    failures += 1
                    text = reports.get((group, result.kind), "")
                    node = ET.SubElement(
                        case, "failure", message=f"{invariant}: {INVARIANTS.get(invariant, '')}"
                    )
                    node.text = text
                elif invariant not in result.exercised:
                    skipped += 1
                    ET.SubElement(case, "skipped", message="no scenario of this module sync exercised it")
            if result.error is not None:
                errors += 1
                case = ET.SubElement(suite, "testcase", classname=f"{group}.{result.kind}", name="harness")
                ET.SubElement(case, "error", message=str(result.error)).text = repr(result.error)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
    _coverage_suite(root, results, narrowed=narrowed)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _coverage_suite(root: ET.Element, results: Sequence[Any], *, narrowed: str | None) -> None:
    unchecked, left_out = set(unexercised(results)), set(narrowed_out(results))
    suite = ET.SubElement(root, "testsuite", name="coverage")
    failures = 0
    for invariant in INVARIANTS:
        case = ET.SubElement(suite, "testcase", classname="coverage", name=invariant)
        if invariant in left_out:
            ET.SubElement(case, "skipped", message=f"narrowed out by {narrowed}: no group run checks it")
        elif invariant in unchecked and narrowed is not None:
            ET.SubElement(case, "skipped", message=f"narrowed by {narrowed}: no scenario run exercised it")
        elif invariant in unchecked:
            failures += 1
            message = f"{invariant}: no scenario of the profile exercised it, so nothing was checked"
            ET.SubElement(case, "failure", message=message)
    suite.set("tests", str(len(INVARIANTS)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(len(suite.findall("testcase/skipped"))))
