"""Scenarios: plain, JSON-serialisable data that a world is built from, and the Hypothesis
strategies that draw them. Kept apart from the checks: nothing here knows what a syncer should do.

A scenario holds
- CRM records (accounts, contacts with or without an account, vendors, products) whose match keys
  are unique across the whole CRM org, so that pairing a Books record with a CRM record by key is
  never ambiguous;
- pre-existing Books records: twins of CRM records (the same key in another case or spacing, for
  items sometimes the same SKU under another name, or a near miss: the same name, another SKU),
  twins duplicated among themselves with chosen created times (ties included), and strangers;
- one module sync (its config entry, with an optional view and field map) and the Books setting
  for duplicate display names;
- edits made between syncs, on either side; transient faults; and where to kill a run.

Refs (``A0``, ``C1``, ``b3``) name records inside a scenario; the world maps them to real ids.
``pair:A0`` names the Books record paired with CRM record ``A0`` (found by the harness at edit time).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from hypothesis import strategies as st

from conformance.contract import fold

# ---- the data ----------------------------------------------------------------------------------


@dataclass
class CrmSeed:
    ref: str
    module: str  # Accounts | Contacts | Vendors | Products
    values: dict[str, Any]  # API field names; a contact's Account_Name holds the account's ref


@dataclass
class BooksSeed:
    ref: str
    kind: str  # customer | vendor | item
    values: dict[str, Any]  # a Books create body; items may carry "status": "inactive"
    created_offset: int = 0  # created_time = the world's Books epoch + this many seconds


@dataclass
class ViewSpec:
    module: str
    field: str
    value: Any

    def criteria(self) -> dict[str, Any]:
        value = "true" if self.value is True else self.value
        return {"comparator": "equal", "field": {"api_name": self.field}, "value": value}


@dataclass
class SyncSpec:
    module: str  # customers | vendors | items
    extent: str
    duplicates: str
    crm_source: str | None = None
    include_unassociated_contacts: bool = False
    view: ViewSpec | None = None
    contact_view: ViewSpec | None = None
    field_map: list[list[str]] | None = None
    contact_map: list[list[str]] | None = None

    def entry(self, view_ids: dict[str, str]) -> dict[str, Any]:
        """The config entry (``syncer/config.py``'s schema), given the ids the world's views got."""
        entry: dict[str, Any] = {"module": self.module, "extent": self.extent, "duplicates": self.duplicates}
        if self.crm_source:
            entry["crm_source"] = self.crm_source
        if self.include_unassociated_contacts:
            entry["include_unassociated_contacts"] = True
        if self.view is not None:
            entry["view"] = view_ids["view"]
        if self.contact_view is not None:
            entry["contact_view"] = view_ids["contact_view"]
        if self.field_map:
            entry["field_map"] = [list(p) for p in self.field_map]
        if self.contact_map:
            entry["contact_map"] = [list(p) for p in self.contact_map]
        return entry

    def describe(self) -> str:
        source = f"/{self.crm_source}" if self.crm_source else ""
        flag = "+unassociated" if self.include_unassociated_contacts else ""
        extras = [
            f"view {self.view.field}={self.view.value!r}" if self.view else "",
            f"contact view {self.contact_view.field}={self.contact_view.value!r}"
            if self.contact_view
            else "",
            "custom field map" if self.field_map else "",
            "custom contact map" if self.contact_map else "",
        ]
        more = ", ".join(x for x in extras if x)
        return f"{self.module}{source}{flag} {self.extent} {self.duplicates}" + (f" ({more})" if more else "")


@dataclass
class Edit:
    """One change between syncs. ``op``: update | rename | create | status.

    - crm update/rename: ``target`` is a CRM ref, ``values`` the fields to set;
    - crm create: ``record`` is the new CrmSeed;
    - books update/rename: ``target`` is a Books ref or ``pair:<crm ref>``, ``values`` by Books path;
    - books create: ``record`` is the new BooksSeed.
    """

    side: str  # crm | books
    op: str
    target: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    record: CrmSeed | BooksSeed | None = None


@dataclass
class FaultSpec:
    """A transient fault rule, scoped to the scenario's tenant (the simulator's fault rules)."""

    effect: str  # error | drop
    service: str  # crm | books
    method: str
    nth: int
    status: int = 503
    retry_after: int | None = None
    apply_write: bool = False

    def rule(self, tenant_id: str) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "effect": self.effect,
            "service": self.service,
            "method": self.method,
            "nth": self.nth,
            "tenant_id": tenant_id,
        }
        if self.effect == "error":
            rule["status"] = self.status
            if self.retry_after is not None:
                rule["retry_after"] = self.retry_after
        else:
            rule["apply_write"] = self.apply_write
        return rule

    def describe(self) -> str:
        what = (
            f"error {self.status}"
            if self.effect == "error"
            else ("drop (write applied)" if self.apply_write else "drop (write not applied)")
        )
        return f"{what} on the {self.service} {self.method} #{self.nth}"

    @property
    def loses_a_create_reply(self) -> bool:
        """A dropped reply to a POST: the syncer cannot know whether the record was created."""
        return self.effect == "drop" and self.method == "POST"


@dataclass
class Step:
    """One step of the stateful suite (``conformance/stateful.py``), in the order it was taken.

    - ``sync``: a sync run, checked;
    - ``edit``: the next unused edit of ``side`` (crm | books) from the scenario's edits;
    - ``advance``: the clock moves ``seconds``;
    - ``fault``: ``fault`` fires during the next sync (its tenant only);
    - ``kill``: the next sync dies after write ``after`` (counted modulo the writes it makes).
    """

    op: str
    side: str | None = None
    seconds: int = 0
    fault: FaultSpec | None = None
    after: int = 0

    def describe(self) -> str:
        if self.op == "edit":
            return f"edit {self.side}"
        if self.op == "advance":
            return f"advance {self.seconds} s"
        if self.op == "fault" and self.fault is not None:
            return f"fault ({self.fault.describe()})"
        if self.op == "kill":
            return f"kill after write {self.after}"
        return self.op


#: Bulk records' names: "Paging Vendor 00042". No pool holds a name like these.
BULK_NAME = {"Accounts": "Paging Account", "Vendors": "Paging Vendor", "Products": "Paging Product"}


@dataclass
class Bulk:
    """Many plain CRM records of ``module`` (Accounts, Vendors or Products), enough for a list read
    to take pages. Each has a Books twin (the same name) except the first, the last and every
    ``lone_every``-th, which a sync must create: whichever page a syncer loses, something is missing.
    ``world.py`` builds them in one go, straight into the tenant's state."""

    module: str
    count: int
    lone_every: int = 40

    def name(self, position: int) -> str:
        return f"{BULK_NAME[self.module]} {position:05d}"

    def lone(self, position: int) -> bool:
        return position in (0, self.count - 1) or position % self.lone_every == 0

    def describe(self) -> str:
        lone = sum(1 for n in range(self.count) if self.lone(n))
        return f"{self.count} bulk {self.module} ({lone} without a Books twin)"


