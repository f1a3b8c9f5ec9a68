"""Related records (``/{module}/{id}/{related_list}``) and related-list metadata
(``settings/related_lists``), in the shapes of Zoho's ``related_records.json`` and
``related_lists.json`` documents.

``GET`` pages with ``page``/``per_page`` and honours ``If-Modified-Since`` (304 when nothing under
the record changed since); ``fields`` is required from v3 on, as for a module's list.  ``PUT`` and
``DELETE`` link and delink records of a many-to-many list, one by path or several by ``ids``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulator.crm import params as p
from simulator.crm import related, render
from simulator.crm.errors import InvalidData, RequiredParamMissing
from simulator.crm.metadata import MODULES, FieldDef, make_id
from simulator.crm.models import CrmOrg
from simulator.crm.paging import page_window
from simulator.crm.related import RelatedList
from simulator.crm.responses import (
    Call,
    _call,
    _module_call,
    _module_param,
    _short_info,
    _write_body,
    rows_reply,
)
from simulator.http import empty_response, json_response


def _related_call(request: Request, action: str) -> tuple[Call, RelatedList, str]:
    call, module = _module_call(request, action)
    record_id = p.record_id(request.path_params["record_id"])
    rl = related.find(module.api_name, request.path_params["related_list"])
    if rl is None:
        raise InvalidData.relation()
    return call, rl, record_id


async def related_records(request: Request) -> Response:
    call, rl, record_id = _related_call(request, "READ")
    target = MODULES[rl.related_module]
    fields = p.fields(target, call.params.get("fields"), required=call.has("fields_required"))
    window = page_window(
        page=p.integer(call.params, "page", default=1), per_page=p.per_page(call.params), limit=None
    )
    since = p.modified_since(request.headers)
    if call.org.get(rl.module, record_id) is None:
        return empty_response(204)
    rows = related.related_records(call.org, rl, record_id, modified_since=since)
    page = rows[window.offset : window.offset + window.per_page]
    if not page:
        return empty_response(304 if since is not None and not rows else 204)
    more = window.offset + len(page) < len(rows)
    return rows_reply(call.org, target, page, fields, _short_info(window, len(page), more))


async def related_record(request: Request) -> Response:
    """``GET /{module}/{id}/{list}/{related_id}``: that record, if it is in the list (else 204)."""
    call, rl, record_id = _related_call(request, "READ")
    related_id = p.record_id(request.path_params["related_id"], resource_path_index=3)
    target = MODULES[rl.related_module]
    fields = p.fields(target, call.params.get("fields"), required=False)
    rows = related.related_records(call.org, rl, record_id) if call.org.get(rl.module, record_id) else []
    found = [row for row in rows if row["id"] == related_id]
    if not found:
        return empty_response(204)
    return json_response({"data": render.records(call.org, target, found, fields)})


async def link_records(request: Request) -> Response:
    """``PUT /{module}/{id}/{list}`` with ``{"data": [{"id": ...}, ...]}``."""
    call, rl, record_id = _related_call(request, "UPDATE")
    _, data = await _write_body(request)
    wanted = [str(item.get("id")) if isinstance(item, dict) else "" for item in data]
    return _relation_reply(call.org, rl, record_id, wanted, link=True)


async def link_record(request: Request) -> Response:
    call, rl, record_id = _related_call(request, "UPDATE")
    related_id = p.record_id(request.path_params["related_id"], resource_path_index=3)
    return _relation_reply(call.org, rl, record_id, [related_id], link=True)


async def delink_records(request: Request) -> Response:
    call, rl, record_id = _related_call(request, "DELETE")
    ids = p.ids(call.params.get("ids"))
    if not ids:
        raise RequiredParamMissing("ids")
    return _relation_reply(call.org, rl, record_id, ids, link=False)


async def delink_record(request: Request) -> Response:
    call, rl, record_id = _related_call(request, "DELETE")
    related_id = p.record_id(request.path_params["related_id"], resource_path_index=3)
    return _relation_reply(call.org, rl, record_id, [related_id], link=False)


def _relation_reply(org: CrmOrg, rl: RelatedList, record_id: str, ids: list[str], *, link: bool) -> Response:
    """Per id: ``relation added``/``relation removed``, or INVALID_DATA; 200, 207 or 400 overall."""
    if org.get(rl.module, record_id) is None:
        raise InvalidData.invalid_id({"resource_path_index": 1})
    done = set((related.link if link else related.delink)(org, rl, record_id, ids))
    message = "relation added" if link else "relation removed"
    items: list[dict[str, Any]] = [
        {"code": "SUCCESS", "details": {"id": i}, "message": message, "status": "success"}
        if i in done
        else InvalidData.related_id(i).body()
        for i in ids
    ]
    failed = len(ids) - len(done)
    status = 200 if not failed else 400 if failed == len(ids) else 207
    return json_response({"data": items}, status_code=status)


# -- settings/related_lists --------------------------------------------------------------------


async def settings_related_lists(request: Request) -> Response:
    call = _call(request, group="settings", resource="related_lists")
    module = _module_param(call)
    lists = [_related_list_json(call.org, rl) for rl in related.RELATED_LISTS[module.api_name]]
    return json_response({"related_lists": lists})


async def settings_related_list(request: Request) -> Response:
    call = _call(request, group="settings", resource="related_lists")
    module = _module_param(call)
    wanted = request.path_params["list_id"]
    found = [
        _related_list_json(call.org, rl)
        for rl in related.RELATED_LISTS[module.api_name]
        if _list_id(call.org, rl) == wanted
    ]
    return json_response({"related_lists": found}) if found else empty_response(204)


def _list_id(org: CrmOrg, rl: RelatedList) -> str:
    return make_id(org.prefix, MODULES[rl.module].serial * 100 + rl.serial)


def _related_list_json(org: CrmOrg, rl: RelatedList) -> dict[str, Any]:
    target = MODULES[rl.related_module]
    shown = [target.by_name[target.display_field], *(f for f in target.fields if f.api_name == "Owner")]
    return {
        "id": _list_id(org, rl),
        "sequence_number": str(rl.serial),
        "display_label": rl.api_name.replace("_", " "),
        "api_name": rl.api_name,
        "module": {"api_name": target.api_name, "id": make_id(org.prefix, target.serial)},
        "name": rl.api_name,
        "action": None,
        "href": f"{rl.module}/{{ENTITYID}}/{rl.api_name}",
        "type": "default",
        "visible": True,
        "customize_sort": True,
        "customize_fields": True,
        "customize_display_label": True,
        "sort_by": _list_field(org, shown[0]),
        "sort_order": "asc",
        "fields": [_list_field(org, f) for f in shown],
        "status": "visible",
        **({"connectedmodule": rl.related_module, "linkingmodule": rl.link_key} if rl.linking else {}),
    }


def _list_field(org: CrmOrg, f: FieldDef) -> dict[str, Any]:
    return {"api_name": f.api_name, "id": make_id(org.prefix, f.serial)}
