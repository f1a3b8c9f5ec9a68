"""Query-string and header parameters of the CRM API, parsed into values or rejected with the
error Zoho gives (research §1.1, §1.6, §2).

Numbers that are not numbers fail the way Zoho's parameter layer fails them
(UNABLE_TO_PARSE_DATA_TYPE); well-formed values outside their range are INVALID_DATA.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, cast

from simulator.clock import parse_datetime
from simulator.crm.errors import (
    AmbiguityDuringProcessing,
    InvalidData,
    LimitExceeded,
    RequiredParamMissing,
    UnableToParseDataType,
)
from simulator.crm.metadata import FieldDef, ModuleDef
from simulator.crm.models import SORTABLE
from simulator.ids import is_zoho_id

MAX_FIELDS = 50
MAX_PER_PAGE = 200
MAX_IDS = 100

Order = Literal["asc", "desc"]


def fields(module: ModuleDef, raw: str | None, *, required: bool) -> tuple[FieldDef, ...] | None:
    """The ``fields`` to return; None means every field (allowed where not ``required``).

    A client asks for the same list page after page, so each answer is kept per (module, raw
    list), up to ``_KEPT_FIELD_LISTS`` of them; a refusal is raised afresh each time."""
    key = (module.api_name, raw, required)
    kept = _field_lists.get(key)
    if kept is not None and kept[0] is module:
        return kept[1]
    found = _fields(module, raw, required=required)
    if len(_field_lists) >= _KEPT_FIELD_LISTS:
        _field_lists.clear()
    _field_lists[key] = (module, found)
    return found


_KEPT_FIELD_LISTS = 256
_field_lists: dict[tuple[str, str | None, bool], tuple[ModuleDef, tuple[FieldDef, ...] | None]] = {}


def _fields(module: ModuleDef, raw: str | None, *, required: bool) -> tuple[FieldDef, ...] | None:
    names = list(dict.fromkeys(name.strip() for name in (raw or "").split(",") if name.strip()))
    if not names:
        if required:
            raise RequiredParamMissing("fields")
        return None
    if len(names) > MAX_FIELDS:
        raise LimitExceeded.param("fields", MAX_FIELDS)
    unknown = next((name for name in names if name not in module.by_name), None)
    if unknown is not None:
        raise InvalidData({"param_name": "fields", "api_name": unknown})
    return tuple(module.by_name[name] for name in names)


def integer(params: Mapping[str, str], name: str, *, default: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UnableToParseDataType() from None
    if value < 1:
        raise InvalidData.param(name)
    if maximum is not None and value > maximum:
        raise LimitExceeded.param(name, maximum)
    return value


def per_page(params: Mapping[str, str]) -> int:
    return integer(params, "per_page", default=MAX_PER_PAGE, maximum=MAX_PER_PAGE)


def ids(raw: str | None, *, name: str = "ids") -> list[str] | None:
    """A comma-separated id list; ids are all digits."""
    if raw is None:
        return None
    values = [value.strip() for value in raw.split(",") if value.strip()]
    if not all(is_zoho_id(value) for value in values):
        raise UnableToParseDataType()
    if len(values) > MAX_IDS:
        raise LimitExceeded.param(name, MAX_IDS)
    return values


def record_id(raw: str, *, resource_path_index: int = 1) -> str:
    if not is_zoho_id(raw):
        raise InvalidData.invalid_id({"resource_path_index": resource_path_index})
    return raw


def sorting(params: Mapping[str, str], *, with_view: bool) -> tuple[str | None, Order | None]:
    """``sort_by`` (one of id, Created_Time, Modified_Time) and ``sort_order``; a view sorts itself."""
    sort_by, sort_order = params.get("sort_by"), params.get("sort_order")
    if sort_by is not None and with_view:
        raise AmbiguityDuringProcessing("sort_by", "cvid")
    if sort_by is not None and sort_by not in SORTABLE:
        raise InvalidData.param("sort_by", supported_values=list(SORTABLE))
    if sort_order is not None and sort_order not in ("asc", "desc"):
        raise InvalidData.param("sort_order", supported_values=["asc", "desc"])
    return sort_by, cast("Order | None", sort_order)


def modified_since(headers: Mapping[str, str]) -> datetime | None:
    """Zoho's ISO-8601 form (``2019-07-25T15:26:49+05:30``), or HTTP's own date format."""
    raw = headers.get("if-modified-since")
    if raw is None:
        return None
    for parse in (parse_datetime, _http_date):
        try:
            return parse(raw)
        except (TypeError, ValueError):
            continue
    raise InvalidData.param("If-Modified-Since")


def _http_date(raw: str) -> datetime:
    when = parsedate_to_datetime(raw)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...], *, default: str) -> str:
    value = params.get(name) or default
    if value not in allowed:
        raise InvalidData.param(name, supported_values=list(allowed))
    return value
