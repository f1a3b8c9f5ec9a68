"""Setup metadata beyond modules and fields: ``settings/layouts``, ``settings/fields/{id}`` and
the recycle bin (``settings/recycle_bin``), in the shapes of Zoho's ``layouts.json``,
``fields.json`` and ``recycle_bin.json`` documents.

Every module has one layout, ``Standard``, with one section holding all of its fields (the ids
match ``settings/modules``' ``layouts`` and ``settings/fields``' ``layouts``).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from simulator.clock import crm_datetime
from simulator.crm import params as p
from simulator.crm import recycle_bin, render
from simulator.crm.errors import InvalidData, RequiredParamMissing
from simulator.crm.metadata import (
    ADMIN_PROFILE_SERIAL,
    MODULES,
    STANDARD_LAYOUT_SERIAL,
    ModuleDef,
    field_json,
    find_module,
    make_id,
)
from simulator.crm.models import CrmOrg
from simulator.crm.paging import page_window
from simulator.crm.responses import Call, _call, _module_param, _short_info
from simulator.http import empty_response, json_response

# -- layouts -----------------------------------------------------------------------------------


def _layout_id(org: CrmOrg, module: ModuleDef) -> str:
    return make_id(org.prefix, STANDARD_LAYOUT_SERIAL + module.serial)


async def layouts(request: Request) -> Response:
    call = _call(request, group="settings", resource="layouts")
    module = _module_param(call)
    return json_response({"layouts": [_layout_json(call.org, module, version=call.version)]})


async def layout(request: Request) -> Response:
    call = _call(request, group="settings", resource="layouts")
    module = _module_param(call)
    wanted = p.record_id(request.path_params["layout_id"], resource_path_index=2)
    if wanted != _layout_id(call.org, module):
        return empty_response(204)
    return json_response({"layouts": [_layout_json(call.org, module, version=call.version)]})


def _layout_json(org: CrmOrg, module: ModuleDef, *, version: str) -> dict[str, Any]:
    layout_id = _layout_id(org, module)
    admin = {
        "default": True,
        "name": "Administrator",
        "id": make_id(org.prefix, ADMIN_PROFILE_SERIAL),
        "_default_view": {"name": "Standard", "id": layout_id, "type": "layout"},
    }
    fields = [
        {
            **field_json(module, f, prefix=org.prefix, version=version),
            "sequence_number": position,
            "required": f.mandatory,
        }
        for position, f in enumerate(module.fields, start=1)
    ]
    section = {
        "display_label": f"{module.singular} Information",
        "sequence_number": 1,
        "isSubformSection": False,
        "tab_traversal": "left_to_right",
        "api_name": f"{module.singular} Information",
        "column_count": 2,
        "name": f"{module.singular} Information",
        "generated_type": "default",
        "id": make_id(org.prefix, STANDARD_LAYOUT_SERIAL + module.serial + 1),
        "type": "used",
        "fields": fields,
        "properties": None,
        "_delete": None,
    }
    return {
        "display_type": -1,
        "api_name": "Standard",
        "has_more_profiles": False,
        "created_time": None,
        "modified_time": None,
        "visible": True,
        "source": "crm",
        "id": layout_id,
        "name": "Standard",
        "display_label": "Standard",
        "mode": "standard",
        "subform_properties": {"pinned_column": False},
        "status": "active",
        "show_business_card": False,
        "generated_type": "default",
        "created_for": None,
        "convert_mapping": {},
        "modified_by": None,
        "profiles": [admin],
        "created_by": None,
        "sections": [section],
        "actions_allowed": {"edit": True, "rename": True, "clone": True, "downgrade": False,
                            "delete": False, "deactivate": False, "set_layout_permissions": True},
    }  # fmt: skip


# -- settings/fields/{id} ----------------------------------------------------------------------


async def settings_field(request: Request) -> Response:
    """``settings/fields/{id}?module=``: one field by id (or API name), as ``settings/fields`` lists it."""
    call = _call(request, group="settings", resource="fields")
    module = _module_param(call)
    wanted = request.path_params["field_id"]
    found = next(
        (f for f in module.fields if wanted in (make_id(call.org.prefix, f.serial), f.api_name)), None
    )
    if found is None:
        raise InvalidData.invalid_id({"resource_path_index": 2})
    shown = field_json(module, found, prefix=call.org.prefix, version=call.version)
    return json_response({"fields": [shown]})


# -- recycle bin -------------------------------------------------------------------------------


def _bin_filter(call: Call) -> str | None:
    """``filters`` names a module: ``{"comparator":"equal","field":{"api_name":"module"},"value":...}``,
    or the module's name alone."""
    raw = call.params.get("filters")
    if not raw:
        return None
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        parsed = raw
    value = parsed.get("value") if isinstance(parsed, dict) else parsed
    if isinstance(value, dict):
        value = value.get("api_name")
    module = find_module(value) if isinstance(value, str) else None
    if module is None:
        raise InvalidData.param("filters")
    return module.api_name


