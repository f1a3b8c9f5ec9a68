"""The CRM API's JSON shapes for the org's state: records, write results, users, views, the org.

Names are resolved here, at read time: a lookup renders as ``{"name", "id"}`` of the record it
points at (``null`` once that record is gone), a user as ``{"name", "id", "email"}``.  Times are
shown in the org's time zone (``crm_datetime``).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from orjson import dumps

from simulator.clock import crm_datetime, crm_formatter
from simulator.crm import versions
from simulator.crm.metadata import ADMIN_PROFILE_SERIAL, MODULES, FieldDef, ModuleDef, make_id
from simulator.crm.models import CrmOrg, CustomView, DeletedRecord, User, WriteOutcome
from simulator.crm.record import DERIVED_NAMES, CrmRecord
from simulator.crm.tags import Tag, record_tags
from simulator.rendered import KeptRenderings

_ROLE_SERIALS = {"CEO": 26005, "Manager": 26008, "Sales Representative": 26010}
_PROFILE_SERIALS = {"Administrator": ADMIN_PROFILE_SERIAL, "Standard": 26014}


def record(
    org: CrmOrg, module: ModuleDef, stored: CrmRecord, fields: Iterable[FieldDef] | None
) -> dict[str, Any]:
    """A record as the API returns it: the requested fields and ``id``, or every field."""
    return records(org, module, (stored,), fields)[0]


def records(
    org: CrmOrg, module: ModuleDef, rows: Iterable[CrmRecord], fields: Iterable[FieldDef] | None
) -> list[dict[str, Any]]:
    """Each of ``rows`` as ``record`` shows it, for a whole page at once.

    The rows are built by a function generated for the field list (``_row_builder``): one dict
    display per row, with datetime, lookup and user values passed through their converters. A
    page's lookups and users repeat (a few owners, a few accounts), so each distinct reference is
    resolved once per call; nothing outlives the call, so a rename shows at once.
    """
    shown = tuple(module.fields if fields is None else fields)
    build = _row_builder(tuple((f.api_name, _kind(f)) for f in shown), fields is None)
    converters = tuple(_converter(org, f) for f in shown if _kind(f) != "plain")
    rows = list(rows)
    built = build(rows, converters)
    if fields is None:  # a whole record also lists its tags, by name (``tags.py``)
        for shown_row, stored in zip(built, rows, strict=True):
            shown_row["Tag"] = [tag_ref(tag) for tag in record_tags(org, stored)]
    return built


def records_json(
    org: CrmOrg,
    module: ModuleDef,
    rows: Iterable[CrmRecord],
    fields: Iterable[FieldDef] | None,
    *,
    head: bytes = b"",
    tail: bytes = b"",
) -> bytes:
    """``head + orjson.dumps(records(...)) + tail``, byte for byte, joined from pieces cached on
    each record. ``head`` and ``tail`` (the rest of a reply) are joined in with the rows: a page is
    ~100 KB, and each extra concatenation would copy it again into a fresh allocation.

    What a row shows of the record itself (plain values, times, its id) depends on that record
    alone, so its JSON is kept on the record (``CrmRecord.rendered``, dropped by any write to the
    record) for the latest field list it was shown with. Lookups, users and tags name *other*
    things, which change without this record changing: they are resolved and serialised on every
    call (once per distinct reference), between the cached pieces. At most ``_KEPT.limit``
    records hold a rendering at a time, so paging through a big org costs no lasting memory.
    """
    layout, resolved = _plan(module, fields)
    converters = tuple(_Serialised(_converter(org, f)) for f in resolved)
    rows = list(rows)
    page = None if layout.full else _LastPage.of(layout, rows)
    if page is not None and page.holds(converters):
        return b"".join((head, b"[", page.rows, b"]", tail))

    def tags(stored: CrmRecord) -> bytes:
        return dumps([tag_ref(tag) for tag in record_tags(org, stored)])

    joined = b",".join(layout.join(rows, converters, tags, layout, _KEPT.remember))
    if page is not None:
        page.keep(joined, converters)
    return b"".join((head, b"[", joined, b"]", tail))


class _LastPage:
    """The last rows joined for a field list, kept while every part of them is still current.

    A page asked again (a client polling, a load test) is the same records: when each one still
    holds the very value tuple it held then (``CrmRecord.cells``: any write replaces it, and the
    kept page holds the old one, so its identity is never reused) and every lookup and user it
    names still serialises to the same JSON, the joined rows are byte-identical to a fresh join.
    Full records (``fields`` absent) list tags, which change apart from the record: never kept.
    """

    __slots__ = ("cells", "layout", "resolved", "rows")

    def __init__(self, layout: _JsonLayout, cells: tuple[tuple[Any, ...], ...]) -> None:
        self.layout, self.cells = layout, cells
        self.resolved: tuple[dict[Any, bytes], ...] = ()
        self.rows = b""

    @classmethod
    def of(cls, layout: _JsonLayout, rows: list[CrmRecord]) -> _LastPage:
        """The kept page of ``layout`` if it is of these records as they are now, else a new one."""
        cells = tuple(map(_CELLS, rows))
        kept = _pages.get(layout)
        if kept is not None and len(kept.cells) == len(cells) and all(map(operator.is_, kept.cells, cells)):
            return kept
        return cls(layout, cells)

    def holds(self, converters: tuple[_Serialised, ...]) -> bool:
        """Whether the rows are kept and every reference they name still reads the same."""
        return bool(self.rows) and all(
            converter[raw] == shown
            for converter, memo in zip(converters, self.resolved, strict=True)
            for raw, shown in memo.items()
        )

    def keep(self, rows: bytes, converters: tuple[_Serialised, ...]) -> None:
        """Keep these rows, joined with ``converters``' references (at most ``_KEPT_PAGES`` pages)."""
        self.rows, self.resolved = rows, tuple(dict(converter) for converter in converters)
        _pages.pop(self.layout, None)
        while len(_pages) >= _KEPT_PAGES:
            del _pages[next(iter(_pages))]
        _pages[self.layout] = self