@dataclass
class Scenario:
    sync: SyncSpec
    crm: list[CrmSeed] = field(default_factory=list)
    books: list[BooksSeed] = field(default_factory=list)
    allow_duplicate_names: bool = True
    edits: list[Edit] = field(default_factory=list)
    faults: list[FaultSpec] = field(default_factory=list)
    kill_after: int = 1
    steps: list[Step] = field(default_factory=list)
    bulk: list[Bulk] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scenario:
        def view(raw: dict[str, Any] | None) -> ViewSpec | None:
            return ViewSpec(**raw) if raw else None

        def seed(raw: dict[str, Any] | None) -> CrmSeed | BooksSeed | None:
            if raw is None:
                return None
            return CrmSeed(**raw) if "module" in raw else BooksSeed(**raw)

        sync = dict(data["sync"])
        sync["view"], sync["contact_view"] = view(sync.get("view")), view(sync.get("contact_view"))
        return cls(
            sync=SyncSpec(**sync),
            crm=[CrmSeed(**r) for r in data.get("crm", [])],
            books=[BooksSeed(**r) for r in data.get("books", [])],
            allow_duplicate_names=data.get("allow_duplicate_names", True),
            edits=[Edit(**{**e, "record": seed(e.get("record"))}) for e in data.get("edits", [])],
            faults=[FaultSpec(**f) for f in data.get("faults", [])],
            kill_after=data.get("kill_after", 1),
            steps=[_step(raw) for raw in data.get("steps", [])],
            bulk=[Bulk(**raw) for raw in data.get("bulk", [])],
        )

    @classmethod
    def loads(cls, text: str) -> Scenario:
        return cls.from_json(json.loads(text))

    def describe(self) -> str:
        counts: dict[str, int] = {}
        for record in self.crm:
            counts[record.module] = counts.get(record.module, 0) + 1
        crm = ", ".join(f"{n} {m}" for m, n in counts.items()) or "no CRM records"
        books: dict[str, int] = {}
        for seed in self.books:
            books[seed.kind] = books.get(seed.kind, 0) + 1
        bk = ", ".join(f"{n} {k}s" for k, n in books.items()) or "no Books records"
        dup = "" if self.allow_duplicate_names else "; Books refuses duplicate names"
        text = f"{self.sync.describe()}; CRM: {crm}; Books: {bk}{dup}; {len(self.edits)} edits"
        if self.bulk:
            text += "; " + ", ".join(bulk.describe() for bulk in self.bulk)
        if self.steps:
            text += "; steps: " + ", ".join(step.describe() for step in self.steps)
        return text


