"""The CRM API's endpoints: authenticate, parse the request, ask the org, shape the reply.

Every route carries a ``{version}`` path parameter: ``v2`` to ``v8`` share one route set, and
where a version's replies differ from v8's, ``versions.CHANGES`` says how (e.g. ``v2`` and ``v2.1``
have no page tokens and a short ``info``).  Errors are raised; the app renders them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from simulator.accounts.models import AccessToken, AuthError
from simulator.clock import crm_datetime
from simulator.crm import params as p
from simulator.crm import render, versions
from simulator.crm.errors import (
    AmbiguityDuringProcessing,
    AuthenticationFailure,
    DataErrors,
    ExpectedParamMissing,
    InvalidData,
    InvalidModule,
    InvalidToken,
    InvalidUrlPattern,
    LimitExceeded,
    LimitReached,
    OauthScopeMismatch,
    RequiredParamMissing,
    UnableToParseDataType,
)
from simulator.crm.metadata import MODULES, FieldDef, ModuleDef, field_json, find_module, make_id, module_json
from simulator.crm.models import USER_TYPES_PARAM, CrmOrg, CustomView, Search, WriteOutcome
from simulator.crm.paging import DISCRETE_LIMIT, Window, binding, issue_token, page_window, token_window
from simulator.crm.record import CrmRecord
from simulator.http import JSON_MEDIA_TYPE, BodyError, empty_response, json_response, query_params, read_json
from simulator.ids import is_zoho_id

MAX_WRITE_RECORDS = 100
_SEARCH_PARAMS = ("criteria", "email", "phone", "word")
_COUNT_AMBIGUITY = "Please use either Cvid or Search Params. Combination of both the params is not allowed"


@dataclass(frozen=True)
class Call:
    """An authenticated request: the caller's org, token and API version."""

    org: CrmOrg
    token: AccessToken
    version: str
    params: Mapping[str, str]

    def has(self, change: str) -> bool:
        """Whether this call's API version already behaves as ``versions.CHANGES[change]`` says."""
        return versions.has(self.version, change)


def _call(request: Request, *, group: str, resource: str | None = None, action: str = "READ") -> Call:
    call = _authenticate(request)
    _require(call, group=group, resource=resource, action=action)
    return call


def _authenticate(request: Request) -> Call:
    version = request.path_params["version"]
    if version not in versions.VERSIONS:
        raise InvalidUrlPattern()
    try:
        tenant, token = request.app.state.simulator.authenticate(request.headers.get("authorization"))
    except AuthError as exc:
        raise (AuthenticationFailure() if exc.kind == "missing" else InvalidToken()) from None
    return Call(tenant.crm, token, version, query_params(request))


def _require(call: Call, *, group: str, resource: str | None, action: str) -> None:
    if not call.token.allows(service="ZohoCRM", group=group, action=action, resource=resource):
        raise OauthScopeMismatch()


def _module_call(request: Request, action: str) -> tuple[Call, ModuleDef]:
    call = _authenticate(request)
    module = find_module(request.path_params["module"])
    if module is None:
        raise InvalidModule()
    _require(call, group="modules", resource=module.api_name.lower(), action=action)
    return call, module


# -- reading records ---------------------------------------------------------------------------


async def list_records(request: Request) -> Response:
    call, module = _module_call(request, "READ")
    fields = p.fields(module, call.params.get("fields"), required=call.has("fields_required"))
    view = _view_param(call, module)
    sort_by, sort_order = p.sorting(call.params, with_view=view is not None)
    ids = p.ids(call.params.get("ids"))
    since = p.modified_since(request.headers)
    window, bound = _window(call, module)
    rows = call.org.list_records(
        module.api_name, ids=ids, view=view, modified_since=since, sort_by=sort_by, sort_order=sort_order
    )
    page, more = rows.page(window.offset, window.per_page)
    if not page:
        return empty_response(304 if since is not None and not rows else 204)
    shown_by = sort_by or (view.sort_by if view else None) or "id"
    shown_order = sort_order or (view.sort_order if view else None) or "desc"
    info = (
        _token_info(call, window, len(page), more, bound, sort=(shown_by, shown_order))
        if call.has("page_tokens")
        else _short_info(window, len(page), more)
    )
    return rows_reply(call.org, module, page, fields, info)


