"""The recycle bin: every module's deleted records until they are purged from it.

A purged record stays in its module's ``/deleted?type=permanent`` list (research §2), without
its name or who deleted it.  Zoho's recycle-bin document has no restore operation, so none is
served.  Nothing here knows of HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator.crm.errors import InvalidData
from simulator.crm.models import CrmOrg, DeletedRecord


@dataclass(frozen=True)
class BinEntry:
    module: str
    row: DeletedRecord


def entries(org: CrmOrg, *, module: str | None = None, ids: Sequence[str] | None = None) -> list[BinEntry]:
    """What the bin holds (of ``module``, of ``ids``), most recently deleted first."""
    found = [
        BinEntry(name, row)
        for name, rows in org.deleted.items()
        if module is None or name == module
        for row in rows
        if not row.permanent and (ids is None or row.id in ids)
    ]
    return sorted(found, key=lambda entry: (entry.row.deleted_time, int(entry.row.id)), reverse=True)


def purge(org: CrmOrg, ids: Sequence[str]) -> list[str | InvalidData]:
    """Delete each id from the bin for good: the id, or the error for one the bin does not hold."""
    held = {entry.row.id: entry.row for entry in entries(org)}
    outcomes: list[str | InvalidData] = []
    for record_id in ids:
        row = held.pop(record_id, None)
        if row is None:
            outcomes.append(InvalidData.invalid_id({"id": record_id}))
            continue
        row.permanent = True
        outcomes.append(record_id)
    return outcomes