def _step(raw: dict[str, Any]) -> Step:
    fault = raw.get("fault")
    return Step(**{**raw, "fault": FaultSpec(**fault) if fault else None})


# ---- pools ---------------------------------------------------------------------------------------
# Unicode where ``lower()`` and ``casefold()`` agree (no ß, no final sigma): "ignoring case" is then
# the same for every reasonable implementation.

COMPANIES = [
    *("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell"),
    *("Cyberdyne", "Soylent", "Wonka", "Nakatomi", "Gringotts", "Zoë Café", "Ørsted Ålborg"),
    *("Łódź Łaźnia", "東京商事", "Müller", "Dunder Mifflin", "Pied Piper", "Bluth"),
]
SUFFIXES = ["", " Corp", " Ltd", " & Sons", " GmbH"]
VENDORS = [
    *("Northwind", "Contoso", "Fabrikam", "Adatum", "Litware", "Proseware", "Tailspin"),
    *("Woodgrove", "Fourth Coffee", "Wide World", "Ærø Fisk", "Škoda Parts", "Kyōto Supply"),
]
PRODUCTS = [
    *("Widget", "Gizmo", "Sprocket", "Flux Capacitor", "Doohickey", "Thingamajig", "Gadget Pro"),
    *("Café Grinder", "Ünïcorn Horn", "Dynamo", "Turbo Encabulator", "Bolt", "Lämp", "Ratchet"),
]
PRODUCT_SUFFIXES = ["", " Mk II", " XL"]
FIRST_NAMES = ["Ada", "Grace", "Alan", "Émile", "Zoë", "Łukasz", "Søren", "Li", "Ngozi", "Björk", "Kai"]
LAST_NAMES = [
    *("Lovelace", "Hopper", "Turing", "Durkheim", "Saldana", "Nowak", "Kierkegaard", "Wei"),
    *("Okonjo", "Guðmundsdóttir", "Nakamura", "Oyelaran"),
]
BOOKS_PEOPLE = [("Pat", "Smith"), ("Kim", "Lee"), ("Jo", "March"), ("Ren", "Ito")]

COMPANY_NAMES = [c + s for c in COMPANIES for s in SUFFIXES]
VENDOR_NAMES = [v + s for v in VENDORS for s in ("", " Supplies", " Ltd")]
PRODUCT_NAMES = [p + s for p in PRODUCTS for s in PRODUCT_SUFFIXES]
PERSON_NAMES = [(f, last) for last in LAST_NAMES for f in FIRST_NAMES]
#: Books-only records (strangers) take names no CRM pool uses.
STRANGER_NAMES = [
    f"Stranger {w}"
    for w in ("Alpha", "Bravo", "Çharlie", "Delta", "Échő", "Foxtrot", "Golf", "Hotel", "Índia", "Juliett")
]

WEBSITES = ["https://acme.example", None, "www.zoë.example", "http://b.example/x"]
PHONES = ["+1 555 0100", None, "020 7946 0000"]
CITIES = ["  Zürich ", None, "Springfield", "São Paulo", "東京"]
COUNTRIES = ["Narnia", None, "Oz"]  # a view keeps "Narnia"
NOTES = ["Ünïcode note", None, "VIP", "  spaced  out  "]
TIERS = ["Gold", None, "Silver"]
TITLES = ["CTO", None, "Ops lead"]
PRICES = [9.5, None, 0, 120, 1999.99]
SKUS = [f"SKU-{n:03d}" for n in range(1, 40)]

