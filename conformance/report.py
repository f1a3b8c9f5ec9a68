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

from conformance.contract import primary_person, same
from conformance.invariants import INVARIANTS, RUN_FAILED
from conformance.observe import RecordDiff, Violation
from conformance.published import contract_link
from conformance.runner import GROUPS
from conformance.session import Outcome, describe_runs

MAX_ROWS = 14
WIDTH = 34


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


_ABSENT = object()


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "-"
    text = repr(value)
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def _at(record: Mapping[str, Any] | None, flat: Mapping[str, Any], path: str) -> Any:
    """A field of a record by the path a check names: ``billing_address.city``, or a mapped
    ``primary_contact.email`` (the primary person's email), as the contract reads it."""
    if record is None:
        return _ABSENT
    if path in flat:
        return flat[path]
    if path.startswith("primary_contact."):
        person = primary_person(record)
        key = path.removeprefix("primary_contact.")
        return person.get(key, _ABSENT) if person else _ABSENT
    return _ABSENT


def _equal(left: Any, right: Any) -> bool:
    """Equal as the checks compare: absent, None and "" are all empty; 12 == 12.0."""
    empty = (_ABSENT, None, "")
    if left in empty or right in empty:
        return left in empty and right in empty
    return same(left, right)


def record_table(diff: RecordDiff) -> list[str]:
    """The fields that differ: between before and after (an existing record, exactly), or between
    after and what the contract expects (as the checks compare). A new or gone record with no
    expectation shows what it holds."""
    before = flatten(diff.before) if diff.before is not None else {}
    after = flatten(diff.after) if diff.after is not None else {}
    expected = flatten(diff.expected) if diff.expected is not None else {}
    if diff.before is None and diff.after is None:
        return [f"  {diff.label}"]
    state = " (new)" if diff.before is None else (" (gone)" if diff.after is None else "")
    lines = [f"  {diff.label}{state}"]
    rows = []
    whole = (diff.before is None) != (diff.after is None) and not expected
    for path in dict.fromkeys([*before, *after, *expected]):
        old, new = _at(diff.before, before, path), _at(diff.after, after, path)
        want = expected.get(path, _ABSENT)
        changed = diff.before is not None and diff.after is not None and old != new  # byte for byte
        wrong = want is not _ABSENT and not _equal(new, want)
        if changed or wrong or whole:
            rows.append((path, old, new, want))
    if not rows:
        return lines
    name_width = max(len("field"), *(len(path) for path, *_ in rows[:MAX_ROWS]))
    header = f"    {'field':<{name_width}} {'before':<{WIDTH}} {'after':<{WIDTH}}"
    lines.append((header + (" expected" if expected else "")).rstrip())
    for path, old, new, want in rows[:MAX_ROWS]:
        line = f"    {path:<{name_width}} {_show(old):<{WIDTH}} {_show(new):<{WIDTH}}"
        if expected:
            line += f" {_show(want)}"
        lines.append(line.rstrip())
    if len(rows) > MAX_ROWS:
        lines.append(f"    … {len(rows) - MAX_ROWS} more fields differ")
    return lines


def _merge_alike(violations: Sequence[Violation]) -> list[Violation]:
    """Violations with no records to show and the same message (a run that never happened fails
    every invariant alike, in every run), as one violation naming every id and run."""
    groups: dict[str, tuple[list[str], list[int]]] = {}
    out: list[Violation | str] = []
    for violation in violations:
        if violation.records:
            out.append(violation)
            continue
        if violation.message not in groups:
            groups[violation.message] = ([], [])
            out.append(violation.message)
        ids, runs = groups[violation.message]
        ids += [violation.invariant] if violation.invariant not in ids else []
        runs += [violation.run] if violation.run not in runs else []
    merged = []
    for item in out:
        if isinstance(item, Violation):
            merged.append(item)
            continue
        ids, runs = groups[item]
        several = f"in runs {', '.join(map(str, runs))}: " if len(runs) > 1 else ""
        merged.append(Violation(", ".join(ids), several + item, run=runs[0] if len(runs) == 1 else 0))
    return merged


def violation_text(violation: Violation, *, consequence: bool = False) -> list[str]:
    because = " [a consequence of the syncer's failed run]" if consequence else ""
    ids = violation.invariant.split(", ")
    link = contract_link(ids[0]) + (" (and the section of each id above)" if len(ids) > 1 else "")
    lines = [f"{violation}{because}", f"  contract: {link}"]
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
    named = "-".join(ids[:2]) + (f"-and-{len(ids) - 2}-more" if len(ids) > 2 else "")
    path = directory / f"{named or 'failure'}-{outcome.group}-{kind}-{digest}.json"
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


def replay_commands(
    path: Path, *, syncer_cmd: str | None, syncer_python: str | None, syncer_daemon: str | None = None
) -> list[str]:
    commands = []
    target = shlex.quote(str(path))
    if syncer_daemon is not None:
        daemon = shlex.quote(syncer_daemon)
        commands.append(f"zohosim conform --replay {target} --syncer-daemon {daemon}")
        commands.append(f"pytest --zohosim-syncer-daemon={daemon} --zohosim-replay={target}")
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
    """A failed run of the syncer comes first, with the end of its stderr: the invariant
    failures of that run are its consequences, and are marked so."""
    violations = outcome.failed(tuple(ignore))
    crashes = [v for v in violations if v.invariant == RUN_FAILED]
    others = [v for v in violations if v.invariant != RUN_FAILED]
    failed_runs = {v.run for v in crashes}
    ids = sorted({v.invariant for v in others})
    lines = []
    if crashes:
        lines.append(f"SYNCER FAILED — group {outcome.group}, module sync {kind}")
        for crash in _merge_alike(crashes)[:2]:
            lines += violation_text(crash)
        if ids:
            lines.append(f"Invariants failed as a consequence: {', '.join(ids)}")
    else:
        lines.append(f"FAILED {', '.join(ids)} — group {outcome.group}, module sync {kind}")
    shown = _merge_alike(others)
    for violation in shown[:max_violations]:
        consequence = bool(failed_runs) and (
            violation.run in failed_runs or 0 in failed_runs | {violation.run}
        )
        lines += violation_text(violation, consequence=consequence)
    if len(shown) > max_violations:
        lines.append(f"… and {len(shown) - max_violations} more violations")
    lines.append(f"Scenario (shrunk): {outcome.scenario.describe()}")
    if outcome.notes:
        lines.append("Notes: " + "; ".join(outcome.notes))
    lines.append("Runs: " + "; ".join(describe_runs(outcome)))
    failed_runs_seen = [r for _, r in outcome.runs if not r.ok and not r.killed and r.error]
    if failed_runs_seen and not crashes:
        lines.append("A run failed: " + failed_runs_seen[0].error.strip().splitlines()[-1][:300])
    kept = [str(w) for w in outcome.workdirs if w.exists()]
    if kept:
        lines.append("Files (config, state, each run's stdout and stderr): " + ", ".join(kept))
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
