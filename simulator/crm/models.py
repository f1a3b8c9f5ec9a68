"""A CRM org's state and the rules of its record API; nothing here knows of HTTP.

Records are compact mappings (``record.py``) keyed by id, holding only the fields that have a
value: lookups as the
target's id, ``Owner``/``Created_By``/``Modified_By`` as user ids, ``Created_Time``/``Modified_Time``
as aware UTC datetimes.  Names are looked up when a record is read (``render.py``), so a renamed
account shows through every contact that points at it.

Ids grow with creation, so a module's dict, in insertion order, is sorted by id ascending.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from simulator.clock import Clock
from simulator.crm import criteria as crit
from simulator.crm.errors import (
    CrmError,
    DuplicateData,
    InvalidData,
    InvalidModule,
    MandatoryNotFound,
)
from simulator.crm.metadata import (
    MODULES,
    REFERENCE_TYPES,
    TEXT_TYPES,
    USER_TYPES,
    FieldDef,
    ModuleDef,
    make_id,
)
from simulator.crm.record import CrmRecord, full_name
from simulator.crm.tags import Tag
from simulator.events import Observer, Operation, RecordChange
from simulator.fastdict import asdict
from simulator.ids import IdSequence, normalize_id
from simulator.orders import FieldOrder, Selection

if TYPE_CHECKING:
    from simulator.crm.mass_update import MassUpdateJob

STATE_FORMAT = 1
SORTABLE = ("id", "Created_Time", "Modified_Time")
USER_TYPES_PARAM = (
    "AllUsers",
    "ActiveUsers",
    "DeactiveUsers",
    "ConfirmedUsers",
    "NotConfirmedUsers",
    "DeletedUsers",
    "ActiveConfirmedUsers",
    "AdminUsers",
    "ActiveConfirmedAdmins",
    "CurrentUser",
)
#: Keys a record body may carry that are not fields to store (tags change through their own API).
_NOT_FIELDS = frozenset({"id", "Tag"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_INT32 = 2**31


@dataclass
class User:
    id: str
    first_name: str
    last_name: str
    email: str
    zuid: str
    role: str
    profile: str
    status: Literal["active", "disabled", "deleted"]
    confirm: bool
    created_time: datetime

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_admin(self) -> bool:
        return self.profile == "Administrator"


@dataclass
class CustomView:
    id: str
    module: str
    name: str
    criteria: dict[str, Any] | None
    sort_by: str | None = None
    sort_order: Literal["asc", "desc"] | None = None
    system_name: str | None = None
    default: bool = False
    columns: tuple[str, ...] = ()
    created_by: str | None = None
    created_time: datetime | None = None

    @property
    def system_defined(self) -> bool:
        return self.system_name is not None


@dataclass
class DeletedRecord:
    """A deleted record: in the recycle bin until purged from it (``permanent``) by ``recycle_bin``."""

    id: str
    display_name: str | None
    created_by: str | None
    deleted_by: str
    deleted_time: datetime
    owner: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class WriteOutcome:
    """One record's result: the stored record, or the error to report in its place."""

    record: CrmRecord | None = None
    error: CrmError | None = None
    action: Literal["insert", "update"] | None = None
    duplicate_field: str | None = None


@dataclass(frozen=True)
class Search:
    """One of the search API's alternatives; ``criteria`` wins over ``email``, then ``phone``, ``word``."""

    criteria: str | None = None
    email: str | None = None
    phone: str | None = None
    word: str | None = None

    @property
    def given(self) -> bool:
        return any(v is not None for v in (self.criteria, self.email, self.phone, self.word))


