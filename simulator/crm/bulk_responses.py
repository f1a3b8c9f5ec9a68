"""The bulk read API's endpoints, ``/crm/bulk/{version}/read[/{job_id}[/result]]`` (bulk_read.json).

Scopes, as Zoho's pages give them: ``ZohoCRM.bulk.READ`` (or ``.ALL``) for every call, and
reading the module too for creating a job.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulator.clock import crm_datetime
from simulator.crm import bulk
from simulator.crm.errors import RequestBodyIsEmpty, RequestBodyNotReadable, ResourceNotFound
from simulator.crm.metadata import make_id
from simulator.crm.models import CrmOrg
from simulator.crm.responses import Call, _call, _require
from simulator.http import BodyError, json_response, read_json
from simulator.tenants import Tenant

#: Zoho serves the zip as a download (bulk_read.json: ``application/x-download``).
ZIP_MEDIA_TYPE = "application/x-download"


async def create_job(request: Request) -> Response:
    call, tenant = _bulk_call(request)
    try:
        body = await read_json(request)
    except BodyError as exc:
        raise (RequestBodyIsEmpty() if str(exc) == "empty" else RequestBodyNotReadable()) from None
    if not isinstance(body, dict):
        raise RequestBodyNotReadable()
    query, callback = bulk.parse_request(call.org, body)
    _require(call, group="modules", resource=query.module.api_name.lower(), action="READ")
    job = tenant.bulk_reads.create(call.org, query, callback=callback)
    summary = {
        key: _job_json(call, job)[key] for key in ("id", "operation", "state", "created_by", "created_time")
    }
    item = {
        "status": "success",
        "code": "ADDED_SUCCESSFULLY",
        "message": "Added successfully.",
        "details": summary,
    }
    return json_response({"data": [item], "info": {}}, status_code=201)


async def job_details(request: Request) -> Response:
    call, tenant = _bulk_call(request)
    job = _job(request, tenant, status_code=404)
    return json_response({"data": [_job_json(call, job)]})


async def download_result(request: Request) -> Response:
    call, tenant = _bulk_call(request)
    job = _job(request, tenant, status_code=400)
    if job.state(call.org.clock.now()) != "COMPLETED":
        raise ResourceNotFound("result", status_code=400)
    headers = {"Content-Disposition": f'attachment; filename="{job.id}.zip"'}
    return Response(job.zip_file(), media_type=ZIP_MEDIA_TYPE, headers=headers)


def _bulk_call(request: Request) -> tuple[Call, Tenant]:
    call = _call(request, group="bulk", action="READ")
    tenant = request.app.state.simulator.tenant_of(authorization=request.headers.get("authorization"))
    return call, tenant


def _job(request: Request, tenant: Tenant, *, status_code: int) -> bulk.BulkReadJob:
    job = tenant.bulk_reads.get(request.path_params["job_id"])
    if job is None:
        raise ResourceNotFound("job_id", status_code=status_code)
    return job


def _job_json(call: Call, job: bulk.BulkReadJob) -> dict[str, Any]:
    org = call.org
    state = job.state(org.clock.now())
    query: dict[str, Any] = {"module": _module_ref(org, job.query.module), "page": job.query.page}
    if job.query.fields is not None:
        query["fields"] = [f.api_name for f in job.query.fields]
    if job.query.criteria is not None:
        query["criteria"] = job.query.criteria
    if job.query.view is not None:
        query["cvid"] = job.query.view.id
    user = org.users[job.created_by_id]
    shown: dict[str, Any] = {
        "id": job.id,
        "operation": "read",
        "state": state,
        "query": query,
        "created_by": {"id": user.id, "name": user.full_name},
        "created_time": crm_datetime(job.created_time, org.time_zone),
        "file_type": "csv",
    }
    if state == "COMPLETED":
        shown["result"] = {
            "page": job.query.page,
            "count": len(job.rows),
            "download_url": f"/crm/bulk/{call.version}/read/{job.id}/result",
            "per_page": bulk.PER_PAGE,
            "more_records": job.more_records,
        }
    return shown


def _module_ref(org: CrmOrg, module: Any) -> dict[str, str]:
    return {"api_name": module.api_name, "id": make_id(org.prefix, module.serial)}
