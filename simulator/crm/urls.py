"""The CRM API's routes, ``/crm/{version}/...`` for every version from v2 to v8.

``{module}`` never matches ``settings``, ``org`` or ``users``, nor ``{record_id}`` the words
``upsert``, ``deleted`` and ``search``: ``POST /org`` or ``GET /Accounts/upsert`` is then a known
path with the wrong method (a 405, which the app answers as INVALID_REQUEST_METHOD) and
``/settings/nope`` an unknown URL (INVALID_URL_PATTERN), not an unknown module or a bad id.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, Route

from simulator.crm import responses as r
from simulator.crm import watch


def _segment_except(*reserved: str) -> str:
    """A regex for one path segment, unless it is one of ``reserved``."""
    return rf"(?!(?:{'|'.join(reserved)})(?:/|$))[^/]+"


class _Segment(Convertor[str]):
    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class _ModuleSegment(_Segment):
    regex = _segment_except("settings", "org", "users")


class _RecordSegment(_Segment):
    regex = _segment_except("upsert", "deleted", "search")


register_url_convertor("crm_module", _ModuleSegment())
register_url_convertor("crm_record", _RecordSegment())

_BASE = "/crm/{version}"
_MODULE = f"{_BASE}/{{module:crm_module}}"
_RECORD = f"{_MODULE}/{{record_id:crm_record}}"

routes: list[BaseRoute] = [
    Route(f"{_BASE}/settings/fields", r.settings_fields, methods=["GET"]),
    Route(f"{_BASE}/settings/modules", r.settings_modules, methods=["GET"]),
    Route(f"{_BASE}/settings/modules/{{module}}", r.settings_module, methods=["GET"]),
    Route(f"{_BASE}/settings/custom_views", r.settings_custom_views, methods=["GET"]),
    Route(f"{_BASE}/settings/custom_views/{{view_id}}", r.settings_custom_view, methods=["GET"]),
    Route(f"{_BASE}/org", r.org_details, methods=["GET"]),
    Route(f"{_BASE}/users", r.users, methods=["GET"]),
    Route(f"{_BASE}/users/{{user_id}}", r.user, methods=["GET"]),
    Route(f"{_BASE}/actions/watch", watch.details, methods=["GET"]),
    Route(f"{_BASE}/actions/watch", watch.enable, methods=["POST"]),
    Route(f"{_BASE}/actions/watch", watch.update, methods=["PUT", "PATCH"]),
    Route(f"{_BASE}/actions/watch", watch.disable, methods=["DELETE"]),
    Route(f"{_MODULE}/actions/count", r.count_records, methods=["GET"]),
    Route(f"{_MODULE}/upsert", r.upsert_records, methods=["POST"]),
    Route(f"{_MODULE}/deleted", r.deleted_records, methods=["GET"]),
    Route(f"{_MODULE}/search", r.search_records, methods=["GET"]),
    Route(_MODULE, r.list_records, methods=["GET"]),
    Route(_MODULE, r.insert_records, methods=["POST"]),
    Route(_MODULE, r.update_records, methods=["PUT"]),
    Route(_MODULE, r.delete_records, methods=["DELETE"]),
    Route(_RECORD, r.get_record, methods=["GET"]),
    Route(_RECORD, r.update_record, methods=["PUT"]),
    Route(_RECORD, r.delete_record, methods=["DELETE"]),
]