@dataclass
class CrmOrg:
    time_zone_name: ClassVar[str] = "Asia/Kolkata"
    time_zone: ClassVar[timezone] = timezone(timedelta(hours=5, minutes=30))

    clock: Clock
    prefix: int
    org_id: str
    company_name: str
    current_user_id: str
    users: dict[str, User]
    next_id: int = 1_000_000
    records: dict[str, dict[str, CrmRecord]] = field(default_factory=lambda: {m: {} for m in MODULES})
    deleted: dict[str, list[DeletedRecord]] = field(default_factory=lambda: {m: [] for m in MODULES})
    views: dict[str, CustomView] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    #: Many-to-many links of related lists (``related.py``): table name -> ``[id, id]`` pairs.
    links: dict[str, list[list[str]]] = field(default_factory=dict)
    #: Mass-update jobs by id (``mass_update.py``); not part of the saved state.
    mass_updates: dict[str, MassUpdateJob] = field(default_factory=dict)
    #: Called with every record change (``simulator.events``): notification channels listen here.
    observers: list[Observer] = field(default_factory=list, repr=False, compare=False)
    ids: IdSequence = field(init=False, repr=False)
    _unique: dict[str, dict[str, str]] = field(init=False, repr=False)
    _orders: dict[tuple[str, str], FieldOrder] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.ids = IdSequence(prefix=self.prefix, start=self.next_id)
        self._unique = {m: {} for m in MODULES}
        self._orders = {}

    @classmethod
    def create(
        cls, *, clock: Clock, prefix: int, org_id: str, company_name: str, users: Sequence[User]
    ) -> CrmOrg:
        """A fresh org: the first user is the current one (an admin); every module has Zoho's views."""
        org = cls(
            clock=clock,
            prefix=prefix,
            org_id=org_id,
            company_name=company_name,
            current_user_id=users[0].id,
            users={user.id: user for user in users},
        )
        for module in MODULES.values():
            org._add_standard_views(module)
        return org

    # -- users, modules, views -----------------------------------------------------------------

    @property
    def current_user(self) -> User:
        return self.users[self.current_user_id]

    def module(self, name: str) -> ModuleDef:
        module = MODULES.get(name)
        if module is None:
            raise InvalidModule()
        return module

    def users_of_type(self, user_type: str) -> list[User]:
        def wanted(user: User) -> bool:
            active, confirmed = user.status == "active", user.confirm
            return {
                "AllUsers": user.status != "deleted",
                "ActiveUsers": active,
                "DeactiveUsers": user.status == "disabled",
                "ConfirmedUsers": confirmed and user.status != "deleted",
                "NotConfirmedUsers": not confirmed and user.status != "deleted",
                "DeletedUsers": user.status == "deleted",
                "ActiveConfirmedUsers": active and confirmed,
                "AdminUsers": user.is_admin and user.status != "deleted",
                "ActiveConfirmedAdmins": user.is_admin and active and confirmed,
                "CurrentUser": user.id == self.current_user_id,
            }[user_type]

        return [user for user in self.users.values() if wanted(user)]

    def views_of(self, module: str) -> list[CustomView]:
        return [view for view in self.views.values() if view.module == module]

    def view(self, module: str, view_id: str) -> CustomView | None:
        view = self.views.get(view_id)
        return view if view is not None and view.module == module else None

    def create_view(
        self,
        module: str,
        *,
        name: str,
        criteria: Mapping[str, Any] | None,
        sort_by: str | None = None,
        sort_order: Literal["asc", "desc"] | None = None,
        columns: Sequence[str] = (),
        system_name: str | None = None,
    ) -> CustomView:
        definition = self.module(module)
        if not isinstance(name, str) or not name.strip():
            raise InvalidData({"api_name": "name"})
        crit.validate_view_criteria(criteria, definition)
        for api_name in [*([sort_by] if sort_by else []), *columns]:
            if api_name not in definition.by_name:
                raise InvalidData({"api_name": api_name})
        if sort_order not in (None, "asc", "desc"):
            raise InvalidData({"api_name": "sort_order"})
        view = CustomView(
            id=self.ids(),
            module=definition.api_name,
            name=name,
            criteria=dict(criteria) if criteria is not None else None,
            sort_by=sort_by,
            sort_order=sort_order or ("asc" if sort_by else None),
            system_name=system_name,
            default=system_name == "ALLVIEWS",
            columns=tuple(columns) or (definition.display_field, "Owner", "Created_Time"),
            created_by=None if system_name else self.current_user_id,
            created_time=None if system_name else self.clock.now(),
        )
        self.views[view.id] = view
        return view

    def _add_standard_views(self, module: ModuleDef) -> None:
        plural = module.api_name
        owner = {"comparator": "equal", "field": {"api_name": "Owner"}, "value": "${CURRENTUSER}"}
        for name, system_name, criteria in (
            (f"All {plural}", "ALLVIEWS", None),
            (f"My {plural}", "MYVIEWS", owner),
            (f"Recently Created {plural}", "RECENTLYCREATED", _recent("Created_Time")),
            (f"Recently Modified {plural}", "RECENTLYMODIFIED", _recent("Modified_Time")),
        ):
            self.create_view(plural, name=name, criteria=criteria, system_name=system_name)

    # -- reading -------------------------------------------------------------------------------

    def iter_records(self, module: str) -> Iterator[CrmRecord]:
        """The stored records of ``module``, oldest id first (the Books seeder reads these)."""
        yield from self.records[self.module(module).api_name].values()

    def get(self, module: str, record_id: str) -> CrmRecord | None:
        return self.records[module].get(record_id)

    def display_name(self, module: str, record: Mapping[str, Any]) -> str | None:
        return record.get(MODULES[module].display_field)

    def value(self, record: Mapping[str, Any], f: FieldDef) -> Any:
        """A record's value as criteria compare it: lookups and users as ``Ref``."""
        raw = record.get(f.api_name)
        if raw is None or f.data_type not in REFERENCE_TYPES:
            return raw
        if f.lookup is not None:
            target = self.records[f.lookup].get(raw)
            return None if target is None else crit.Ref(raw, self.display_name(f.lookup, target))
        user = self.users.get(raw)
        return crit.Ref(raw, user.full_name if user else None, user.email if user else None)

    def list_records(
        self,
        module: str,
        *,
        ids: Sequence[str] | None = None,
        view: CustomView | None = None,
        modified_since: datetime | None = None,
        sort_by: str | None = None,
        sort_order: Literal["asc", "desc"] | None = None,
    ) -> Selection:
        """The module's records in the asked order, filtered; read lazily, a page at a time."""
        definition, table = MODULES[module], self.records[module]
        if view is not None:
            sort_by, sort_order = sort_by or view.sort_by, sort_order or view.sort_order
        sort_by, order = sort_by or "id", sort_order or "desc"
        if ids is not None:
            chosen = [table[i] for i in sorted(table.keys() & set(ids), key=int)]
            rows = Selection.of(self._sorted(definition, chosen, sort_by, order))
        elif sort_by == "id" and modified_since is not None:  # an incremental read: only what changed
            recent = sorted(self._field_order(module, "Modified_Time").ids_after(modified_since))
            if order == "desc":
                recent.reverse()
            rows = Selection(lambda: (table[str(record_id)] for record_id in recent), size=len(recent))
            modified_since = None
        else:
            rows = self._ordered(definition, sort_by, order)
        if modified_since is not None:
            since = modified_since
            rows = rows.filtered(lambda row: row["Modified_Time"] > since)
        return rows if view is None else rows.filtered(self.view_filter(view))

    def view_filter(self, view: CustomView) -> crit.Predicate:
        ctx = crit.ViewContext(self.clock.now(), self.time_zone, self.current_user_id)
        return crit.view_predicate(view.criteria, MODULES[view.module], self.value, ctx)

    def _ordered(self, module: ModuleDef, sort_by: str, order: str) -> Selection:
        """All of a module's records in an order, without copying them: by id, or by a field kept
        sorted as records are written. A lookup or user field sorts by the name of the record it
        points at, which another module's writes change: those are sorted when asked."""
        table, descending = self.records[module.api_name], order == "desc"
        if sort_by == "id":
            return Selection(
                lambda: reversed(table.values()) if descending else iter(table.values()), size=len(table)
            )
        if module.by_name[sort_by].data_type not in REFERENCE_TYPES:
            by_field = self._field_order(module.api_name, sort_by)
            return Selection(lambda: (table[i] for i in by_field.ids(descending=descending)), size=len(table))
        return Selection.of(self._sorted(module, list(table.values()), sort_by, order))

    def _field_order(self, module: str, field_name: str) -> FieldOrder:
        """Built on first use, then kept up to date by every write (``_index``/``_unindex``)."""
        found = self._orders.get((module, field_name))
        if found is None:
            found = FieldOrder(field_name, sort_key, self.records[module].values())
            self._orders[(module, field_name)] = found
        return found

    def _sorted(self, module: ModuleDef, rows: list[CrmRecord], sort_by: str, order: str) -> list[CrmRecord]:
        """Sorted by id, a timestamp (ties by id) or, for a view, any field (empty values last)."""
        descending = order == "desc"
        if sort_by == "id":
            return rows[::-1] if descending else rows
        if sort_by in ("Created_Time", "Modified_Time"):
            return sorted(rows, key=lambda row: (row[sort_by], int(row["id"])), reverse=descending)
        f = module.by_name[sort_by]
        present = [row for row in rows if row.get(sort_by) is not None]
        present.sort(key=lambda row: (sort_key(self.value(row, f)), int(row["id"])), reverse=descending)
        return present + [row for row in rows if row.get(sort_by) is None]

    def search(
        self,
        module: str,
        query: Search,
        *,
        view: CustomView | None = None,
        sort_by: str | None = None,
        sort_order: Literal["asc", "desc"] | None = None,
    ) -> Selection:
        """Records matching ``query``, read lazily; raises InvalidQuery/InvalidData for bad input."""
        definition = MODULES[module]
        rows = self._ordered(definition, sort_by or "id", sort_order or "desc")
        rows = rows.filtered(self._search_filter(definition, query))
        return rows if view is None else rows.filtered(self.view_filter(view))

    def _search_filter(self, module: ModuleDef, query: Search) -> crit.Predicate:
        if query.criteria is not None:
            return crit.search_predicate(crit.parse_search(query.criteria, module), self.value)
        if query.email is not None:
            wanted = query.email.strip().lower()
            names = [f.api_name for f in module.of_type("email")]
            return lambda row: any((row.get(name) or "").lower() == wanted for name in names)
        if query.phone is not None:
            return _phone_filter(query.phone, [f.api_name for f in module.of_type("phone")])
        word = (query.word or "").strip().lower()
        if len(word) < 2:
            raise InvalidData.param("word")
        names = [f.api_name for f in module.fields if f.data_type in TEXT_TYPES or f.data_type == "picklist"]
        return lambda row: any(word in (row.get(name) or "").lower() for name in names)

    def deleted_records(
        self, module: str, *, kind: str, modified_since: datetime | None
    ) -> list[DeletedRecord]:
        """``kind`` is all, recycle or permanent (purged from the bin); newest first."""
        permanent = kind == "permanent"
        rows = [row for row in self.deleted[module] if kind == "all" or row.permanent == permanent]
        if modified_since is not None:
            rows = [row for row in rows if row.deleted_time > modified_since]
        return sorted(rows, key=lambda row: (row.deleted_time, int(row.id)), reverse=True)

    # -- writing -------------------------------------------------------------------------------

    def insert(self, module: str, items: Sequence[object]) -> list[WriteOutcome]:
        definition = self.module(module)
        return [self._insert_one(definition, item, index) for index, item in enumerate(items)]

    def update(self, module: str, items: Sequence[object]) -> list[WriteOutcome]:
        definition = self.module(module)
        return [self._update_one(definition, item, index) for index, item in enumerate(items)]

    def upsert(
        self, module: str, items: Sequence[object], *, duplicate_check_fields: Sequence[str] | None = None
    ) -> list[WriteOutcome]:
        """Update the record a duplicate-check field matches, else insert (research §1.5)."""
        definition = self.module(module)
        check = list(duplicate_check_fields or [definition.duplicate_check_field])
        for position, name in enumerate(check):
            if name not in definition.by_name:
                raise InvalidData({"api_name": name, "json_path": f"$.duplicate_check_fields[{position}]"})
        return [self._upsert_one(definition, item, index, check) for index, item in enumerate(items)]

    def delete(self, module: str, ids: Sequence[str]) -> list[WriteOutcome]:
        definition = self.module(module)
        return [self._delete_one(definition, record_id) for record_id in ids]

    def put_record(self, module: str, values: Mapping[str, Any]) -> CrmRecord:
        """Store a complete record as is (seeding and state import); ids must keep growing."""
        record = values if isinstance(values, CrmRecord) else CrmRecord(module, values)
        self.records[module][record["id"]] = record
        self._index(MODULES[module], record)
        self._changed("create", module, record)
        return record

    def _insert_one(self, module: ModuleDef, item: object, index: int) -> WriteOutcome:
        try:
            values = self._validated(module, item, index, creating=True)
            self._check_duplicate(module, values, index, exclude=None)
        except CrmError as error:
            return WriteOutcome(error=error)
        return WriteOutcome(record=self._create(module, values), action="insert")

    def _update_one(self, module: ModuleDef, item: object, index: int) -> WriteOutcome:
        try:
            record = self._target(module, item, index)
            values = self._validated(module, item, index, creating=False)
            self._check_duplicate(module, values, index, exclude=record["id"])
        except CrmError as error:
            return WriteOutcome(error=error)
        return WriteOutcome(record=self._apply(module, record, values), action="update")

    def _upsert_one(self, module: ModuleDef, item: object, index: int, check: list[str]) -> WriteOutcome:
        match = self._find_duplicate(module, item, check) if isinstance(item, Mapping) else None
        if match is None:
            return self._insert_one(module, item, index)
        name, record = match
        try:
            values = self._validated(module, item, index, creating=False)
            self._check_duplicate(module, values, index, exclude=record["id"])
        except CrmError as error:
            return WriteOutcome(error=error)
        return WriteOutcome(record=self._apply(module, record, values), action="update", duplicate_field=name)

    def _delete_one(self, module: ModuleDef, record_id: str) -> WriteOutcome:
        record = self.records[module.api_name].pop(record_id, None)
        if record is None:
            return WriteOutcome(error=InvalidData.not_deleted(record_id))
        self._unindex(module, record)
        self._changed("delete", module.api_name, record)
        self.deleted[module.api_name].append(
            DeletedRecord(
                id=record_id,
                display_name=record.get(module.display_field),
                created_by=record.get("Created_By"),
                deleted_by=self.current_user_id,
                deleted_time=self.clock.now(),
                owner=record.get("Owner"),
            )
        )
        return WriteOutcome(record=record)

    def _target(self, module: ModuleDef, item: object, index: int) -> CrmRecord:
        if not isinstance(item, Mapping):
            raise InvalidData({"api_name": "data", "json_path": f"$.data[{index}]"})
        if item.get("id") is None:
            raise MandatoryNotFound("id", index)
        record_id = normalize_id(item["id"])
        record = self.records[module.api_name].get(record_id) if record_id else None
        if record is None:
            raise InvalidData.invalid_id({"id": str(item["id"])})
        return record

    def _validated(self, module: ModuleDef, item: object, index: int, *, creating: bool) -> dict[str, Any]:
        """The writable values of ``item``, coerced for storage (None clears a field)."""
        if not isinstance(item, Mapping):
            raise InvalidData({"api_name": "data", "json_path": f"$.data[{index}]"})
        for required in module.mandatory_fields:
            if (creating or required.api_name in item) and _blank(item.get(required.api_name)):
                raise MandatoryNotFound(required.api_name, index)
        values: dict[str, Any] = {}
        for key, raw in item.items():
            if key in _NOT_FIELDS or key.startswith("$"):
                continue
            f = module.by_name.get(key)
            if f is None:
                raise InvalidData.field(key, index)
            if not f.read_only:
                values[key] = self._coerce(f, raw, index)
        return values

    def _coerce(self, f: FieldDef, raw: Any, index: int) -> Any:
        if raw is None or raw == "":
            return None
        if f.data_type in REFERENCE_TYPES:
            return self._reference(f, raw, index)
        value = _coerce_scalar(f, raw)
        if value is None:
            raise InvalidData.field(f.api_name, index, expected_data_type=f.data_type)
        if isinstance(value, str) and len(value) > f.max_length:
            raise InvalidData.field(
                f.api_name, index, maximum_length=f.max_length, expected_data_type=f.data_type
            )
        return value

    def _reference(self, f: FieldDef, raw: Any, index: int) -> str:
        target_id = normalize_id(raw.get("id") if isinstance(raw, Mapping) else raw)
        if f.data_type in USER_TYPES:
            user = self.users.get(target_id) if target_id else None
            found = user is not None and user.status == "active"
        else:
            found = target_id is not None and target_id in self.records[f.lookup or ""]
        if not found or target_id is None:
            raise InvalidData.field(f.api_name, index, expected_data_type=f.data_type)
        return target_id

    def _check_duplicate(
        self, module: ModuleDef, values: Mapping[str, Any], index: int, *, exclude: str | None
    ) -> None:
        name = module.duplicate_check_field
        value = values.get(name)
        existing = self._unique[module.api_name].get(_unique_key(value)) if value is not None else None
        if existing is None or existing == exclude:
            return
        owner = self.users.get(self.records[module.api_name][existing].get("Owner", ""))
        raise DuplicateData(
            {
                "api_name": name,
                "json_path": f"$.data[{index}].{name}",
                "id": existing,
                "duplicate_record": {
                    "Owner": {
                        "name": owner.full_name if owner else None,
                        "id": owner.id if owner else None,
                        "zuid": owner.zuid if owner else None,
                    },
                    "id": existing,
                    "module": {"api_name": module.api_name, "id": make_id(self.prefix, module.serial)},
                },
                "more_records": False,
            }
        )

    def _find_duplicate(
        self, module: ModuleDef, item: Mapping[str, Any], check: list[str]
    ) -> tuple[str, CrmRecord] | None:
        table = self.records[module.api_name]
        for name in check:
            wanted = item.get(name)
            if wanted is None or wanted == "" or isinstance(wanted, (Mapping, list, bool)):
                continue
            if name == module.duplicate_check_field:
                found = self._unique[module.api_name].get(_unique_key(wanted))
                if found is not None:
                    return name, table[found]
                continue
            key = _unique_key(wanted)
            for record in reversed(table.values()):
                if record.get(name) is not None and _unique_key(record[name]) == key:
                    return name, record
        return None

    def _create(self, module: ModuleDef, values: Mapping[str, Any]) -> CrmRecord:
        now, user = self.clock.now(), self.current_user_id
        given = {key: value for key, value in values.items() if value is not None}
        stamps = {"Created_By": user, "Modified_By": user, "Created_Time": now, "Modified_Time": now}
        record = CrmRecord(module.api_name, {"id": self.ids(), "Owner": user, **given, **stamps})
        _derive(module, record)
        return self.put_record(module.api_name, record)

    def _apply(self, module: ModuleDef, record: CrmRecord, values: Mapping[str, Any]) -> CrmRecord:
        before = {key: record.get(key) for key in values}
        self._unindex(module, record)
        for key, value in values.items():
            if value is not None:
                record[key] = value
            elif key != "Owner":
                record.pop(key, None)
        record.update(Modified_By=self.current_user_id, Modified_Time=self.clock.now())
        _derive(module, record)
        self._index(module, record)
        changed = tuple(key for key, value in before.items() if record.get(key) != value)
        self._changed("edit", module.api_name, record, changed)
        return record

    def _changed(
        self, operation: Operation, module: str, record: CrmRecord, fields: tuple[str, ...] = ()
    ) -> None:
        for observer in self.observers:
            observer(RecordChange("crm", module, operation, record["id"], record, fields=fields))

    def _index(self, module: ModuleDef, record: CrmRecord) -> None:
        for (name, _), order in self._orders.items():
            if name == module.api_name:
                order.add(record)
        value = record.get(module.duplicate_check_field)
        if value is not None:
            self._unique[module.api_name].setdefault(_unique_key(value), record["id"])

    def _unindex(self, module: ModuleDef, record: CrmRecord) -> None:
        for (name, _), order in self._orders.items():
            if name == module.api_name:
                order.discard(record)
        value = record.get(module.duplicate_check_field)
        index = self._unique[module.api_name]
        if value is not None and index.get(_unique_key(value)) == record["id"]:
            del index[_unique_key(value)]

    # -- state export/import -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The whole org as JSON-serialisable data; ``from_json`` restores it exactly."""
        return {
            "format": STATE_FORMAT,
            "org": {
                "prefix": self.prefix,
                "org_id": self.org_id,
                "company_name": self.company_name,
                "current_user_id": self.current_user_id,
                "next_id": self.ids.next_value,
            },
            "users": [
                {**asdict(user), "created_time": user.created_time.isoformat()}
                for user in self.users.values()
            ],
            "views": [_view_json(view) for view in self.views.values()],
            "records": {
                name: [_record_json(MODULES[name], record) for record in table.values()]
                for name, table in self.records.items()
            },
            "deleted": {
                name: [{**asdict(row), "deleted_time": row.deleted_time.isoformat()} for row in rows]
                for name, rows in self.deleted.items()
            },
            "tags": [
                {
                    **asdict(tag),
                    "created_time": tag.created_time.isoformat(),
                    "modified_time": tag.modified_time.isoformat(),
                }
                for tag in self.tags.values()
            ],
            "links": self.links,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, clock: Clock) -> CrmOrg:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported CRM state format {data.get('format')!r}")
        meta = data["org"]
        users = [
            User(**{**u, "created_time": datetime.fromisoformat(u["created_time"])}) for u in data["users"]
        ]
        org = cls(
            clock=clock,
            prefix=meta["prefix"],
            org_id=meta["org_id"],
            company_name=meta["company_name"],
            current_user_id=meta["current_user_id"],
            users={user.id: user for user in users},
            next_id=meta["next_id"],
        )
        for view in data["views"]:
            org.views[view["id"]] = _view_from_json(view)
        for name, rows in data["records"].items():
            for row in rows:
                org.put_record(name, _record_from_json(MODULES[name], row))
        for tag in data.get("tags", ()):
            org.tags[tag["id"]] = Tag(
                **{
                    **tag,
                    "created_time": datetime.fromisoformat(tag["created_time"]),
                    "modified_time": datetime.fromisoformat(tag["modified_time"]),
                }
            )
        org.links = {name: [list(pair) for pair in pairs] for name, pairs in data.get("links", {}).items()}
        for name, rows in data["deleted"].items():
            org.deleted[name] = [
                DeletedRecord(**{**row, "deleted_time": datetime.fromisoformat(row["deleted_time"])})
                for row in rows
            ]
        return org