#: Views the world can create: module -> (field, value) choices. A view keeps records whose field equals.
VIEW_CHOICES: dict[str, list[tuple[str, str | bool]]] = {
    "Accounts": [("Billing_Country", "Narnia")],
    "Contacts": [("Mailing_Country", "Narnia"), ("Email", "${NOTEMPTY}")],
    "Vendors": [("Country", "Narnia")],
    "Products": [("Product_Active", True)],
}
#: Optional pairs of a custom field map, by main CRM module: Books path -> the CRM fields it may take.
#: Several Books fields on one CRM field make MULTIMAP-PRIORITY cases (notes <- Website,
#: description <- Product_Name).
MAP_CHOICES: dict[str, dict[str, list[str]]] = {
    "Accounts": {
        "company_name": ["Account_Name"],
        "website": ["Website"],
        "notes": ["Description", "Customer_Tier", "Website"],
        "billing_address.city": ["Billing_City"],
        "billing_address.country": ["Billing_Country"],
        "billing_address.phone": ["Phone"],
        "shipping_address.city": ["Shipping_City", "Billing_City"],
    },
    "Contacts": {
        "primary_contact.first_name": ["First_Name"],
        "primary_contact.last_name": ["Last_Name"],
        "primary_contact.email": ["Email"],
        "primary_contact.phone": ["Phone", "Mobile"],
        "billing_address.city": ["Mailing_City"],
        "billing_address.country": ["Mailing_Country"],
        "website": ["Preferred_Language"],
        "notes": ["Title", "Mailing_City"],
    },
    "Vendors": {
        "company_name": ["Vendor_Name"],
        "website": ["Website"],
        "notes": ["Category", "Website"],
        "primary_contact.email": ["Email"],
        "primary_contact.phone": ["Phone"],
        "billing_address.city": ["City"],
        "billing_address.country": ["Country"],
    },
    "Products": {
        "rate": ["Unit_Price"],
        "sku": ["Product_Code"],
        # Product_Name is the mandatory-first case. Product_Code is the SKU, a match key: with
        # description mapped from it too (and first), a push writes Product_Code from the
        # description, so the duplicate check must use the key the push writes (NO-CRM-DUPLICATE).
        "description": ["Description", "Product_Name", "Product_Code"],
        "status": ["Product_Active"],
    },
}
NAME_FIELD = {"Accounts": "Account_Name", "Vendors": "Vendor_Name", "Products": "Product_Name"}
PREFIX = {"Accounts": "A", "Contacts": "C", "Vendors": "V", "Products": "P"}
KIND_OF = {"Accounts": "customer", "Contacts": "customer", "Vendors": "vendor", "Products": "item"}


def spacing_variants(name: str) -> list[str]:
    """The same match key written differently: case, and white space around or inside."""
    inner = name.replace(" ", "  ") if " " in name else name
    tab = name.replace(" ", "\t", 1) if " " in name else name
    return [f" {name.upper()}  ", name, name.upper(), name.lower(), f"  {name}", f"{name} ", inner, tab]


# ---- strategies ----------------------------------------------------------------------------------


#: Every module sync, equally likely: (module, crm_source, include_unassociated_contacts).
SYNC_KINDS: list[tuple[str, str | None, bool]] = [
    ("customers", "accounts", False),
    ("customers", "contacts", False),
    ("customers", "accounts_and_contacts", False),
    ("customers", "accounts_and_contacts", True),
    ("vendors", None, False),
    ("items", None, False),
]


def kind_name(kind: tuple[str, str | None, bool]) -> str:
    """``customers-accounts_and_contacts+unassociated``, ``vendors``, ..."""
    module, source, flag = kind
    return module + (f"-{source}" if source else "") + ("+unassociated" if flag else "")


KIND_NAMES = {kind_name(k): k for k in SYNC_KINDS}


@st.composite
def sync_specs(draw: st.DrawFn, kind: tuple[str, str | None, bool] | None = None) -> SyncSpec:
    module, source, flag = kind or draw(st.sampled_from(SYNC_KINDS))
    main = {"vendors": "Vendors", "items": "Products"}.get(module) or (
        "Contacts" if source == "contacts" else "Accounts"
    )
    spec = SyncSpec(
        module=module,
        crm_source=source,
        include_unassociated_contacts=flag,
        extent=draw(st.sampled_from(["both_ways", "fetch_from_crm"])),
        duplicates=draw(st.sampled_from(["overwrite", "clone", "skip"])),
    )
    if draw(st.integers(0, 2)) == 0:
        spec.view = ViewSpec(main, *draw(st.sampled_from(VIEW_CHOICES[main])))
    if source == "accounts_and_contacts" and draw(st.integers(0, 2)) == 0:
        spec.contact_view = ViewSpec("Contacts", *draw(st.sampled_from(VIEW_CHOICES["Contacts"])))
    if draw(st.integers(0, 2)) == 0:
        spec.field_map = draw(field_maps(main))
    if flag and draw(st.integers(0, 3)) == 0:
        spec.contact_map = draw(field_maps("Contacts"))
    return spec


