"""The plan stage: pure decisions, no I/O. Which Books record is a CRM record's duplicate, what
a duplicate mode does with it, which way a linked pair flows, and what a customer's contact
persons become; each decision is a ``Step`` naming its records, the contract rule it follows
(the invariant ids of ``docs/contract.md``) and the request it will make.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import fieldmap as mapping
from fieldmap import FieldPair, ModuleSpec, crm_value, match_key, same
from syncer.clients.dates import parse_zoho_datetime
from syncer.state import Indexed, Link


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    OVERWRITTEN = "overwritten"
    CLONED = "cloned"
    SKIPPED = "skipped"
    PUSHED = "pushed"
    UNCHANGED = "unchanged"
    FAILED = "failed"


class Flow(StrEnum):
    NONE = "none"
    TO_BOOKS = "to_books"
    TO_CRM = "to_crm"


def sku_key(value: object) -> str:
    return match_key(value)


def crm_keys(spec: ModuleSpec, record: Mapping[str, Any]) -> tuple[str, str]:
    """A CRM record's match key and, for products, its SKU key."""
    sku = sku_key(record.get("Product_Code")) if spec.key == "products" else ""
    return match_key(crm_value(record, spec.crm_name)), sku


def books_keys(spec: ModuleSpec, record: Mapping[str, Any]) -> tuple[str, str]:
    sku = sku_key(record.get("sku")) if spec.books_collection == "items" else ""
    return match_key(record.get(spec.books_name)), sku


def keys_match(left: tuple[str, str], right: tuple[str, str]) -> bool:
    """Same name; for items, the SKU instead when both sides have one."""
    (left_name, left_sku), (right_name, right_sku) = left, right
    if left_sku and right_sku:
        return left_sku == right_sku
    return bool(left_name) and left_name == right_name


def find_duplicate(
    keys: tuple[str, str], candidates: Iterable[Indexed], *, taken: set[str]
) -> Indexed | None:
    """The existing record: the earliest-created unlinked candidate with the same key (ties: the
    smallest id). ``taken`` holds the ids already linked, or claimed earlier in this run."""
    matches = [c for c in candidates if c.record_id not in taken and keys_match(keys, (c.match_key, c.sku))]
    return min(matches, key=lambda c: (c.created, int(c.record_id))) if matches else None


def unlinked_action(mode: str, duplicate: Indexed | None) -> Action:
    """What becomes of a CRM record no Books record is linked to."""
    if duplicate is None:
        return Action.CREATED
    return {"skip": Action.SKIPPED, "overwrite": Action.OVERWRITTEN, "clone": Action.CLONED}[mode]


def flow(
    *,
    extent: str,
    crm_changed: bool,
    books_changed: bool,
    crm_modified: datetime | None,
    books_modified: datetime | None,
) -> Flow:
    """Which way a linked pair goes. Fetch only ever flows to Books, and only when CRM changed.
    Both ways: the side that changed; when both did, the later one, and CRM on a tie."""
    if extent == "fetch_from_crm":
        return Flow.TO_BOOKS if crm_changed else Flow.NONE
    if crm_changed and books_changed:
        if crm_modified is None or books_modified is None or crm_modified >= books_modified:
            return Flow.TO_BOOKS
        return Flow.TO_CRM
    if crm_changed:
        return Flow.TO_BOOKS
    return Flow.TO_CRM if books_changed else Flow.NONE


def changed(current: Mapping[str, Any], agreed: Mapping[str, Any]) -> bool:
    return any(not same(value, agreed.get(key)) for key, value in current.items()) or any(
        key not in current for key in agreed
    )


def crm_values(field_map: Sequence[FieldPair], record: Mapping[str, Any]) -> dict[str, Any]:
    """A CRM record's mapped CRM fields, as the syncer remembers them for change detection."""
    return {pair.crm: crm_value(record, pair.crm) for pair in field_map}


# ---- the plan -----------------------------------------------------------------------------------

#: The contract rule (invariant id of ``docs/contract.md``) each kind of step follows.
RULES = {
    Action.CREATED: "MODULE-SHAPE",
    Action.CLONED: "CLONE-ADDS",
    Action.OVERWRITTEN: "OVERWRITE-REPLACES",
    Action.SKIPPED: "SKIP-UNTOUCHED",
    Action.UPDATED: "INCREMENTAL",
    Action.UNCHANGED: "IDEMPOTENT",
    Action.PUSHED: "CONVERGE",
}