_CELLS = operator.attrgetter("cells")
_KEPT_PAGES = 32
_pages: dict[_JsonLayout, _LastPage] = {}


_RESOLVED = ("lookup", "user")


def _plan(module: ModuleDef, fields: Iterable[FieldDef] | None) -> tuple[_JsonLayout, tuple[FieldDef, ...]]:
    """A field list's layout and the fields resolved per call. A tuple of fields (what
    ``params.fields`` keeps and hands out again for the same list) or a whole module is
    planned once and kept, by identity, for the last ``_KEPT_PLANS`` of them."""
    held = module if fields is None else fields
    kept = _plans.get(id(held)) if isinstance(held, tuple | ModuleDef) else None
    if kept is not None and kept[0] is held:
        return kept[1]
    shown = tuple(module.fields if fields is None else fields)
    layout = _json_layout(tuple((f.api_name, _kind(f)) for f in shown), fields is None)
    plan = layout, tuple(f for f in shown if _kind(f) in _RESOLVED)
    if isinstance(held, tuple | ModuleDef):
        if len(_plans) >= _KEPT_PLANS:
            _plans.clear()
        _plans[id(held)] = (held, plan)  # holding ``held`` keeps its id from being reused
    return plan


_KEPT_PLANS = 256
_plans: dict[int, tuple[object, tuple[_JsonLayout, tuple[FieldDef, ...]]]] = {}