def rows_reply(
    org: CrmOrg, module: ModuleDef, rows: Sequence[CrmRecord], fields: Sequence[FieldDef] | None, info: Any
) -> Response:
    """``{"data": rows, "info": info}`` with the rows joined from their cached JSON (``render.py``)."""
    tail = b',"info":' + orjson.dumps(info) + b"}"
    body = render.records_json(org, module, rows, fields, head=b'{"data":', tail=tail)
    return Response(body, media_type=JSON_MEDIA_TYPE)


def _window(call: Call, module: ModuleDef) -> tuple[Window, str]:
    """The slice to return, from ``page`` or ``page_token``, and what a page token is bound to."""
    per_page = p.per_page(call.params)
    bound = binding(
        call.org.org_id,
        call.org.current_user_id,
        module.api_name,
        params={k: v for k, v in call.params.items() if k not in ("page", "page_token")},
    )
    token = call.params.get("page_token")
    tokens = call.has("page_tokens")
    if token is not None and tokens:
        if "page" in call.params:
            raise AmbiguityDuringProcessing("page", "page_token")
        return token_window(token, per_page=per_page, bound_to=bound, now=call.org.clock.now()), bound
    page = p.integer(call.params, "page", default=1)
    return page_window(page=page, per_page=per_page, limit=DISCRETE_LIMIT if tokens else None), bound


def _token_info(
    call: Call, window: Window, count: int, more: bool, bound: str, *, sort: tuple[str, str]
) -> dict[str, Any]:
    now, tz = call.org.clock.now(), call.org.time_zone
    next_token, expiry = issue_token(window.offset + count, bound_to=bound, now=now) if more else (None, None)
    previous = None
    if "page_token" in call.params and window.offset > 0:
        previous, _ = issue_token(max(0, window.offset - window.per_page), bound_to=bound, now=now)
    return {
        "call": False,
        "per_page": window.per_page,
        "next_page_token": next_token,
        "count": count,
        "sort_by": sort[0],
        "page": window.page,
        "previous_page_token": previous,
        "page_token_expiry": crm_datetime(expiry, tz) if expiry else None,
        "sort_order": sort[1],
        "email": False,
        "more_records": more,
    }


def _short_info(window: Window, count: int, more: bool) -> dict[str, Any]:
    return {"per_page": window.per_page, "count": count, "page": window.page, "more_records": more}


def _view_param(call: Call, module: ModuleDef) -> CustomView | None:
    raw = call.params.get("cvid")
    if raw is None:
        return None
    view = call.org.view(module.api_name, raw) if is_zoho_id(raw) else None
    if view is None:
        raise InvalidData.param("cvid")
    return view


async def get_record(request: Request) -> Response:
    call, module = _module_call(request, "READ")
    record_id = p.record_id(request.path_params["record_id"])
    fields = p.fields(module, call.params.get("fields"), required=False)
    since = p.modified_since(request.headers)
    stored = call.org.get(module.api_name, record_id)
    if stored is None:
        return empty_response(204)
    if since is not None and stored["Modified_Time"] <= since:
        return empty_response(304)
    return json_response({"data": [render.record(call.org, module, stored, fields)]})


async def deleted_records(request: Request) -> Response:
    call, module = _module_call(request, "READ")
    kind = p.choice(call.params, "type", ("all", "recycle", "permanent"), default="all")
    window = page_window(
        page=p.integer(call.params, "page", default=1), per_page=p.per_page(call.params), limit=None
    )
    since = p.modified_since(request.headers)
    rows = call.org.deleted_records(module.api_name, kind=kind, modified_since=since)
    page = rows[window.offset : window.offset + window.per_page]
    if not page:
        return empty_response(304 if since is not None and not rows else 204)
    more = window.offset + len(page) < len(rows)
    data = [render.deleted(call.org, row) for row in page]
    return json_response({"data": data, "info": _short_info(window, len(page), more)})


async def search_records(request: Request) -> Response:
    call, module = _module_call(request, "READ")
    query = _search_query(call)
    if not query.given:
        raise ExpectedParamMissing(*_SEARCH_PARAMS)
    fields = p.fields(module, call.params.get("fields"), required=False)
    view = _view_param(call, module)
    sort_by, sort_order = p.sorting(call.params, with_view=False)
    page, per_page = p.integer(call.params, "page", default=1), p.per_page(call.params)
    if page * per_page > DISCRETE_LIMIT:
        raise LimitReached(DISCRETE_LIMIT)
    rows = call.org.search(module.api_name, query, view=view, sort_by=sort_by, sort_order=sort_order)
    chunk, more = rows.page((page - 1) * per_page, per_page)
    if not chunk:
        return empty_response(204)
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "sort_by": sort_by or "id",
        "page": page,
        "sort_order": sort_order or "desc",
        "more_records": more,
    }
    if not call.has("page_tokens"):
        del info["sort_by"], info["sort_order"]
    return rows_reply(call.org, module, chunk, fields, info)