def _bin_json(org: CrmOrg, entry: recycle_bin.BinEntry) -> dict[str, Any]:
    row, module = entry.row, MODULES[entry.module]
    return {
        "display_name": row.display_name,
        "deleted_time": crm_datetime(row.deleted_time, org.time_zone),
        "owner": render.user_ref(org, row.owner),
        "module": {"api_name": module.api_name, "id": make_id(org.prefix, module.serial)},
        "deleted_by": render.user_ref(org, row.deleted_by),
        "id": row.id,
    }


async def recycle_bin_records(request: Request) -> Response:
    call = _call(request, group="settings", resource="recycle_bin")
    ids = p.ids(call.params.get("ids"))
    window = page_window(
        page=p.integer(call.params, "page", default=1), per_page=p.per_page(call.params), limit=None
    )
    rows = recycle_bin.entries(call.org, module=_bin_filter(call), ids=ids)
    if call.params.get("sort_order") == "asc":
        rows.reverse()
    page = rows[window.offset : window.offset + window.per_page]
    if not page:
        return empty_response(204)
    more = window.offset + len(page) < len(rows)
    data = [_bin_json(call.org, entry) for entry in page]
    return json_response({"recycle_bin": data, "info": _short_info(window, len(page), more)})


async def recycle_bin_record(request: Request) -> Response:
    call = _call(request, group="settings", resource="recycle_bin")
    record_id = p.record_id(request.path_params["record_id"], resource_path_index=2)
    rows = recycle_bin.entries(call.org, ids=[record_id])
    if not rows:
        return empty_response(204)
    info = {"per_page": 200, "count": 1, "page": 1, "more_records": False}
    return json_response({"recycle_bin": [_bin_json(call.org, rows[0])], "info": info})


async def purge_recycle_bin(request: Request) -> Response:
    call = _call(request, group="settings", resource="recycle_bin", action="DELETE")
    ids = p.ids(call.params.get("ids"))
    if not ids:
        raise RequiredParamMissing("ids")
    return _purge_reply(call.org, list(dict.fromkeys(ids)))


async def purge_recycle_bin_record(request: Request) -> Response:
    call = _call(request, group="settings", resource="recycle_bin", action="DELETE")
    record_id = p.record_id(request.path_params["record_id"], resource_path_index=2)
    return _purge_reply(call.org, [record_id])


def _purge_reply(org: CrmOrg, ids: list[str]) -> Response:
    outcomes = recycle_bin.purge(org, ids)
    items = [
        outcome.body()
        if isinstance(outcome, InvalidData)
        else {"status": "success", "code": "SUCCESS", "message": "record deleted", "details": {"id": outcome}}
        for outcome in outcomes
    ]
    failed = sum(isinstance(outcome, InvalidData) for outcome in outcomes)
    status = 200 if not failed else 400 if failed == len(outcomes) else 207
    return json_response({"recycle_bin": items}, status_code=status)