def _recent(api_name: str) -> dict[str, Any]:
    return {"comparator": "equal", "field": {"api_name": api_name}, "value": "${LAST7DAYS}"}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _unique_key(value: object) -> str:
    """The duplicate check's key; a value already in that form is itself the key, so the index
    shares the record's string instead of holding a copy (most emails are lower case)."""
    key = str(value).strip().lower()
    return value if isinstance(value, str) and key == value else key


def _coerce_scalar(f: FieldDef, raw: Any) -> Any:
    """``raw`` stored as ``f``'s type, or None when it is not one."""
    kind = f.data_type
    if kind in TEXT_TYPES or kind == "picklist":
        if not isinstance(raw, str) or (kind == "email" and not _EMAIL.match(raw)):
            return None
        return raw
    if kind == "boolean":
        return raw if isinstance(raw, bool) else None
    if isinstance(raw, bool):
        return None
    if kind == "integer":
        return raw if isinstance(raw, int) and -_INT32 <= raw < _INT32 else None
    if kind in ("double", "currency"):
        return raw if isinstance(raw, (int, float)) else None
    if kind == "date":
        return _iso_date(raw)
    return None


def _iso_date(raw: Any) -> str | None:
    if not isinstance(raw, str) or len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return None


def _derive(module: ModuleDef, record: CrmRecord) -> None:
    """Read-only fields computed from others: a contact's ``Full_Name``."""
    if module.api_name == "Contacts":
        record["Full_Name"] = full_name(record)


