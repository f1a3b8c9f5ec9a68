"""The report of a run: one row per record, totals, and the API calls it cost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from syncer.plan import Action


@dataclass(frozen=True)
class Row:
    sync: str
    action: Action
    crm_module: str | None
    crm_id: str | None
    books_id: str | None
    name: str
    reason: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # one line each: where the state is, and so on
    started: str = ""
    finished: str = ""
    on_row: Callable[[Row], None] | None = field(default=None, repr=False, compare=False)

    def add(
        self,
        sync: str,
        action: Action,
        *,
        crm_module: str | None = None,
        crm_id: str | None = None,
        books_id: str | None = None,
        name: str = "",
        reason: str = "",
    ) -> None:
        row = Row(sync, action, crm_module, crm_id, books_id, name, reason)
        self.rows.append(row)
        if self.on_row:
            self.on_row(row)

    def totals(self) -> dict[str, int]:
        counts = Counter(row.action.value for row in self.rows)
        return {action.value: counts.get(action.value, 0) for action in Action}

    def totals_by_sync(self) -> dict[str, dict[str, int]]:
        by_sync: dict[str, Counter[str]] = {}
        for row in self.rows:
            by_sync.setdefault(row.sync, Counter())[row.action.value] += 1
        return {sync: dict(counts) for sync, counts in by_sync.items()}

    @property
    def failed(self) -> list[Row]:
        return [row for row in self.rows if row.action is Action.FAILED]

    def to_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "finished": self.finished,
            "totals": self.totals(),
            "totals_by_sync": self.totals_by_sync(),
            "api_calls": self.calls,
            "notes": self.notes,
            "rows": [{**asdict(row), "action": row.action.value} for row in self.rows],
        }

    def table(self) -> str:
        """A summary for the terminal: a line per module sync, the totals, and the API calls."""
        from rich.console import Console
        from rich.table import Table

        actions = [a.value for a in Action]
        table = Table(title="zohosim sync")
        table.add_column("module sync")
        for action in actions:
            table.add_column(action, justify="right")
        for sync, counts in self.totals_by_sync().items():
            table.add_row(sync, *(str(counts.get(a, 0)) for a in actions))
        totals = self.totals()
        table.add_row("total", *(str(totals[a]) for a in actions), style="bold")
        console = Console(width=120, record=True)
        with console.capture() as capture:
            for note in self.notes:
                console.print(note, markup=False, highlight=False, soft_wrap=True)
            console.print(table)
            calls = ", ".join(f"{service} {count}" for service, count in sorted(self.calls.items()))
            console.print(f"API calls: {sum(self.calls.values())} ({calls or 'none'})")
            for row in self.failed[:20]:
                console.print(f"failed: {row.crm_module} {row.crm_id} {row.name!r}: {row.reason}")
        return capture.get()