class _JsonLayout:
    """How one field list's rows are cut into cached pieces and values resolved per call."""

    def __init__(self, kinds: tuple[tuple[str, str], ...], full: bool) -> None:
        self.kinds = kinds
        self.full = full
        self.dynamic = tuple(name for name, kind in kinds if kind in _RESOLVED)
        self.keys = tuple(
            (b"{" if at == 0 else b",") + dumps(name) + b":" for at, (name, _) in enumerate(kinds)
        )
        self.formatter = crm_formatter(CrmOrg.time_zone)
        self.join = self._joiner()

    def _joiner(self) -> Callable[..., list[bytes]]:
        """Generate ``join(rows, converters, tags, layout, remember)``, the rows' JSON, the way
        ``_row_builder`` generates its builder: one ``bytes.join`` per row, each resolved value
        read through a memo dict (``_Serialised``), no loop over the fields."""
        parts, count = ["p[0]"], 0
        for name in self.dynamic:
            parts += [f"c{count}[{_read(name)}]", f"p[{count + 1}]"]
            count += 1
        if self.full:
            parts += ["tags(stored)", f"p[{count + 1}]"]
        unpack = "".join(f"c{n}, " for n in range(count)) + "= converters\n" if count else "\n"
        row = f"b''.join(({', '.join(parts)}))" if len(parts) > 1 else "p[0]"
        source = (
            "def join(rows, converters, tags, layout, remember):\n"
            f"    {unpack}"
            "    out = []\n"
            "    append = out.append\n"
            "    for stored in rows:\n"
            "        cached = stored.rendered\n"
            "        if cached is None or cached[0] is not layout:\n"
            "            cached = stored.rendered = (layout, layout.pieces(stored))\n"
            "            remember(stored)\n"
            "        p = cached[1]\n"
            "        at, held = stored.shape.index, stored.cells\n"
            f"        append({row})\n"
            "    return out\n"
        )
        namespace: dict[str, Any] = {}
        exec(compile(source, "<zohosim crm json rows>", "exec"), namespace)
        return namespace["join"]

    def pieces(self, stored: CrmRecord) -> tuple[bytes, ...]:
        """The row's JSON, cut where a lookup, user or (full record) the tag list goes."""
        pieces, current = [], []
        for key, (name, kind) in zip(self.keys, self.kinds, strict=True):
            current.append(key)
            if kind in _RESOLVED:
                pieces.append(b"".join(current))
                current = []
                continue
            value = stored.get(name)
            if kind == "datetime" and value is not None:
                value = self.formatter(value)
            current.append(dumps(value))
        current.append((b"," if self.kinds else b"{") + b'"id":' + dumps(stored["id"]))
        if self.full:
            current.append(b',"$approval_state":"approved","$editable":true,"$currency_symbol":"$","Tag":')
            pieces.append(b"".join(current))
            current = []
        current.append(b"}")
        pieces.append(b"".join(current))
        return tuple(pieces)


_json_layout = functools.lru_cache(maxsize=256)(_JsonLayout)
#: At most this many records hold a rendering at a time.
_KEPT = KeptRenderings(20_000)


