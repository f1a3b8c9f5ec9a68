"""``zohosim sync --dry-run``: the plan of one run, as a table for the terminal and as JSON."""

from __future__ import annotations

from typing import Any

from syncer.run import Plan


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "dry_run": True,
        "notes": plan.notes,
        "api_calls": plan.calls,
        "steps": [{"sync": sync, **step.to_json()} for sync, step in plan.steps],
    }


def plan_table(plan: Plan) -> str:
    """One row per action: what, where, by which rule, and the request it would make."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="zohosim sync --dry-run: nothing was written")
    for column in ("sync", "action", "module", "CRM id", "Books id", "reason", "request"):
        table.add_column(column)
    for sync, step in plan.steps:
        reason = f"{step.rule}: {step.note}" if step.note else step.rule
        table.add_row(
            sync,
            step.action.value,
            step.crm_module or "",
            step.crm_id or "",
            step.books_id or "(new)"
            if step.request and step.request.method == "POST"
            else step.books_id or "",
            reason,
            str(step.request) if step.request else "",
        )
    console = Console(width=160, record=True)
    with console.capture() as capture:
        for note in plan.notes:
            console.print(note, markup=False, highlight=False, soft_wrap=True)
        console.print(table)
        writes = sum(1 for _, step in plan.steps if step.request)
        calls = ", ".join(f"{service} {count}" for service, count in sorted(plan.calls.items()))
        console.print(f"{len(plan.steps)} actions, {writes} write requests planned; reads: {calls or 'none'}")
    return capture.get()
