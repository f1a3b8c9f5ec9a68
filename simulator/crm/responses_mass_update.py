"""``POST /{module}/actions/mass_update`` and its status ``GET /{module}/actions/mass_update?job_id=``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from simulator.crm import mass_update
from simulator.crm.errors import AmbiguityDuringProcessing, InvalidData, RequiredParamMissing
from simulator.crm.responses import _module_call, _write_body
from simulator.http import json_response
from simulator.ids import is_zoho_id


async def schedule(request: Request) -> Response:
    """Body: ``{"data": [{field: value}], "ids": [...]}`` or ``"cvid"`` instead of ``ids``."""
    call, module = _module_call(request, "UPDATE")
    body, data = await _write_body(request)
    values = data[0]
    if len(data) != 1 or not isinstance(values, dict):
        raise InvalidData({"api_name": "data", "json_path": "$.data"})
    ids, cvid = body.get("ids"), body.get("cvid")
    if ids is not None and cvid is not None:
        raise AmbiguityDuringProcessing("ids", "cvid")
    if ids is None and cvid is None:
        raise RequiredParamMissing("ids")
    if ids is not None and not (isinstance(ids, list) and ids and all(is_zoho_id(i) for i in ids)):
        raise InvalidData({"api_name": "ids", "json_path": "$.ids"})
    view = call.org.view(module.api_name, str(cvid)) if cvid is not None and is_zoho_id(cvid) else None
    if cvid is not None and view is None:
        raise InvalidData({"api_name": "cvid", "json_path": "$.cvid"})
    job = mass_update.schedule(
        call.org, module.api_name, values, ids=[str(i) for i in ids] if ids else None, view=view
    )
    item = {
        "status": "success",
        "code": "SUCCESS",
        "message": "mass update scheduled successfully",
        "details": {"job_id": job.id},
    }
    return json_response({"data": [item]})


async def status(request: Request) -> Response:
    call, module = _module_call(request, "READ")
    job_id = call.params.get("job_id")
    if not job_id:
        raise RequiredParamMissing("job_id")
    job = call.org.mass_updates.get(job_id)
    if job is None or job.module != module.api_name:
        raise InvalidData.param("job_id")
    counts = {
        "Status": "COMPLETED",
        "Failed_Count": job.failed,
        "Updated_Count": job.updated,
        "Not_Updated_Count": 0,
        "Total_Count": job.total,
    }
    return json_response({"data": [counts]})