def _search_query(call: Call) -> Search:
    return Search(**{name: call.params.get(name) or None for name in _SEARCH_PARAMS})


async def count_records(request: Request) -> Response:
    call, module = _module_call(request, "READ")
    query = _search_query(call)
    if "cvid" in call.params and query.given:
        given = next(name for name in _SEARCH_PARAMS if getattr(query, name) is not None)
        raise AmbiguityDuringProcessing("cvid", given, message=_COUNT_AMBIGUITY)
    view = _view_param(call, module)
    if query.given:
        rows = call.org.search(module.api_name, query)
    else:
        rows = call.org.list_records(module.api_name, view=view)
    return json_response({"count": len(rows)})


# -- writing records ---------------------------------------------------------------------------


async def _write_body(request: Request) -> tuple[dict[str, Any], list[Any]]:
    """The body's ``data`` list.

    A body that is not JSON (or not an object) is UNABLE_TO_PARSE_DATA_TYPE, Zoho's "either the
    request body or parameters is in wrong format".  A body without ``data`` is
    REQUIRED_PARAM_MISSING naming ``data``, as a missing ``ids`` or ``fields`` is; a ``data`` that is
    not a non-empty list is INVALID_DATA at ``$.data``.  Over 100 records is Zoho's LIMIT_EXCEEDED
    item, reported inside ``data``.
    """
    try:
        body = await read_json(request)
    except BodyError as exc:
        if str(exc) == "empty":
            raise RequiredParamMissing("data") from None
        raise UnableToParseDataType() from None
    if not isinstance(body, dict):
        raise UnableToParseDataType()
    if "data" not in body:
        raise RequiredParamMissing("data")
    data = body["data"]
    if not isinstance(data, list) or not data:
        raise InvalidData({"api_name": "data", "json_path": "$.data"})
    if len(data) > MAX_WRITE_RECORDS:
        raise DataErrors([LimitExceeded.records(MAX_WRITE_RECORDS)])
    return body, data


def _write_reply(
    org: CrmOrg, outcomes: Sequence[WriteOutcome], *, ok_status: int = 200, upsert: bool = False
) -> Response:
    """All succeeded: ``ok_status``; all failed: 400; a mix: 207.  Items keep the input order."""
    failed = sum(outcome.error is not None for outcome in outcomes)
    status = ok_status if not failed else 400 if failed == len(outcomes) else 207
    items = [render.outcome(org, outcome, upsert=upsert) for outcome in outcomes]
    return json_response({"data": items}, status_code=status)


async def insert_records(request: Request) -> Response:
    call, module = _module_call(request, "CREATE")
    _, data = await _write_body(request)
    return _write_reply(call.org, call.org.insert(module.api_name, data), ok_status=201)


async def update_records(request: Request) -> Response:
    call, module = _module_call(request, "UPDATE")
    _, data = await _write_body(request)
    return _write_reply(call.org, call.org.update(module.api_name, data))


async def update_record(request: Request) -> Response:
    """``PUT /{module}/{id}``: the path's id wins over any id in the body's one record."""
    call, module = _module_call(request, "UPDATE")
    record_id = p.record_id(request.path_params["record_id"])
    _, data = await _write_body(request)
    item = {**data[0], "id": record_id} if isinstance(data[0], Mapping) else data[0]
    return _write_reply(call.org, call.org.update(module.api_name, [item]))


async def upsert_records(request: Request) -> Response:
    call, module = _module_call(request, "CREATE")
    body, data = await _write_body(request)
    check = body.get("duplicate_check_fields")
    if check is not None and not (isinstance(check, list) and all(isinstance(name, str) for name in check)):
        raise InvalidData({"api_name": "duplicate_check_fields", "json_path": "$.duplicate_check_fields"})
    outcomes = call.org.upsert(module.api_name, data, duplicate_check_fields=check)
    return _write_reply(call.org, outcomes, upsert=True)


async def delete_records(request: Request) -> Response:
    call, module = _module_call(request, "DELETE")
    ids = p.ids(call.params.get("ids"))
    if not ids:
        raise RequiredParamMissing("ids")
    return _write_reply(call.org, call.org.delete(module.api_name, list(dict.fromkeys(ids))))