class _Serialised(dict[Any, bytes]):
    """A converter's JSON for each raw value, computed on first use: one call's memo."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, raw: Any) -> bytes:
        shown = self[raw] = dumps(self.convert(raw))
        return shown


def tag_ref(tag: Tag) -> dict[str, Any]:
    return {"name": tag.name, "id": tag.id, "color_code": tag.color_code}


def _kind(f: FieldDef) -> str:
    """How a stored value of ``f`` is shown, in this order: a datetime in the org's zone; a lookup
    as ``{"name", "id"}`` of its target (``null`` once the target is gone); an owner or user as
    ``{"name", "id", "email"}``; anything else as stored."""
    if f.data_type == "datetime":
        return "datetime"
    if f.lookup is not None:
        return "lookup"
    if f.data_type in ("ownerlookup", "userlookup"):
        return "user"
    return "plain"


@functools.lru_cache(maxsize=256)
def _row_builder(kinds: tuple[tuple[str, str], ...], full: bool) -> Callable[..., list[dict[str, Any]]]:
    """Generate ``build(rows, converters)`` for one field list, the way ``dataclasses`` writes
    ``__init__``: a loop whose body is a single dict display, the fastest way CPython builds a
    dict (twice as fast as a loop over the fields). Keys are in the field order, then ``id`` (and,
    for a full record, Zoho's ``$`` keys and ``Tag``), exactly as ``{**shown, "id": …}`` orders
    them. Values are read straight from the record's shape and tuple (``record.py``), two lookups
    in C instead of a Python-level ``get``; names enter the source only as ``repr`` literals.
    Clients choose the field lists, so the cache is bounded."""
    values, special = [], 0
    for name, kind in kinds:
        if kind == "plain":
            values.append(f"{name!r}: {_read(name)}")
        else:
            values.append(f"{name!r}: c{special}({_read(name)})")
            special += 1
    values.append(f"'id': {_read('id')}")
    if full:
        values += ["'$approval_state': 'approved'", "'$editable': True", "'$currency_symbol': '$'"]
        values.append("'Tag': []")
    unpack = "".join(f"c{n}, " for n in range(special)) + "= convert\n" if special else "\n"
    source = (
        "def build(rows, convert):\n"
        f"    {unpack}"
        "    out = []\n"
        "    append = out.append\n"
        "    for stored in rows:\n"
        "        at, held = stored.shape.index, stored.cells\n"
        f"        append({{{', '.join(values)}}})\n"
        "    return out\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, "<zohosim crm row builder>", "exec"), namespace)
    return namespace["build"]


def _read(name: str) -> str:
    """Source text reading field ``name`` of ``stored`` (None when absent)."""
    if name in DERIVED_NAMES:
        return f"stored.get({name!r})"
    return f"(held[at[{name!r}]] if {name!r} in at else None)"


def _converter(org: CrmOrg, f: FieldDef) -> Callable[[Any], Any]:
    """The converter of a non-plain field (see ``_kind``); None stays None."""
    kind = _kind(f)
    if kind == "datetime":
        return crm_formatter(org.time_zone)
    if kind == "lookup":
        target_module = f.lookup or ""
        seen: dict[Any, Any] = {}

        def lookup(raw: Any) -> Any:
            if raw is None:
                return None
            try:
                return seen[raw]
            except KeyError:
                target = org.records[target_module].get(raw)
                name = None if target is None else org.display_name(target_module, target)
                ref = seen[raw] = None if target is None else {"name": name, "id": raw}
                return ref

        return lookup
    users: dict[Any, Any] = {}

    def user(raw: Any) -> Any:
        if raw is None:
            return None
        try:
            return users[raw]
        except KeyError:
            ref = users[raw] = user_ref(org, raw, email=True)
            return ref

    return user


def user_ref(org: CrmOrg, user_id: str | None, *, email: bool = False) -> dict[str, Any] | None:
    user = org.users.get(user_id or "")
    if user is None:
        return None
    ref = {"name": user.full_name, "id": user.id}
    return {**ref, "email": user.email} if email else ref


# -- write results -----------------------------------------------------------------------------

_MESSAGES = {"insert": "record added", "update": "record updated"}


def outcome(org: CrmOrg, result: WriteOutcome, *, upsert: bool = False) -> dict[str, Any]:
    if result.error is not None:
        return result.error.body()
    stored: Mapping[str, Any] = result.record or {}
    if result.action is None:
        return {
            "code": "SUCCESS",
            "details": {"id": stored["id"]},
            "message": "record deleted",
            "status": "success",
        }
    details = {
        "Modified_Time": crm_datetime(stored["Modified_Time"], org.time_zone),
        "Modified_By": user_ref(org, stored["Modified_By"]),
        "Created_Time": crm_datetime(stored["Created_Time"], org.time_zone),
        "id": stored["id"],
        "Created_By": user_ref(org, stored["Created_By"]),
    }
    if result.action == "insert":
        details["$approval_state"] = "approved"
    item: dict[str, Any] = {"code": "SUCCESS"}
    if upsert:
        item |= {"duplicate_field": result.duplicate_field, "action": result.action}
    return item | {"details": details, "message": _MESSAGES[result.action], "status": "success"}


def deleted(org: CrmOrg, row: DeletedRecord) -> dict[str, Any]:
    """A record purged from the recycle bin keeps only its id and time (research §2 sample)."""
    kept = not row.permanent
    return {
        "deleted_by": user_ref(org, row.deleted_by) if kept else None,
        "id": row.id,
        "display_name": row.display_name if kept else None,
        "type": "recycle" if kept else "permanent",
        "created_by": user_ref(org, row.created_by) if kept else None,
        "deleted_time": crm_datetime(row.deleted_time, org.time_zone),
    }


# -- users and the org -------------------------------------------------------------------------


def user(org: CrmOrg, person: User) -> dict[str, Any]:
    admin = org.current_user
    created = crm_datetime(person.created_time, org.time_zone)
    return {
        "country": "IN",
        "language": "en_US",
        "id": person.id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "full_name": person.full_name,
        "email": person.email,
        "zuid": person.zuid,
        "status": person.status,
        "confirm": person.confirm,
        "role": {"name": person.role, "id": make_id(org.prefix, _ROLE_SERIALS[person.role])},
        "profile": {"name": person.profile, "id": make_id(org.prefix, _PROFILE_SERIALS[person.profile])},
        "time_zone": org.time_zone_name,
        "locale": "en_US",
        "country_locale": "en_US",
        "date_format": "MM/dd/yyyy",
        "time_format": "hh:mm a",
        "offset": 19800000,
        "category": "regular_user",
        "Isonline": False,
        "personal_account": False,
        "sandboxDeveloper": False,
        "microsoft": False,
        "Currency": "USD",
        "Reporting_To": None,
        "alias": None,
        "phone": None,
        "mobile": None,
        "fax": None,
        "website": None,
        "dob": None,
        "street": None,
        "city": None,
        "state": None,
        "zip": None,
        "signature": None,
        "status_reason__s": None,
        "created_time": created,
        "created_by": {"name": admin.full_name, "id": admin.id},
        "Modified_Time": created,
        "Modified_By": {
            "name": admin.full_name,
            "id": admin.id,
            "first_name": admin.first_name,
            "last_name": admin.last_name,
        },
    }


def org_details(org: CrmOrg, *, version: str) -> dict[str, Any]:
    """The org, in the shape of API ``version`` (``versions.CHANGES``)."""
    admin = org.current_user
    domain = admin.email.split("@", 1)[1]
    details = {
        "country": "India",
        "photo_id": None,
        "city": "Chennai",
        "description": None,
        "mc_status": False,
        "gapps_enabled": False,
        "domain_name": f"org{org.org_id}",
        "translation_enabled": False,
        "street": None,
        "alias": None,
        "currency": "US Dollar - USD",
        "id": make_id(org.prefix, 225001),
        "state": "Tamil Nadu",
        "fax": None,
        "employee_count": str(len(org.users)),
        "zip": None,
        "website": f"www.{domain}",
        "currency_symbol": "$",
        "mobile": None,
        "currency_locale": "en_US",
        "primary_zuid": admin.zuid,
        "zia_portal_id": None,
        "time_zone": org.time_zone_name,
        "zgid": org.org_id,
        "country_code": "IN",
        "deletable_org_account": False,
        "license_details": {
            "paid_expiry": None,
            "users_license_purchased": 10,
            "trial_type": None,
            "trial_expiry": None,
            "paid": True,
            "paid_type": "enterprise",
            "trial_action": None,
            "portal_users_license_purchased": 0,
        },
        "hierarchy_preferences": {"type": "Role_Hierarchy", "strictly_reporting": False},
        "phone": "+91 44 4000 5000",
        "company_name": org.company_name,
        "privacy_settings": False,
        "primary_email": admin.email,
        "iso_code": "USD",
        "hipaa_compliance_enabled": False,
        "lite_users_enabled": False,
        "max_per_page": 200,
        "type": "production",
        "ezgid": None,
        "call_icon": None,
        "oauth_presence": True,
        "zia_zgid": None,
        "checkin_preferences": {"restricted_event_types": None},
    }
    if not versions.has(version, "deletable_org_account"):
        del details["deletable_org_account"]
    return details


# -- custom views ------------------------------------------------------------------------------

TRANSLATION = {
    "public_views": "Public Views",
    "other_users_views": "Other User's Views",
    "shared_with_me": "Shared With Me",
    "created_by_me": "Created By Me",
}


def view_summary(org: CrmOrg, view: CustomView) -> dict[str, Any]:
    created = crm_datetime(view.created_time, org.time_zone) if view.created_time else None
    by = user_ref(org, view.created_by)
    return {
        "display_value": view.name,
        "created_time": created,
        "system_name": view.system_name,
        "created_by": by,
        "default": view.default,
        "modified_time": created,
        "name": view.name,
        "system_defined": view.system_defined,
        "modified_by": by,
        "id": view.id,
        "category": "public_views" if view.system_defined else "created_by_me",
        "last_accessed_time": None,
        "locked": False,
        "favorite": None,
        "access_type": "public" if view.system_defined else "only_to_me",
    }


def view_detail(org: CrmOrg, view: CustomView) -> dict[str, Any]:
    module = MODULES[view.module]
    sort_field = module.by_name.get(view.sort_by or "")
    return {
        **view_summary(org, view),
        "module": {"api_name": module.api_name, "id": make_id(org.prefix, module.serial)},
        "offline": False,
        "criteria": _criteria(org, module, view.criteria),
        "fields": [
            {"api_name": name, "id": make_id(org.prefix, module.by_name[name].serial), "_pin": False}
            for name in view.columns
        ],
        "sort_by": {"api_name": sort_field.api_name, "id": make_id(org.prefix, sort_field.serial)}
        if sort_field
        else None,
        "sort_order": view.sort_order,
        "shared_to": None,
        "cross_filters": [],
    }


def _criteria(org: CrmOrg, module: ModuleDef, criteria: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Stored criteria with each field's id filled in, as Zoho returns them."""
    if criteria is None:
        return None
    if "group" in criteria:
        group = [_criteria(org, module, child) for child in criteria["group"]]
        return {"group_operator": str(criteria["group_operator"]).upper(), "group": group}
    f = module.by_name[criteria["field"]["api_name"]]
    return {
        "comparator": criteria["comparator"],
        "field": {"api_name": f.api_name, "id": make_id(org.prefix, f.serial)},
        "type": "value",
        "value": criteria.get("value"),
    }
