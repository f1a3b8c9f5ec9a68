"""The Notifications API's endpoints, ``/crm/{version}/actions/watch``: enable (POST), list (GET),
update (PUT: the whole channel; PATCH: given keys, or ``_delete_events`` to stop some events) and
disable (DELETE ``?channel_ids=``). Scopes ``ZohoCRM.notifications.{READ,CREATE,UPDATE,DELETE}``
(or ``WRITE``, ``ALL``).

Each ``watch`` item succeeds or fails on its own; a reply with a failed item is HTTP 202, as
Zoho's OpenAPI document lists it, and carries every item's outcome in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulator.clock import crm_datetime
from simulator.crm import params as p
from simulator.crm.errors import (
    CrmError,
    InvalidData,
    InvalidModule,
    RequiredParamMissing,
    UnableToParseDataType,
)
from simulator.crm.metadata import MODULES, find_module, make_id
from simulator.crm.notifications import OPERATIONS, Channel, ChannelBook
from simulator.crm.responses import Call, _authenticate, _require
from simulator.http import BodyError, empty_response, json_response, read_json
from simulator.tenants import Simulator

_SUBSCRIBED = "Successfully subscribed for actions-watch of the given module"
_UPDATED = "Successfully updated the subscribe details"
_REMOVED = "Successfully removed the subscribe details"
_UNSUBSCRIBED = "Successfully un-subscribed from actions-watch"


def _watch_call(request: Request, action: str) -> tuple[Call, ChannelBook]:
    call = _authenticate(request)
    _require(call, group="notifications", resource=None, action=action)
    sim: Simulator = request.app.state.simulator
    return call, sim.notifier.channel_book(sim.tenants[call.token.tenant_id])


def _base_url(request: Request) -> str:
    """The base URL a channel's ``resource_uri`` names: the public one if set, else the request's."""
    return request.app.state.simulator.public_url or str(request.base_url)


async def _items(request: Request) -> list[Any]:
    try:
        body = await read_json(request)
    except BodyError as exc:
        if str(exc) == "empty":
            raise RequiredParamMissing("watch") from None
        raise UnableToParseDataType() from None
    if not isinstance(body, dict):
        raise UnableToParseDataType()
    items = body.get("watch")
    if items is None:
        raise RequiredParamMissing("watch")
    if not isinstance(items, list) or not items:
        raise InvalidData({"api_name": "watch", "json_path": "$.watch"})
    return items


async def enable(request: Request) -> Response:
    call, book = _watch_call(request, "CREATE")
    items = await _items(request)
    now, base = call.org.clock.now(), _base_url(request)

    def one(index: int, item: Any) -> dict[str, Any]:
        channel = book.subscribe(item, index=index, now=now, version=call.version, base_url=base)
        return _success(_SUBSCRIBED, call, channel, channel.events)

    return _reply(_each(items, one), ok_status=201)


async def update(request: Request) -> Response:
    """PUT replaces a channel's details; PATCH changes only the keys given, or stops events."""
    call, book = _watch_call(request, "UPDATE")
    items = await _items(request)
    now, base, whole = call.org.clock.now(), _base_url(request), request.method == "PUT"

    def one(index: int, item: Any) -> dict[str, Any]:
        if not whole and isinstance(item, dict) and item.get("_delete_events") is True:
            channel, stopped = book.unsubscribe_events(item, index=index, now=now, version=call.version)
            return _success(_REMOVED, call, channel, stopped, expiry=False)
        channel = book.replace(item, index=index, now=now, version=call.version, base_url=base, whole=whole)
        return _success(_UPDATED, call, channel, channel.events)

    return _reply(_each(items, one))


async def disable(request: Request) -> Response:
    call, book = _watch_call(request, "DELETE")
    raw = call.params.get("channel_ids")
    if not raw:
        raise RequiredParamMissing("channel_ids")
    now = call.org.clock.now()

    def one(index: int, channel_id: str) -> dict[str, Any]:
        channel = book.remove(channel_id.strip(), now=now)
        return _success(_UNSUBSCRIBED, call, channel, channel.events, expiry=False)

    return _reply(_each(list(dict.fromkeys(raw.split(","))), one))


async def details(request: Request) -> Response:
    call, book = _watch_call(request, "READ")
    module_name = call.params.get("module")
    module = find_module(module_name) if module_name else None
    if module_name and module is None:
        raise InvalidModule.param()
    wanted_channel = call.params.get("channel_id")
    page, per_page = p.integer(call.params, "page", default=1), p.per_page(call.params)
    rows = [
        _channel_json(call, channel, name)
        for channel in sorted(book.live(call.org.clock.now()), key=lambda c: c.channel_id)
        if wanted_channel in (None, channel.channel_id)
        for name in sorted(channel.events)
        if module is None or module.api_name == name
    ]
    chunk = rows[(page - 1) * per_page : page * per_page]
    if not chunk:
        return empty_response(204)
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "more_records": page * per_page < len(rows),
    }
    return json_response({"watch": chunk, "info": info})


def _each(items: list[Any], one: Any) -> list[dict[str, Any] | CrmError]:
    outcomes: list[dict[str, Any] | CrmError] = []
    for index, item in enumerate(items):
        try:
            outcomes.append(one(index, item))
        except CrmError as error:
            outcomes.append(error)
    return outcomes


def _reply(outcomes: list[dict[str, Any] | CrmError], *, ok_status: int = 200) -> Response:
    failed = any(isinstance(outcome, CrmError) for outcome in outcomes)
    shown = [outcome.body() if isinstance(outcome, CrmError) else outcome for outcome in outcomes]
    return json_response({"watch": shown}, status_code=202 if failed else ok_status)


def _success(
    message: str, call: Call, channel: Channel, modules: Iterable[str], *, expiry: bool = True
) -> dict[str, Any]:
    events = []
    for name in sorted(modules):
        event = _resource(call, channel, name)
        if expiry:
            event["channel_expiry"] = crm_datetime(channel.expiry, call.org.time_zone)
        events.append(event)
    return {"code": "SUCCESS", "details": {"events": events}, "message": message, "status": "success"}


def _resource(call: Call, channel: Channel, module: str) -> dict[str, Any]:
    return {
        "resource_uri": channel.resource_uri(module),
        "resource_id": make_id(call.org.prefix, MODULES[module].serial),
        "resource_name": module,
        "channel_id": channel.channel_id,
    }


def _channel_json(call: Call, channel: Channel, module: str) -> dict[str, Any]:
    shown = {
        "notify_on_related_action": channel.notify_on_related_action,
        "channel_expiry": crm_datetime(channel.expiry, call.org.time_zone),
        "return_affected_field_values": channel.return_affected_field_values,
        **_resource(call, channel, module),
        "notify_url": channel.notify_url,
        "fields": channel.fields,
        "events": [
            f"{module}.{operation}" for operation in OPERATIONS if operation in channel.events[module]
        ],
        "token": channel.token,
    }
    if channel.notification_condition is not None:
        shown["notification_condition"] = channel.notification_condition
    return shown
