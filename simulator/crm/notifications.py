"""CRM notification channels (``/crm/{version}/actions/watch``) and the callbacks they send.

A channel (``channel_id``) watches events ``{Module}.{operation}`` (operations ``create``,
``edit``, ``delete``, or ``all``) and is told of each by a POST to its ``notify_url``. Its
``channel_expiry`` follows the virtual clock: one hour from now unless given, and a given expiry
further ahead than a day (API v2 to v3) or a week (v4 on) falls back to that hour, as Zoho
documents. ``fields`` (``{"Module": ["Field", ...]}``) and, from v6, ``notification_condition``
(a ``field_selection`` over up to ten fields) narrow edit notifications to edits of those fields.
With ``notify_on_related_action`` (on unless turned off), a change to a record that looks up a
watched record (a Contact's ``Account_Name``, a Product's ``Vendor_Name``) notifies that record's
channel too, as an update of it with no affected fields.

A callback is Zoho's payload: ``server_time`` (epoch milliseconds), ``query_params`` (the notify
URL's own), ``module``, ``resource_uri``, ``ids``, ``affected_fields``, ``operation`` (``insert``,
``update``, ``delete``), ``channel_id`` and ``token``, plus ``affected_values`` when
``return_affected_field_values`` is on. Zoho may batch a bulk write's records into one callback;
the simulator sends one callback per record.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from simulator.clock import parse_datetime
from simulator.crm import render, versions
from simulator.crm.errors import (
    CrmError,
    InvalidData,
    LimitExceeded,
    MandatoryNotFound,
    NotSubscribed,
    field_path,
)
from simulator.crm.metadata import MODULES, ModuleDef, find_module
from simulator.crm.models import CrmOrg
from simulator.delivery import local_url_problem
from simulator.events import RecordChange

OPERATIONS = ("create", "edit", "delete")
#: The callback's ``operation`` for each event operation.
CALLBACK_OPERATIONS = {"create": "insert", "edit": "update", "delete": "delete"}
DEFAULT_LIFETIME = timedelta(hours=1)
TOKEN_LIMIT = 50
CONDITION_FIELD_LIMIT = 10
_SETTINGS = (
    "token",
    "fields",
    "notification_condition",
    "return_affected_field_values",
    "notify_on_related_action",
)


def max_lifetime(version: str) -> timedelta:
    """How far ahead a channel may expire: a day up to v3, a week from v4 on."""
    return (
        timedelta(days=1)
        if versions.VERSIONS.index(version) <= versions.VERSIONS.index("v3")
        else timedelta(days=7)
    )


@dataclass
class Channel:
    channel_id: str
    notify_url: str
    expiry: datetime
    #: The watched modules, each with its operations.
    events: dict[str, set[str]] = field(default_factory=dict)
    token: str | None = None
    fields: dict[str, list[str]] | None = None
    notification_condition: list[dict[str, Any]] | None = None
    return_affected_field_values: bool = False
    notify_on_related_action: bool = True
    #: Where the channel was made: its ``resource_uri`` names the same base URL and API version.
    base_url: str = ""
    version: str = "v8"

    def resource_uri(self, module: str) -> str:
        return f"{self.base_url.rstrip('/')}/crm/{self.version}/{module}"

    def watches(self, module: str, operation: str) -> bool:
        return operation in self.events.get(module, ())

    def selects(self, module: str, changed: tuple[str, ...]) -> bool:
        """Whether an edit of ``changed`` fields passes the channel's field filters."""
        wanted = (self.fields or {}).get(module)
        if wanted is not None and not set(wanted) & set(changed):
            return False
        for condition in self.notification_condition or []:
            if condition["module"]["api_name"] == module and not _selected(
                condition["field_selection"], changed
            ):
                return False
        return True