@st.composite
def field_maps(draw: st.DrawFn, module: str) -> list[list[str]]:
    """A custom map: the mandatory pair and a shuffled subset of the module's optional pairs.

    A contacts map always keeps at least one ``primary_contact.*`` pair: the contract says the CRM
    contact becomes the customer's primary person, and with no person field mapped there is no
    value to give it (the reference then makes no person; see the README section)."""
    choices = MAP_CHOICES[module]
    books_fields = draw(st.lists(st.sampled_from(sorted(choices)), unique=True, min_size=1, max_size=5))
    if module == "Contacts" and not any(b.startswith("primary_contact.") for b in books_fields):
        books_fields.append("primary_contact.email")
    pairs = [[b, draw(st.sampled_from(choices[b]))] for b in books_fields]
    mandatory = {"Accounts": "Account_Name", "Contacts": "Full_Name", "Vendors": "Vendor_Name"}
    name = ["name", "Product_Name"] if module == "Products" else ["contact_name", mandatory[module]]
    return [name, *draw(st.permutations(pairs))]


def _maybe(draw: st.DrawFn, values: list[Any]) -> Any:
    return draw(st.sampled_from(values))


def _crm_values(draw: st.DrawFn, module: str, name: Any, n: int, sku: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if module == "Accounts":
        values["Account_Name"] = name
        for key, pool in (
            ("Website", WEBSITES),
            ("Phone", PHONES),
            ("Billing_City", CITIES),
            ("Billing_Country", COUNTRIES),
            ("Shipping_City", CITIES),
            ("Description", NOTES),
            ("Customer_Tier", TIERS),
        ):
            values[key] = _maybe(draw, pool)
    elif module == "Contacts":
        first, last = name
        values["First_Name"] = first
        values["Last_Name"] = last
        values["Email"] = f"person{n}@example.com" if draw(st.integers(0, 3)) < 3 else None
        for key, pool in (
            ("Phone", PHONES),
            ("Mobile", PHONES),
            ("Mailing_City", CITIES),
            ("Mailing_Country", COUNTRIES),
            ("Title", TITLES),
            ("Preferred_Language", ["fr", None, "日本語"]),
        ):
            values[key] = _maybe(draw, pool)
    elif module == "Vendors":
        values["Vendor_Name"] = name
        for key, pool in (
            ("Website", WEBSITES),
            ("Email", [f"vendor{n}@example.com", None]),
            ("Phone", PHONES),
            ("City", CITIES),
            ("Country", COUNTRIES),
            ("Category", NOTES),
        ):
            values[key] = _maybe(draw, pool)
    else:
        values["Product_Name"] = name
        values["Product_Code"] = sku
        values["Unit_Price"] = _maybe(draw, PRICES)
        values["Product_Active"] = _maybe(draw, [True, None, True, False])  # a view keeps true
        values["Description"] = _maybe(draw, NOTES)
    return {k: v for k, v in values.items() if v is not None}


def _books_contact(draw: st.DrawFn, kind: str, name: str, sub_type: str, tag: str) -> dict[str, Any]:
    body: dict[str, Any] = {"contact_name": name, "contact_type": kind}
    if kind == "customer":
        body["customer_sub_type"] = sub_type
    for key, pool in (("company_name", [None, "Old Co"]), ("website", WEBSITES), ("notes", NOTES)):
        value = _maybe(draw, pool)
        if value is not None:
            body[key] = value
    body["payment_terms"] = _maybe(draw, [0, 15, 30])
    body["billing_address"] = {
        "address": _maybe(draw, ["", "1 Old Road"]),
        "city": _maybe(draw, ["", "Oldtown", "Zürich"]),
        "country": _maybe(draw, ["", "Narnia", "Elbonia"]),
        "phone": _maybe(draw, ["", "+44 20 0000"]),
    }
    if draw(st.booleans()):
        body["shipping_address"] = {"city": "Shipton", "zip": "12345"}
    people = draw(st.lists(st.sampled_from(BOOKS_PEOPLE), unique=True, max_size=2))
    if people:
        body["contact_persons"] = [
            {"first_name": f, "last_name": last, "email": f"{f.lower()}.{tag}@books.example", "phone": "555"}
            for f, last in people
        ]
        body["contact_persons"][draw(st.integers(0, len(people) - 1))]["is_primary_contact"] = True
    return body


def _books_item(draw: st.DrawFn, name: str, sku: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "rate": _maybe(draw, [0, 5, 12.5, 99])}
    if sku:
        body["sku"] = sku
    for key, pool in (("description", NOTES), ("unit", [None, "pcs", "box"])):
        value = _maybe(draw, pool)
        if value is not None:
            body[key] = value
    if draw(st.integers(0, 3)) == 0:
        body["status"] = "inactive"
    return body


class _Names:
    """Fresh, pairwise-distinct (by match key) names for one scenario."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.used: set[str] = set()

    def take(self, pool: list[Any], key: Any = fold) -> Any:
        free = [x for x in pool if key(x) not in self.used]
        value = self.draw(st.sampled_from(free))
        self.used.add(key(value))
        return value


def _full(name: tuple[str | None, str]) -> str:
    return fold(f"{name[0] or ''} {name[1]}")


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    kind: tuple[str, str | None, bool] | None = None,
    edits: bool = False,
    faults: bool = False,
    kill: bool = False,
    most_edits: int = 5,
) -> Scenario:
    """A scenario for one module sync (``kind``, one of ``SYNC_KINDS``; drawn when None)."""
    sync = draw(sync_specs(kind))
    names = _Names(draw)
    skus = _Names(draw)
    allow_dup = draw(st.integers(0, 4)) < 4  # the simplest example: duplicates allowed (the default)
    crm: list[CrmSeed] = []
    synced = synced_modules(sync)
    # The synced modules get records (1 to 4); the others a few (0 to 2), for MODULE-ISOLATION.
    counts = {m: draw(st.integers(1, 4) if m in synced else st.integers(0, 2)) for m in PREFIX}
    n = 0
    for module, count in counts.items():
        for i in range(count):
            n += 1
            crm.append(_crm_seed(draw, module, f"{PREFIX[module]}{i}", n, names, skus))
    accounts = [r.ref for r in crm if r.module == "Accounts"]
    for record in crm:
        if record.module == "Contacts" and accounts and draw(st.booleans()):
            record.values["Account_Name"] = draw(st.sampled_from(accounts))
    books = _books_seeds(draw, crm, names, skus, allow_dup=allow_dup)
    scenario = Scenario(sync=sync, crm=crm, books=books, allow_duplicate_names=allow_dup)
    if edits:
        scenario.edits = draw(_edits(scenario, names, skus, most_edits))
    if faults:
        scenario.faults = draw(st.lists(fault_specs(), min_size=1, max_size=3))
    if kill:
        scenario.kill_after = draw(st.integers(1, 40))
    return scenario


def _crm_seed(draw: st.DrawFn, module: str, ref: str, n: int, names: _Names, skus: _Names) -> CrmSeed:
    if module == "Contacts":
        if draw(st.integers(0, 4)) < 4:
            first, last = names.take(PERSON_NAMES, key=_full)
        else:  # no first name: the name (and the key) is the last name alone
            first, last = names.take([(None, last) for last in LAST_NAMES], key=_full)
        if draw(st.integers(0, 5)) == 0:
            last = f"{last} "  # trailing space: CRM keeps it, the match key does not
        return CrmSeed(ref, module, _crm_values(draw, module, (first, last), n, None))
    pool = {"Accounts": COMPANY_NAMES, "Vendors": VENDOR_NAMES, "Products": PRODUCT_NAMES}[module]
    name = names.take(pool)
    if draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(spacing_variants(name)))
    sku = skus.take(SKUS) if module == "Products" and draw(st.booleans()) else None
    return CrmSeed(ref, module, _crm_values(draw, module, name, n, sku))


def synced_modules(sync: SyncSpec) -> set[str]:
    if sync.module in ("vendors", "items"):
        return {"Vendors"} if sync.module == "vendors" else {"Products"}
    if sync.crm_source == "accounts_and_contacts":
        return {"Accounts", "Contacts"}
    return {"Contacts" if sync.crm_source == "contacts" else "Accounts"}


def crm_name(record: CrmSeed) -> str:
    if record.module == "Contacts":
        return f"{record.values.get('First_Name') or ''} {record.values['Last_Name']}".strip()
    return str(record.values[NAME_FIELD[record.module]])


def _books_seeds(
    draw: st.DrawFn, crm: list[CrmSeed], names: _Names, skus: _Names, *, allow_dup: bool
) -> list[BooksSeed]:
    """Twins of CRM records (sometimes several: duplicates among themselves) and strangers."""
    seeds: list[BooksSeed] = []

    def add(kind: str, values: dict[str, Any]) -> None:
        seeds.append(BooksSeed(f"b{len(seeds)}", kind, values, draw(st.integers(0, 4))))

    for record in crm:
        kind = KIND_OF[record.module]
        most = 1 if not allow_dup and kind != "item" else 2
        # Hypothesis's first (simplest) example takes the first choice: a twin.
        for _ in range(min(most, draw(st.sampled_from([1, 0, 0, 0, 1, 1, 2, 2])))):
            name = draw(st.sampled_from(spacing_variants(crm_name(record))))
            if kind == "item":
                add(kind, _books_item(draw, *_twin_item(draw, record, name, skus)))
            else:
                sub = "individual" if record.module == "Contacts" else "business"
                add(kind, _books_contact(draw, kind, name, sub, f"b{len(seeds)}"))
    for kind in ("customer", "vendor", "item"):
        for _ in range(draw(st.integers(0, 2))):
            name = names.take(STRANGER_NAMES)
            copies = 1 if not allow_dup and kind != "item" else draw(st.sampled_from([1, 1, 2]))
            for _ in range(copies):
                variant = draw(st.sampled_from(spacing_variants(name)))
                if kind == "item":
                    add(kind, _books_item(draw, variant, ""))
                else:
                    sub = draw(st.sampled_from(["business", "individual"]))
                    add(kind, _books_contact(draw, kind, variant, sub, f"b{len(seeds)}"))
    return seeds


def _twin_item(draw: st.DrawFn, product: CrmSeed, name: str, skus: _Names) -> tuple[str, str]:
    """A Books item that matches ``product`` (by name, or by SKU under another name), or a near
    miss: its name under a different SKU, which section 3 says is not a match."""
    sku = product.values.get("Product_Code")
    if sku:
        choice = draw(st.sampled_from(["same sku", "no sku", "near miss", "sku only"]))
        if choice == "same sku":
            return name, sku
        if choice == "no sku":
            return name, ""
        if choice == "near miss":
            return name, skus.take(SKUS)
        return f"Renamed {draw(st.sampled_from(['Thing', 'Stück']))}", sku
    return name, draw(st.sampled_from(["", skus.take(SKUS)]))


def fault_specs(
    *, methods: tuple[str, ...] = ("GET", "POST", "PUT"), most_nth: int = 4
) -> st.SearchStrategy[FaultSpec]:
    """Transient faults on the ``nth`` request of a method to a service (a rule that never meets
    its ``nth`` request never fires)."""
    service = st.sampled_from(["crm", "books"])
    method = st.sampled_from(list(methods))
    nth = st.integers(1, most_nth)
    return st.one_of(
        st.builds(
            FaultSpec,
            effect=st.just("error"),
            service=service,
            method=method,
            nth=nth,
            status=st.just(429),
            retry_after=st.sampled_from([0, 1]),
        ),
        st.builds(
            FaultSpec, effect=st.just("error"), service=service, method=method, nth=nth, status=st.just(503)
        ),
        st.builds(
            FaultSpec,
            effect=st.just("drop"),
            service=service,
            method=method,
            nth=nth,
            apply_write=st.booleans(),
        ),
    )


#: Values an edit may give a field (None clears it), by module and field.
EditableValues = dict[str, dict[str, Sequence[str | float | None]]]
EDITABLE_CRM: EditableValues = {
    "Accounts": {
        "Website": WEBSITES,
        "Phone": PHONES,
        "Billing_City": CITIES,
        "Billing_Country": COUNTRIES,
        "Description": NOTES,
        "Customer_Tier": TIERS,
        "Shipping_City": CITIES,
    },
    "Contacts": {
        "Phone": PHONES,
        "Mobile": PHONES,
        "Mailing_City": CITIES,
        "Mailing_Country": COUNTRIES,
        "Title": TITLES,
        "Preferred_Language": [None, "de"],
    },
    "Vendors": {
        "Website": WEBSITES,
        "Phone": PHONES,
        "City": CITIES,
        "Country": COUNTRIES,
        "Category": NOTES,
    },
    "Products": {"Unit_Price": PRICES, "Description": NOTES, "Product_Active": [None, True, False]},
}
EDITABLE_BOOKS: EditableValues = {
    "customer": {
        "website": WEBSITES,
        "notes": NOTES,
        "company_name": [None, "New Co"],
        "billing_address.city": CITIES,
        "billing_address.country": COUNTRIES,
        "primary_contact.email": [None, "new@books.example"],
    },
    "item": {"rate": [0, 7, 42.5], "description": NOTES, "status": ["active", "inactive"]},
}
EDITABLE_BOOKS["vendor"] = EDITABLE_BOOKS["customer"]


@st.composite
def _edits(draw: st.DrawFn, scenario: Scenario, names: _Names, skus: _Names, most: int) -> list[Edit]:
    edits: list[Edit] = []
    crm = list(scenario.crm)
    created = {"Accounts": 0, "Contacts": 0, "Vendors": 0, "Products": 0}
    stranger_keys = {fold(s) for s in STRANGER_NAMES}
    synced = synced_modules(scenario.sync)
    twinned: set[str] = set()
    for _ in range(draw(st.integers(1, most))):
        what = draw(
            st.sampled_from(
                [
                    "crm update",
                    "books update",
                    "crm update",
                    "books update",
                    "crm rename",
                    "books rename",
                    "crm create",
                    "books create",
                ]
            )
        )
        if what == "crm create" or (not crm and what.startswith("crm")):
            module = draw(st.sampled_from(["Accounts", "Contacts", "Vendors", "Products"]))
            ref = f"{PREFIX[module]}{100 + created[module]}"
            created[module] += 1
            record = _crm_seed(draw, module, ref, 100 + len(edits), names, skus)
            # Fetch only: the new CRM record finds a Books stranger as its duplicate. (Both ways may
            # have pushed the stranger to CRM already, and CRM keys must stay unique.)
            strangers = [
                b
                for b in scenario.books
                if b.kind == KIND_OF[module] and fold(_books_name(b)) in stranger_keys - twinned
            ]
            fetch = scenario.sync.extent == "fetch_from_crm"
            if fetch and module != "Contacts" and strangers and draw(st.integers(0, 2)) == 0:
                twin = draw(st.sampled_from(strangers))
                twinned.add(fold(_books_name(twin)))
                record.values[NAME_FIELD[module]] = draw(st.sampled_from(spacing_variants(_books_name(twin))))
            accounts = [r.ref for r in crm if r.module == "Accounts"]
            if module == "Contacts" and accounts and draw(st.booleans()):
                record.values["Account_Name"] = draw(st.sampled_from(accounts))
            crm.append(record)
            edits.append(Edit("crm", "create", record=record))
        elif what == "crm update":
            target = draw(st.sampled_from(crm))
            fields = EDITABLE_CRM[target.module]
            chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, min_size=1, max_size=2))
            edits.append(
                Edit("crm", "update", target.ref, {f: draw(st.sampled_from(fields[f])) for f in chosen})
            )
        elif what == "crm rename":
            target = draw(st.sampled_from(crm))
            if target.module == "Contacts":
                _, last = names.take(PERSON_NAMES, key=_full)
                values: dict[str, str | float | None] = {"Last_Name": f"{last}-{len(edits)}"}
            else:
                pool = {"Accounts": COMPANY_NAMES, "Vendors": VENDOR_NAMES, "Products": PRODUCT_NAMES}
                values = {NAME_FIELD[target.module]: names.take(pool[target.module])}
            edits.append(Edit("crm", "rename", target.ref, values))
        elif what == "books create":
            kind = draw(st.sampled_from(["customer", "vendor", "item"]))
            name = names.take(STRANGER_NAMES + [f"New {p}" for p in PRODUCTS])
            seed = BooksSeed(f"n{len(edits)}", kind, {})
            if kind == "item":
                seed.values = _books_item(draw, name, "")
            else:
                sub = draw(st.sampled_from(["business", "individual"]))
                seed.values = _books_contact(draw, kind, name, sub, f"n{len(edits)}")
            edits.append(Edit("books", "create", record=seed))
        else:
            pairs = [f"pair:{r.ref}" for r in crm if r.module in synced]
            others = [b.ref for b in scenario.books]
            if not pairs and not others:
                continue
            # Mostly the Books side of a synced pair; sometimes a record the sync left alone.
            target_ref = draw(
                st.sampled_from(pairs if pairs and (not others or draw(st.integers(0, 3))) else others)
            )
            kind = _kind_of_target(target_ref, crm, scenario.books)
            if what == "books rename":
                fresh = names.take(STRANGER_NAMES + [f"Renamed {p}" for p in PRODUCTS])
                values = {("name" if kind == "item" else "contact_name"): fresh}
            else:
                fields = EDITABLE_BOOKS[kind]
                chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, min_size=1, max_size=2))
                values = {f: draw(st.sampled_from(fields[f])) for f in chosen}
                if values.get("primary_contact.email"):  # CRM Contacts' Email is unique
                    values["primary_contact.email"] = f"new{len(edits)}@books.example"
            edits.append(Edit("books", "update" if what == "books update" else "rename", target_ref, values))
    return edits


def _books_name(seed: BooksSeed) -> str:
    return str(seed.values.get("name") or seed.values.get("contact_name"))


def _kind_of_target(target: str, crm: list[CrmSeed], books: list[BooksSeed]) -> str:
    if target.startswith("pair:"):
        ref = target.removeprefix("pair:")
        return KIND_OF[next(r.module for r in crm if r.ref == ref)]
    return next(b.kind for b in books if b.ref == target)
