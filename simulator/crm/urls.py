"""The CRM API's routes, ``/crm/{version}/...`` for every version from v2 to v8.

``{module}`` never matches ``settings``, ``org``, ``users`` or ``coql``, nor ``{record_id}`` the words
``upsert``, ``deleted``, ``search`` and ``actions``: ``POST /org`` or ``GET /Accounts/upsert`` is then a known
path with the wrong method (a 405, which the app answers as INVALID_REQUEST_METHOD) and
``/settings/nope`` an unknown URL (INVALID_URL_PATTERN), not an unknown module or a bad id.
"""

from __future__ import annotations

from starlette.convertors import StringConvertor, register_url_convertor
from starlette.routing import BaseRoute, Route

from simulator.crm import (
    bulk_responses,
    composite,
    responses_coql,
    responses_mass_update,
    responses_related,
    responses_settings,
    responses_tags,
    watch,
)
from simulator.crm import responses as r


def _segment_except(*reserved: str) -> str:
    """A regex for one path segment, unless it is one of ``reserved``."""
    return rf"(?!(?:{'|'.join(reserved)})(?:/|$))[^/]+"


class _Segment(StringConvertor):
    """One path segment (a ``StringConvertor``, so ``router_index`` files it as one) but not a
    reserved word."""

    def to_string(self, value: str) -> str:
        return value


class _ModuleSegment(_Segment):
    regex = _segment_except("settings", "org", "users", "coql")


class _RecordSegment(_Segment):
    regex = _segment_except("upsert", "deleted", "search", "actions")


register_url_convertor("crm_module", _ModuleSegment())
register_url_convertor("crm_record", _RecordSegment())

_BASE = "/crm/{version}"
_MODULE = f"{_BASE}/{{module:crm_module}}"
_RECORD = f"{_MODULE}/{{record_id:crm_record}}"
_RELATED = f"{_RECORD}/{{related_list}}"
_SETTINGS = f"{_BASE}/settings"
_rel, _set, _tag = responses_related, responses_settings, responses_tags

_BULK_READ = "/crm/bulk/{version}/read"

routes: list[BaseRoute] = [
    Route(f"{_BASE}/__composite_requests", composite.composite_requests, methods=["POST"]),
    Route(_BULK_READ, bulk_responses.create_job, methods=["POST"]),
    Route(f"{_BULK_READ}/{{job_id}}", bulk_responses.job_details, methods=["GET"]),
    Route(f"{_BULK_READ}/{{job_id}}/result", bulk_responses.download_result, methods=["GET"]),
    Route(f"{_BASE}/settings/fields", r.settings_fields, methods=["GET"]),
    Route(f"{_BASE}/settings/modules", r.settings_modules, methods=["GET"]),
    Route(f"{_BASE}/settings/modules/{{module}}", r.settings_module, methods=["GET"]),
    Route(f"{_BASE}/settings/custom_views", r.settings_custom_views, methods=["GET"]),
    Route(f"{_BASE}/settings/custom_views/{{view_id}}", r.settings_custom_view, methods=["GET"]),
    Route(f"{_BASE}/org", r.org_details, methods=["GET"]),
    Route(f"{_BASE}/coql", responses_coql.query, methods=["POST"]),
    Route(f"{_BASE}/users", r.users, methods=["GET"]),
    Route(f"{_BASE}/users/{{user_id}}", r.user, methods=["GET"]),
    Route(f"{_BASE}/actions/watch", watch.details, methods=["GET"]),
    Route(f"{_BASE}/actions/watch", watch.enable, methods=["POST"]),
    Route(f"{_BASE}/actions/watch", watch.update, methods=["PUT", "PATCH"]),
    Route(f"{_BASE}/actions/watch", watch.disable, methods=["DELETE"]),
    Route(f"{_SETTINGS}/fields/{{field_id}}", _set.settings_field, methods=["GET"]),
    Route(f"{_SETTINGS}/layouts", _set.layouts, methods=["GET"]),
    Route(f"{_SETTINGS}/layouts/{{layout_id}}", _set.layout, methods=["GET"]),
    Route(f"{_SETTINGS}/related_lists", _rel.settings_related_lists, methods=["GET"]),
    Route(f"{_SETTINGS}/related_lists/{{list_id}}", _rel.settings_related_list, methods=["GET"]),
    Route(f"{_SETTINGS}/recycle_bin", _set.recycle_bin_records, methods=["GET"]),
    Route(f"{_SETTINGS}/recycle_bin", _set.purge_recycle_bin, methods=["DELETE"]),
    Route(f"{_SETTINGS}/recycle_bin/{{record_id}}", _set.recycle_bin_record, methods=["GET"]),
    Route(f"{_SETTINGS}/recycle_bin/{{record_id}}", _set.purge_recycle_bin_record, methods=["DELETE"]),
    Route(f"{_SETTINGS}/tags", _tag.list_tags, methods=["GET"]),
    Route(f"{_SETTINGS}/tags", _tag.create_tags, methods=["POST"]),
    Route(f"{_SETTINGS}/tags/{{tag_id}}", _tag.update_tag, methods=["PUT"]),
    Route(f"{_SETTINGS}/tags/{{tag_id}}", _tag.delete_tag, methods=["DELETE"]),
    Route(f"{_SETTINGS}/tags/{{tag_id}}/actions/records_count", _tag.tag_records_count, methods=["GET"]),
    Route(f"{_MODULE}/actions/add_tags", _tag.add_tags, methods=["POST"]),
    Route(f"{_MODULE}/actions/remove_tags", _tag.remove_tags, methods=["POST"]),
    Route(f"{_RECORD}/actions/add_tags", _tag.add_tags, methods=["POST"]),
    Route(f"{_RECORD}/actions/remove_tags", _tag.remove_tags, methods=["POST"]),
    Route(f"{_MODULE}/actions/mass_update", responses_mass_update.schedule, methods=["POST"]),
    Route(f"{_MODULE}/actions/mass_update", responses_mass_update.status, methods=["GET"]),
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
    Route(_RELATED, _rel.related_records, methods=["GET"]),
    Route(_RELATED, _rel.link_records, methods=["PUT"]),
    Route(_RELATED, _rel.delink_records, methods=["DELETE"]),
    Route(f"{_RELATED}/{{related_id}}", _rel.related_record, methods=["GET"]),
    Route(f"{_RELATED}/{{related_id}}", _rel.link_record, methods=["PUT"]),
    Route(f"{_RELATED}/{{related_id}}", _rel.delink_record, methods=["DELETE"]),
]