def _phone_filter(phone: str, names: list[str]) -> crit.Predicate:
    digits = "".join(ch for ch in phone if ch.isdigit())
    wanted = phone.strip().lower()

    def matches(row: Mapping[str, Any]) -> bool:
        for name in names:
            value = row.get(name)
            if value is None:
                continue
            if digits and digits in "".join(ch for ch in value if ch.isdigit()):
                return True
            if not digits and wanted in value.lower():
                return True
        return False

    return matches


def sort_key(value: Any) -> Any:
    if isinstance(value, crit.Ref):
        return (value.name or "").lower()
    return value.lower() if isinstance(value, str) else value


_STAMPS: dict[str, frozenset[str]] = {}


def _datetime_fields(module: ModuleDef) -> frozenset[str]:
    """Asked once per record on every save of the state (``--data-dir`` saves after each write),
    so kept per module (the module definitions are static)."""
    stamps = _STAMPS.get(module.api_name)
    if stamps is None:
        stamps = _STAMPS[module.api_name] = frozenset(f.api_name for f in module.of_type("datetime"))
    return stamps


def _record_json(module: ModuleDef, record: Mapping[str, Any]) -> dict[str, Any]:
    stamps = _datetime_fields(module)
    return {key: value.isoformat() if key in stamps else value for key, value in record.items()}


def _record_from_json(module: ModuleDef, row: Mapping[str, Any]) -> dict[str, Any]:
    stamps = _datetime_fields(module)
    return {key: datetime.fromisoformat(value) if key in stamps else value for key, value in row.items()}


def _view_json(view: CustomView) -> dict[str, Any]:
    data = asdict(view)
    data["columns"] = list(view.columns)
    data["created_time"] = view.created_time.isoformat() if view.created_time else None
    return data


def _view_from_json(data: Mapping[str, Any]) -> CustomView:
    created = data["created_time"]
    return CustomView(
        **{
            **data,
            "columns": tuple(data["columns"]),
            "created_time": datetime.fromisoformat(created) if created else None,
        }
    )
