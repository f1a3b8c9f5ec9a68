"""Mass update: one set of field values written to many records (by ``ids`` or a custom view),
as a job whose status is asked for by its id (Zoho's record document, ``mass_update``).

The job runs when it is scheduled (the simulator has no queue), so its first status is already
``COMPLETED`` with its counts; jobs live with the process, not in the saved state.  Each record is
written by the org's own update, so every field rule of a record update applies.
Nothing here knows of HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.crm.errors import InvalidData, LimitExceeded
from simulator.crm.models import CrmOrg, CustomView

MAX_IDS = 500


@dataclass(frozen=True)
class MassUpdateJob:
    id: str
    module: str
    total: int
    updated: int
    failed: int


def schedule(
    org: CrmOrg,
    module: str,
    values: Mapping[str, Any],
    *,
    ids: Sequence[str] | None = None,
    view: CustomView | None = None,
) -> MassUpdateJob:
    """Write ``values`` to the records of ``ids`` (or of ``view``); unknown ids count as failed."""
    definition = org.module(module)
    for name in values:
        f = definition.by_name.get(name)
        if f is None or f.read_only or name == "id":
            raise InvalidData({"api_name": name, "json_path": f"$.data[0].{name}"})
    if ids is not None and len(ids) > MAX_IDS:
        raise LimitExceeded({"api_name": "ids", "limit": MAX_IDS})
    targets = list(ids) if ids is not None else [r["id"] for r in org.list_records(module, view=view)]
    outcomes = org.update(module, [{**values, "id": record_id} for record_id in targets])
    failed = sum(outcome.error is not None for outcome in outcomes)
    job = MassUpdateJob(org.ids(), definition.api_name, len(outcomes), len(outcomes) - failed, failed)
    org.mass_updates[job.id] = job
    return job