@dataclass(frozen=True)
class Request:
    """The API call a step makes: its method, its path and (for a write) its JSON body."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Step:
    """One action of the plan: what becomes of one record, by which rule, with which request
    (``None``: no call). ``existing`` is the Books record a write goes over; ``persons`` the
    customer's contact persons, sent in the same request."""

    action: Action
    crm_module: str | None
    crm_id: str | None
    books_id: str | None
    name: str
    rule: str
    request: Request | None = None
    note: str = ""
    record: dict[str, Any] | None = field(default=None, repr=False)
    existing: dict[str, Any] | None = field(default=None, repr=False)
    link: Link | None = field(default=None, repr=False)
    persons: Persons | None = field(default=None, repr=False)
    wanted: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "module": self.crm_module,
            "crm_id": self.crm_id,
            "books_id": self.books_id,
            "name": self.name,
            "reason": self.rule,
            "note": self.note,
            "request": None
            if self.request is None
            else {"method": self.request.method, "path": self.request.path, "body": self.request.body},
        }


def books_path(spec: ModuleSpec, books_id: str | None = None) -> str:
    collection = f"/books/v3/{spec.books_collection}"
    return f"{collection}/{books_id}" if books_id else collection


def plan_unlinked(
    *,
    spec: ModuleSpec,
    field_map: Sequence[FieldPair],
    record: dict[str, Any],
    mode: str,
    duplicate: Indexed | None,
    existing: dict[str, Any] | None,
    persons: Sequence[Mapping[str, Any]] = (),
) -> Step:
    """A CRM record no Books record is linked to: create, clone, overwrite (``existing`` is the
    duplicate as read) or skip, by the duplicate mode. ``persons``: a new customer's contact
    persons, which go in its create body."""
    action = unlinked_action(mode, duplicate)
    name = str(crm_value(record, spec.crm_name) or "")
    keys = crm_keys(spec, record)
    wanted = mapping.to_books(field_map, record)
    base = {"crm_module": spec.crm_module, "crm_id": record["id"], "name": name, "record": record}
    if action is Action.SKIPPED:
        assert duplicate is not None
        note = f"a Books record has its {matched_by(keys, duplicate)}; skip leaves it"
        return Step(action, books_id=duplicate.record_id, rule=RULES[action], note=note, **base)
    if action is Action.OVERWRITTEN:
        assert duplicate is not None and existing is not None
        diff = mapping.differences(wanted, existing)
        body = mapping.books_body(spec, diff, existing) if diff else None
        request = Request("PUT", books_path(spec, duplicate.record_id), body) if body else None
        return Step(
            action,
            books_id=duplicate.record_id,
            rule=RULES[action],
            request=request,
            existing=existing,
            wanted=wanted,
            **base,
        )
    body = mapping.books_body(spec, wanted)
    if persons:
        body["contact_persons"] = list(persons)
    return Step(
        action,
        books_id=None,
        rule=RULES[action],
        request=Request("POST", books_path(spec), body),
        wanted=wanted,
        **base,
    )


def plan_linked(
    *,
    spec: ModuleSpec,
    field_map: Sequence[FieldPair],
    extent: str,
    record: dict[str, Any],
    link: Link,
    current: dict[str, Any],
    books_changed: bool,
) -> Step:
    """A linked pair: unchanged, updated in Books (only the mapped fields that differ), or pushed
    to CRM (both ways, when Books changed last)."""
    name = str(crm_value(record, spec.crm_name) or "")
    base = {
        "crm_module": spec.crm_module,
        "crm_id": record["id"],
        "books_id": link.books_id,
        "name": name,
        "record": record,
        "existing": current,
        "link": link,
    }
    direction = flow(
        extent=extent,
        crm_changed=changed(crm_values(field_map, record), link.agreed.get("crm", {})),
        books_changed=books_changed,
        crm_modified=when(record.get("Modified_Time")),
        books_modified=when(current.get("last_modified_time")),
    )
    if direction is Flow.TO_CRM:
        return Step(Action.PUSHED, rule=RULES[Action.PUSHED], note="Books changed last", **base)
    if direction is Flow.NONE:
        return Step(Action.UNCHANGED, rule=RULES[Action.UNCHANGED], **base)
    wanted = mapping.to_books(field_map, record)
    diff = mapping.differences(wanted, current)
    if not diff:  # CRM changed, but Books already holds it: agree, write nothing
        return Step(Action.UNCHANGED, rule=RULES[Action.UNCHANGED], note="agreed", wanted=wanted, **base)
    body = mapping.books_body(spec, diff, current)
    request = Request("PUT", books_path(spec, link.books_id), body) if body else None
    return Step(Action.UPDATED, rule=RULES[Action.UPDATED], request=request, wanted=wanted, **base)


# ---- contact persons (accounts_and_contacts) -------------------------------------------------