class ChannelBook:
    """One CRM org's channels."""

    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}

    def live(self, now: datetime) -> list[Channel]:
        """The channels that have not expired; expired ones are forgotten."""
        for key in [key for key, channel in self.channels.items() if channel.expiry <= now]:
            del self.channels[key]
        return list(self.channels.values())

    def subscribe(self, item: Any, *, index: int, now: datetime, version: str, base_url: str) -> Channel:
        """``POST``: a new channel, or more events (and new settings) for an existing one."""
        values = parse_item(
            item, index=index, now=now, version=version, required=("channel_id", "notify_url", "events")
        )
        values.setdefault("expiry", now + DEFAULT_LIFETIME)
        channel = self.channels.get(values["channel_id"])
        if channel is None or channel.expiry <= now:
            channel = Channel(values["channel_id"], values["notify_url"], values["expiry"])
            self.channels[channel.channel_id] = channel
        _merge_events(channel, values.pop("events"))
        _assign(channel, values, base_url=base_url, version=version)
        return channel

    def replace(
        self, item: Any, *, index: int, now: datetime, version: str, base_url: str, whole: bool
    ) -> Channel:
        """``PUT`` (``whole``: what is not given goes back to its default) or ``PATCH`` (given keys only)."""
        required = ("channel_id", "notify_url", "events") if whole else ("channel_id",)
        values = parse_item(item, index=index, now=now, version=version, required=required)
        channel = self._existing(values["channel_id"], now)
        if whole:
            values.setdefault("expiry", now + DEFAULT_LIFETIME)
            channel.events.clear()
            fresh = Channel(channel.channel_id, values["notify_url"], values["expiry"])
            for name in _SETTINGS:
                setattr(channel, name, getattr(fresh, name))
        _merge_events(channel, values.pop("events", {}))
        _assign(channel, values, base_url=base_url, version=version)
        return channel

    def unsubscribe_events(
        self, item: Any, *, index: int, now: datetime, version: str
    ) -> tuple[Channel, dict[str, set[str]]]:
        """``PATCH`` with ``_delete_events``: stop the given events; a channel left with none is gone."""
        values = parse_item(item, index=index, now=now, version=version, required=("channel_id", "events"))
        channel = self._existing(values["channel_id"], now)
        for module, operations in values["events"].items():
            remaining = channel.events.get(module, set()) - operations
            if remaining:
                channel.events[module] = remaining
            else:
                channel.events.pop(module, None)
        if not channel.events:
            del self.channels[channel.channel_id]
        return channel, values["events"]

    def remove(self, channel_id: str, *, now: datetime) -> Channel:
        channel = self._existing(channel_id, now)
        del self.channels[channel_id]
        return channel

    def _existing(self, channel_id: str, now: datetime) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None or channel.expiry <= now:
            raise NotSubscribed(channel_id)
        return channel

    def callbacks(
        self, org: CrmOrg, change: RecordChange, *, now: datetime
    ) -> Iterator[tuple[Channel, dict[str, Any]]]:
        """Each live channel the change concerns, with the callback it sends."""
        channels = self.live(now)
        if not channels:
            return
        module = MODULES[change.entity]
        for channel in channels:
            if channel.watches(module.api_name, change.operation) and (
                change.operation != "edit" or channel.selects(module.api_name, change.fields)
            ):
                yield channel, callback(org, channel, module, change, now=now)
        for looked_up, record_id in _related(module, change.record):
            for channel in channels:
                if channel.notify_on_related_action and channel.watches(looked_up.api_name, "edit"):
                    related = RecordChange("crm", looked_up.api_name, "edit", record_id, None)
                    yield channel, callback(org, channel, looked_up, related, now=now)


def callback(
    org: CrmOrg, channel: Channel, module: ModuleDef, change: RecordChange, *, now: datetime
) -> dict[str, Any]:
    fields = change.fields if change.operation == "edit" else ()
    body: dict[str, Any] = {
        "server_time": int(now.timestamp() * 1000),
        "query_params": dict(parse_qsl(urlsplit(channel.notify_url).query, keep_blank_values=True)),
        "module": module.api_name,
        "resource_uri": channel.resource_uri(module.api_name),
        "ids": [change.record_id],
        "affected_fields": list(fields),
        "operation": CALLBACK_OPERATIONS[change.operation],
        "channel_id": channel.channel_id,
        "token": channel.token,
    }
    if channel.return_affected_field_values and change.record is not None and change.operation != "delete":
        record = change.record
        shown = (
            [module.by_name[name] for name in fields if name in module.by_name]
            if fields
            else [f for f in module.fields if record.get(f.api_name) is not None]
        )
        values = render.record(org, module, record, shown)
        values.pop("id", None)
        body["affected_values"] = [{"record_id": change.record_id, "values": values}]
    return body


def _related(module: ModuleDef, record: Mapping[str, Any] | None) -> Iterator[tuple[ModuleDef, str]]:
    """The records ``record`` looks up, in modules that can be watched."""
    if record is None:
        return
    for name, target in _lookups(module.api_name):
        if record.get(name):
            yield target, str(record[name])


@functools.cache
def _lookups(module: str) -> tuple[tuple[str, ModuleDef], ...]:
    fields = MODULES[module].fields
    return tuple((f.api_name, MODULES[f.lookup]) for f in fields if f.lookup in MODULES)


def _selected(selection: Mapping[str, Any], changed: tuple[str, ...]) -> bool:
    group = selection.get("group")
    if not group:
        return selection.get("field", {}).get("api_name") in changed
    results = [_selected(member, changed) for member in group]
    return all(results) if str(selection.get("group_operator", "or")).lower() == "and" else any(results)


# -- parsing a watch item ------------------------------------------------------------------------