async def delete_record(request: Request) -> Response:
    call, module = _module_call(request, "DELETE")
    record_id = p.record_id(request.path_params["record_id"])
    return _write_reply(call.org, call.org.delete(module.api_name, [record_id]))


# -- metadata ----------------------------------------------------------------------------------


def _module_param(call: Call) -> ModuleDef:
    name = call.params.get("module")
    if not name:
        raise RequiredParamMissing("module")
    module = find_module(name)
    if module is None:
        raise InvalidModule.param()
    return module


async def settings_fields(request: Request) -> Response:
    call = _call(request, group="settings", resource="fields")
    module = _module_param(call)
    prefix, version = call.org.prefix, call.version
    fields = [field_json(module, f, prefix=prefix, version=version) for f in module.fields]
    return json_response({"fields": fields})


async def settings_modules(request: Request) -> Response:
    call = _call(request, group="settings", resource="modules")
    modules = sorted(MODULES.values(), key=lambda module: module.sequence_number)
    shown = [module_json(module, prefix=call.org.prefix, version=call.version) for module in modules]
    return json_response({"modules": shown})


async def settings_module(request: Request) -> Response:
    """``settings/modules/{api_name}`` also answers to the module's id."""
    call = _call(request, group="settings", resource="modules")
    wanted = request.path_params["module"]
    module = find_module(wanted) or next(
        (m for m in MODULES.values() if make_id(call.org.prefix, m.serial) == wanted), None
    )
    if module is None:
        raise InvalidModule.path(2)
    return json_response({"modules": [module_json(module, prefix=call.org.prefix, version=call.version)]})


async def settings_custom_views(request: Request) -> Response:
    call = _call(request, group="settings", resource="custom_views")
    module = _module_param(call)
    window = page_window(
        page=p.integer(call.params, "page", default=1), per_page=p.per_page(call.params), limit=None
    )
    views = call.org.views_of(module.api_name)
    chunk = views[window.offset : window.offset + window.per_page]
    if not chunk:
        return empty_response(204)
    default = next(view.id for view in views if view.default)
    info = {
        "per_page": window.per_page,
        "default": default,
        "count": len(chunk),
        "page": window.page,
        "more_records": window.offset + len(chunk) < len(views),
        "translation": render.TRANSLATION,
    }
    return json_response(
        {"custom_views": [render.view_summary(call.org, view) for view in chunk], "info": info}
    )


async def settings_custom_view(request: Request) -> Response:
    call = _call(request, group="settings", resource="custom_views")
    view_id = p.record_id(request.path_params["view_id"], resource_path_index=2)
    module = _module_param(call)
    view = call.org.view(module.api_name, view_id)
    if view is None:
        return empty_response(204)
    info = {
        "per_page": 200,
        "default": next(v.id for v in call.org.views_of(module.api_name) if v.default),
        "count": 1,
        "page": 1,
        "more_records": False,
        "translation": render.TRANSLATION,
    }
    return json_response({"custom_views": [render.view_detail(call.org, view)], "info": info})


# -- org and users -----------------------------------------------------------------------------


async def org_details(request: Request) -> Response:
    call = _call(request, group="org")
    return json_response({"org": [render.org_details(call.org, version=call.version)]})


async def users(request: Request) -> Response:
    call = _call(request, group="users")
    user_type = p.choice(call.params, "type", USER_TYPES_PARAM, default="AllUsers")
    ids = p.ids(call.params.get("ids"))
    window = page_window(
        page=p.integer(call.params, "page", default=1), per_page=p.per_page(call.params), limit=None
    )
    people = [user for user in call.org.users_of_type(user_type) if ids is None or user.id in ids]
    chunk = people[window.offset : window.offset + window.per_page]
    if not chunk:
        return empty_response(204)
    more = window.offset + len(chunk) < len(people)
    return json_response(
        {
            "users": [render.user(call.org, user) for user in chunk],
            "info": _short_info(window, len(chunk), more),
        }
    )


async def user(request: Request) -> Response:
    call = _call(request, group="users")
    user_id = p.record_id(request.path_params["user_id"])
    person = call.org.users.get(user_id)
    if person is None:
        return empty_response(204)
    info = {"per_page": 200, "count": 1, "page": 1, "more_records": False}
    return json_response({"users": [render.user(call.org, person)], "info": info})