@dataclass
class Persons:
    """A customer's contact persons as the plan wants them: ``body`` is the replace-set to send
    (new persons marked ``_crm_id``), ``actions`` what becomes of each CRM contact."""

    body: list[dict[str, Any]]
    actions: dict[str, Action]
    created_at: dict[str, str]
    linked: dict[str, Link]

    @property
    def changed(self) -> bool:
        return any(a is not Action.UNCHANGED for a in self.actions.values())

    def to_send(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in p.items() if k != "_crm_id"} for p in self.body]


def new_persons(
    person_map: Sequence[FieldPair], contacts: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """A new customer's persons, for its create body: the earliest-created contact is primary."""
    ordered = sorted(contacts, key=lambda c: (utc(c.get("Created_Time")), int(c["id"])))
    return [
        {**mapping.person_body(person_map, c), "is_primary_contact": n == 0} for n, c in enumerate(ordered)
    ]


def place_persons(
    *,
    customer: Mapping[str, Any],
    contacts: Sequence[Mapping[str, Any]],
    linked: dict[str, Link],
    person_map: Sequence[FieldPair],
) -> Persons:
    """Each contact becomes (or updates) a person of the customer; the customer's other persons
    are kept. The earliest-created contact is primary. A person no contact is linked to, with the
    contact's name and email, is adopted (a run killed before it linked the persons it added)."""
    persons = [mapping.person_for_write(p) for p in customer.get("contact_persons") or []]
    by_id = {p["contact_person_id"]: p for p in persons}
    created_at = {crm_id: link.agreed.get("created", "") for crm_id, link in linked.items()}
    known: set[str | None] = {link.person_id for link in linked.values()}
    actions: dict[str, Action] = {}
    for contact in contacts:
        wanted = mapping.person_body(person_map, contact)
        created_at[contact["id"]] = utc(contact.get("Created_Time"))
        link = linked.get(contact["id"])
        person = by_id.get(link.person_id or "") if link else None
        if person is None:
            person = _unlinked_person(persons, known, wanted)
            if person is not None:
                person["_crm_id"] = contact["id"]
                known.add(person["contact_person_id"])
        if person is None:
            persons.append({**wanted, "is_primary_contact": False, "_crm_id": contact["id"]})
            actions[contact["id"]] = Action.CREATED
        elif any(not same(v, person.get(k)) for k, v in wanted.items()):
            person.update(wanted)
            actions[contact["id"]] = Action.UPDATED
        else:
            actions[contact["id"]] = Action.UNCHANGED
    primary_crm = min(created_at, key=lambda crm_id: (created_at[crm_id], int(crm_id)))
    primary = next((p for p in persons if p.get("_crm_id") == primary_crm), None)
    if primary is None and primary_crm in linked:
        primary = by_id.get(linked[primary_crm].person_id or "")
    if primary is not None and not primary.get("is_primary_contact"):
        for person in persons:
            person["is_primary_contact"] = person is primary
        if actions.get(primary_crm) is Action.UNCHANGED:
            actions[primary_crm] = Action.UPDATED
    return Persons(persons, actions, created_at, linked)


def _unlinked_person(
    persons: list[dict[str, Any]], known: set[str | None], wanted: Mapping[str, Any]
) -> dict[str, Any] | None:
    """An existing person no contact is linked to (nor adopted this run), with the wanted first and
    last name and email. A person this run adds has no id yet: two same-named new contacts are two."""
    for person in persons:
        if (
            person.get("contact_person_id")
            and "_crm_id" not in person
            and person["contact_person_id"] not in known
        ) and all(same(wanted.get(key), person.get(key)) for key in ("first_name", "last_name", "email")):
            return person
    return None


def with_persons(step: Step, persons: Persons, *, spec: ModuleSpec) -> Step:
    """The customer's write with its contact persons in the same request: one call, not two.
    A map that writes the primary person itself keeps the persons for a request of their own."""
    body = dict(step.request.body or {}) if step.request else {}
    if "contact_persons" in body:
        return step
    if not persons.changed:
        return replace(step, persons=persons)
    body["contact_persons"] = persons.to_send()
    return replace(step, persons=persons, request=Request("PUT", books_path(spec, step.books_id), body))


# ---- small pure helpers ----------------------------------------------------------------------------


def matched_by(keys: tuple[str, str], duplicate: Indexed) -> str:
    """What a duplicate shares with the record: the SKU when both have one (``keys_match``)."""
    return "SKU" if keys[1] and duplicate.sku else "name"


def books_values(field_map: Iterable[FieldPair], record: Mapping[str, Any]) -> dict[str, Any]:
    return {pair.books: mapping.books_value(record, pair.books) for pair in field_map}


def lookup_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


def when(text: Any) -> datetime | None:
    return parse_zoho_datetime(text) if isinstance(text, str) and text else None


def utc(text: Any) -> str:
    moment = when(text)
    return utc_iso(moment) if moment else ""


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