def parse_item(
    item: Any, *, index: int, now: datetime, version: str, required: tuple[str, ...]
) -> dict[str, Any]:
    """The given keys of one ``watch`` item, checked; raises the first error Zoho would report."""
    if not isinstance(item, Mapping):
        raise InvalidData({"api_name": "watch", "json_path": f"$.watch[{index}]"})
    for name in required:
        if item.get(name) in (None, "", []):
            raise MandatoryNotFound(name, index, wrapper="watch")
    values: dict[str, Any] = {}
    if "channel_id" in item:
        values["channel_id"] = _channel_id(item["channel_id"], index)
    if "notify_url" in item:
        url = item["notify_url"]
        problem = local_url_problem(url)
        if problem:
            raise InvalidData(_path("notify_url", index), message=f"invalid notify_url: {problem}")
        values["notify_url"] = url
    if "events" in item:
        values["events"] = _events(item["events"], index)
    if item.get("channel_expiry") is not None:
        values["expiry"] = _expiry(item["channel_expiry"], index, now=now, version=version)
    if "token" in item:
        token = item["token"]
        if token is not None and not isinstance(token, str):
            raise InvalidData(_path("token", index), message="token must be a string")
        if token is not None and len(token) > TOKEN_LIMIT:
            raise LimitExceeded({**_path("token", index), "maximum_length": TOKEN_LIMIT})
        values["token"] = token
    for name in ("return_affected_field_values", "notify_on_related_action"):
        if name in item:
            if not isinstance(item[name], bool):
                raise InvalidData({**_path(name, index), "expected_data_type": "boolean"})
            values[name] = item[name]
    if "fields" in item:
        values["fields"] = _fields(item["fields"], index)
    if "notification_condition" in item:
        values["notification_condition"] = _conditions(item["notification_condition"], index)
    return values


def _path(name: str, index: int) -> dict[str, Any]:
    return field_path(name, index, wrapper="watch")


def _channel_id(raw: Any, index: int) -> str:
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise InvalidData({**_path("channel_id", index), "expected_data_type": "long"})
    return text


def _events(raw: Any, index: int) -> dict[str, set[str]]:
    if not isinstance(raw, list) or not raw:
        raise InvalidData({**_path("events", index), "expected_data_type": "jsonarray"})
    events: dict[str, set[str]] = {}
    for position, event in enumerate(raw):
        module_name, _, operation = event.rpartition(".") if isinstance(event, str) else ("", "", "")
        module = find_module(module_name) if module_name else None
        if module is None or operation not in (*OPERATIONS, "all"):
            raise InvalidData({"api_name": "events", "json_path": f"$.watch[{index}].events[{position}]"})
        events.setdefault(module.api_name, set()).update(OPERATIONS if operation == "all" else (operation,))
    return events


def _expiry(raw: Any, index: int, *, now: datetime, version: str) -> datetime:
    try:
        when = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:
        when = None
    if when is None or when <= now:
        raise InvalidData({**_path("channel_expiry", index), "expected_data_type": "datetime"})
    return when if when - now <= max_lifetime(version) else now + DEFAULT_LIFETIME


def _fields(raw: Any, index: int) -> dict[str, list[str]] | None:
    if raw is None:
        return None
    bad = InvalidData(_path("fields", index))
    if not isinstance(raw, Mapping):
        raise bad
    chosen: dict[str, list[str]] = {}
    for module_name, names in raw.items():
        module = find_module(module_name)
        if module is None or not isinstance(names, list) or not all(n in module.by_name for n in names):
            raise bad
        chosen[module.api_name] = list(names)
    return chosen


def _conditions(raw: Any, index: int) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    bad = InvalidData(_path("notification_condition", index))
    if not isinstance(raw, list):
        raise bad
    conditions = []
    for condition in raw:
        module = (
            find_module(condition.get("module", {}).get("api_name", ""))
            if isinstance(condition, Mapping)
            else None
        )
        if module is None or not isinstance(condition.get("field_selection"), Mapping):
            raise bad
        names = list(_field_names(condition["field_selection"], bad))
        if len(names) > CONDITION_FIELD_LIMIT:
            raise LimitExceeded({**_path("notification_condition", index), "limit": CONDITION_FIELD_LIMIT})
        if not all(name in module.by_name for name in names):
            raise bad
        conditions.append(
            {
                "type": "field_selection",
                "module": {"api_name": module.api_name},
                "field_selection": condition["field_selection"],
            }
        )
    return conditions


def _field_names(selection: Any, bad: CrmError) -> Iterator[str]:
    if not isinstance(selection, Mapping):
        raise bad
    group = selection.get("group")
    if group:
        if not isinstance(group, list):
            raise bad
        for member in group:
            yield from _field_names(member, bad)
        return
    name = selection.get("field", {}).get("api_name") if isinstance(selection.get("field"), Mapping) else None
    if not isinstance(name, str):
        raise bad
    yield name


def _merge_events(channel: Channel, events: Mapping[str, set[str]]) -> None:
    for module, operations in events.items():
        channel.events.setdefault(module, set()).update(operations)


def _assign(channel: Channel, values: Mapping[str, Any], *, base_url: str, version: str) -> None:
    for name, value in values.items():
        if name != "channel_id":
            setattr(channel, name, value)
    channel.base_url, channel.version = base_url, version
