"""Tags: ``settings/tags`` (list, create, rename, delete, count) and a record's ``add_tags`` /
``remove_tags``, one record by path or many by ``ids``, in the shapes of Zoho's ``tags.json``.

Per-item outcomes make the status as for record writes: all succeeded 200 (201 for a create),
all failed 400, a mix 207.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulator.clock import crm_datetime
from simulator.crm import params as p
from simulator.crm import render, tags
from simulator.crm.errors import (
    CrmError,
    InvalidData,
    LimitExceeded,
    RequiredParamMissing,
    UnableToParseDataType,
)
from simulator.crm.models import CrmOrg
from simulator.crm.responses import MAX_WRITE_RECORDS, Call, _call, _module_call, _module_param
from simulator.crm.tags import Tag
from simulator.http import BodyError, json_response, read_json
from simulator.ids import normalize_id


def tag_json(org: CrmOrg, tag: Tag) -> dict[str, Any]:
    return {
        "name": tag.name,
        "color_code": tag.color_code,
        "created_time": crm_datetime(tag.created_time, org.time_zone),
        "modified_time": crm_datetime(tag.modified_time, org.time_zone),
        "modified_by": render.user_ref(org, tag.modified_by),
        "created_by": render.user_ref(org, tag.created_by),
        "id": tag.id,
    }


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await read_json(request)
    except BodyError as exc:
        if str(exc) == "empty":
            raise RequiredParamMissing("tags") from None
        raise UnableToParseDataType() from None
    if not isinstance(body, dict):
        raise UnableToParseDataType()
    items = body.get("tags")
    if items is None:
        raise RequiredParamMissing("tags")
    if not isinstance(items, list) or not items:
        raise InvalidData({"api_name": "tags", "json_path": "$.tags"})
    if len(items) > MAX_WRITE_RECORDS:
        raise LimitExceeded({"api_name": "tags", "limit": MAX_WRITE_RECORDS})
    return body


def _status(failed: int, total: int, *, ok: int = 200) -> int:
    return ok if not failed else 400 if failed == total else 207


def _success(message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"code": "SUCCESS", "details": details, "message": message, "status": "success"}


# -- settings/tags -----------------------------------------------------------------------------


async def list_tags(request: Request) -> Response:
    call = _call(request, group="settings", resource="tags")
    module = _module_param(call)
    found = tags.tags_of(call.org, module.api_name)
    info = {"count": len(found), "allowed_count": tags.MAX_PER_MODULE}
    return json_response({"tags": [tag_json(call.org, tag) for tag in found], "info": info})


async def create_tags(request: Request) -> Response:
    call = _call(request, group="settings", resource="tags", action="CREATE")
    module = _module_param(call)
    items = (await _body(request))["tags"]
    outcomes = tags.create(call.org, module.api_name, items)
    shown = [
        outcome.body()
        if isinstance(outcome, CrmError)
        else _success("tags created successfully", _details(call.org, outcome))
        for outcome in outcomes
    ]
    failed = sum(isinstance(outcome, CrmError) for outcome in outcomes)
    return json_response({"tags": shown}, status_code=_status(failed, len(outcomes), ok=201))


def _details(org: CrmOrg, tag: Tag) -> dict[str, Any]:
    full = tag_json(org, tag)
    del full["name"]
    return full


def _tag_param(call: Call, raw: str, module: str) -> Tag:
    tag = call.org.tags.get(p.record_id(raw, resource_path_index=2))
    if tag is None or tag.module != module:
        raise InvalidData.invalid_id({"resource_path_index": 2})
    return tag


async def update_tag(request: Request) -> Response:
    """Rename or recolour one tag: ``{"tags": [{"name", "color_code"}]}``."""
    call = _call(request, group="settings", resource="tags", action="UPDATE")
    module = _module_param(call)
    tag = _tag_param(call, request.path_params["tag_id"], module.api_name)
    item = (await _body(request))["tags"][0]
    error = tags.update(call.org, tag, item)
    if error is not None:
        return json_response({"tags": [error.body()]}, status_code=400)
    return json_response({"tags": [_success("tags updated successfully", _details(call.org, tag))]})


async def delete_tag(request: Request) -> Response:
    call = _call(request, group="settings", resource="tags", action="DELETE")
    tag = call.org.tags.get(p.record_id(request.path_params["tag_id"], resource_path_index=2))
    if tag is None:
        raise InvalidData.invalid_id({"resource_path_index": 2})
    tags.delete(call.org, tag)
    return json_response({"tags": [_success("tags deleted successfully", {"id": tag.id})]})


async def tag_records_count(request: Request) -> Response:
    call = _call(request, group="settings", resource="tags")
    module = _module_param(call)
    tag = _tag_param(call, request.path_params["tag_id"], module.api_name)
    return json_response({"count": str(tags.records_count(call.org, tag))})


# -- a record's tags ---------------------------------------------------------------------------


async def add_tags(request: Request) -> Response:
    return await _retag(request, adding=True)


async def remove_tags(request: Request) -> Response:
    return await _retag(request, adding=False)


async def _retag(request: Request, *, adding: bool) -> Response:
    """``/{module}/{id}/actions/{add,remove}_tags`` or, with ``ids``, ``/{module}/actions/...``."""
    call, module = _module_call(request, "UPDATE")
    body = await _body(request)
    if "record_id" in request.path_params:
        ids = [p.record_id(request.path_params["record_id"])]
    else:
        ids = _record_ids(body.get("ids", call.params.get("ids")))
    over_write = str(body.get("over_write", call.params.get("over_write", "false"))).lower() == "true"
    chosen = tags.resolve(call.org, module.api_name, body["tags"], create_missing=adding)
    outcomes = [_retag_one(call.org, module.api_name, i, chosen, adding, over_write) for i in ids]
    failed = sum(item["status"] == "error" for item in outcomes)
    return json_response({"data": outcomes}, status_code=_status(failed, len(outcomes)))


def _record_ids(raw: object) -> list[str]:
    if raw is None:
        raise RequiredParamMissing("ids")
    values = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise InvalidData({"api_name": "ids", "json_path": "$.ids"})
    if len(values) > MAX_WRITE_RECORDS:
        raise LimitExceeded({"api_name": "ids", "limit": MAX_WRITE_RECORDS})
    return [normalize_id(value) or str(value) for value in values]


def _retag_one(
    org: CrmOrg, module: str, record_id: str, chosen: Sequence[Tag], adding: bool, over_write: bool
) -> dict[str, Any]:
    record = org.get(module, record_id)
    if record is None:
        return InvalidData.invalid_id({"id": record_id}).body()
    if adding:
        error = tags.add(org, record, chosen, over_write=over_write)
        if error is not None:
            return error.body()
    else:
        tags.remove(record, chosen)
    shown = [render.tag_ref(tag) for tag in tags.record_tags(org, record)]
    message = "tags updated successfully" if adding else "tags removed successfully"
    return _success(message, {"id": record_id, "tags": shown})
