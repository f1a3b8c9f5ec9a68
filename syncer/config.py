"""The sync configuration: where Zoho is, and one entry per module sync.

A file (TOML or JSON) looks like::

    [connection]                       # omit it to use the local simulator's tenant t1
    base_url = "http://127.0.0.1:8765"

    [[sync]]
    module = "customers"               # customers | vendors | items
    crm_source = "accounts_and_contacts"
    include_unassociated_contacts = true
    extent = "both_ways"               # fetch_from_crm | both_ways
    duplicates = "overwrite"           # clone | overwrite | skip
    view = "4150868000000087501"       # a CRM custom view id (the Accounts view here)
    contact_view = "4150868000000087601"
    field_map = [["contact_name", "Account_Name"], ["website", "Website"]]

Every error names the field (``sync[0].duplicates``) and says how to fix it.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fieldmap import PERSON_MAP, SPECS, FieldPair, ModuleSpec

MODULES = ("customers", "vendors", "items")
CRM_SOURCES = ("accounts", "contacts", "accounts_and_contacts")
EXTENTS = ("fetch_from_crm", "both_ways")
DUPLICATE_MODES = ("clone", "overwrite", "skip")
SCHEDULES = ("now", "later")
DEFAULT_INTERVAL = 2 * 3600
LOCAL_SIMULATOR = "http://127.0.0.1:8765"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
#: The settings each table takes (docs/config.md; syncer/schema.py publishes them as JSON Schema).
CONFIG_KEYS = frozenset({"connection", "sync", "state"})
STATE_KEYS = frozenset({"path"})
URL_KEYS = ("accounts_url", "crm_url", "books_url")
CREDENTIAL_KEYS = ("client_id", "client_secret", "refresh_token", "books_organization_id")
CONNECTION_KEYS = frozenset({"base_url", *URL_KEYS, "control_url", *CREDENTIAL_KEYS, "tenant"})
SYNC_KEYS = frozenset(
    {
        "module",
        "crm_source",
        "include_unassociated_contacts",
        "extent",
        "duplicates",
        "view",
        "contact_view",
        "field_map",
        "contact_map",
        "person_map",
        "schedule",
        "interval",
        "name",
    }
)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(ValueError):
    """A configuration that cannot run; ``where`` names the field."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


@dataclass(frozen=True)
class Connection:
    accounts_url: str
    crm_url: str
    books_url: str
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    books_organization_id: str = ""
    tenant: str = "t1"
    control_url: str | None = None

    @classmethod
    def local(cls, base_url: str = LOCAL_SIMULATOR, **credentials: str) -> Connection:
        """All three services on one simulator; missing credentials come from its control plane."""
        base = base_url.rstrip("/")
        return cls(
            accounts_url=base,
            crm_url=base + "/crm/v8",
            books_url=base + "/books/v3",
            control_url=base + "/__zohosim",
            **credentials,
        )

    @property
    def complete(self) -> bool:
        return all((self.client_id, self.client_secret, self.refresh_token, self.books_organization_id))

    @property
    def credentials(self) -> dict[str, str]:
        """The credentials given (empty ones left out: the simulator's control plane fills them)."""
        given = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "books_organization_id": self.books_organization_id,
        }
        return {key: value for key, value in given.items() if value}


@dataclass(frozen=True)
class ModuleSync:
    """One module sync: which CRM records go to which Books records, and how."""

    module: str
    crm_source: str | None = None
    include_unassociated_contacts: bool = False
    extent: str = "fetch_from_crm"
    duplicates: str = "skip"
    view: str | None = None
    contact_view: str | None = None
    field_map: tuple[FieldPair, ...] = ()
    contact_map: tuple[FieldPair, ...] = ()
    person_map: tuple[FieldPair, ...] = PERSON_MAP
    schedule: str = "now"
    interval: int = DEFAULT_INTERVAL
    name: str = ""

    @property
    def spec(self) -> ModuleSpec:
        """The main CRM module of this sync (Accounts for ``accounts_and_contacts``)."""
        if self.module == "vendors":
            return SPECS["vendors"]
        if self.module == "items":
            return SPECS["products"]
        return SPECS["contacts" if self.crm_source == "contacts" else "accounts"]

    @property
    def label(self) -> str:
        return self.name or (f"customers:{self.crm_source}" if self.module == "customers" else self.module)

    @property
    def with_persons(self) -> bool:
        return self.crm_source == "accounts_and_contacts"

    @property
    def with_individuals(self) -> bool:
        """Whether CRM contacts become individual customers of their own."""
        return self.crm_source == "contacts" or (self.with_persons and self.include_unassociated_contacts)


@dataclass(frozen=True)
class Config:
    connection: Connection
    syncs: tuple[ModuleSync, ...]
    state_path: Path = field(default=Path(".zohosim-sync/state.sqlite3"))


#: The environment a conformance harness (``zohosim conform --syncer-cmd``) gives a syncer.
ENV_URLS = ("ZOHOSIM_ACCOUNTS_URL", "ZOHOSIM_CRM_URL", "ZOHOSIM_BOOKS_URL")
ENV_CREDENTIALS = {
    "client_id": "ZOHOSIM_CLIENT_ID",
    "client_secret": "ZOHOSIM_CLIENT_SECRET",
    "refresh_token": "ZOHOSIM_REFRESH_TOKEN",
    "books_organization_id": "ZOHOSIM_BOOKS_ORGANIZATION_ID",
}


def with_environment(config: Config, env: Mapping[str, str]) -> Config:
    """The connection from the ``ZOHOSIM_*`` variables when they are set (all three URLs, the
    credentials, ``ZOHOSIM_CONTROL_URL``), and the state file in ``ZOHOSIM_STATE_DIR``; the
    file's settings otherwise."""
    connection = config.connection
    urls = [env.get(name, "") for name in ENV_URLS]
    if any(urls):
        if not all(urls):
            missing = [name for name, url in zip(ENV_URLS, urls, strict=True) if not url]
            raise ConfigError("environment", f"set all of {', '.join(ENV_URLS)} or none (missing {missing})")
        accounts, crm, books = (url.rstrip("/") for url in urls)
        connection = Connection(
            accounts_url=accounts,
            crm_url=crm,
            books_url=books,
            tenant=connection.tenant,
            control_url=env.get("ZOHOSIM_CONTROL_URL") or None,
            **{key: env.get(name, "") for key, name in ENV_CREDENTIALS.items()},
        )
    state_dir = env.get("ZOHOSIM_STATE_DIR")
    state_path = Path(state_dir) / "state.sqlite3" if state_dir else config.state_path
    return replace(config, connection=connection, state_path=state_path)


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read the file ({exc.strerror}): check the path") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            str(path), f"not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}"
        ) from exc
    config = parse_config(data)
    if not config.state_path.is_absolute():
        config = Config(config.connection, config.syncs, path.parent / config.state_path)
    return config


def parse_config(data: Mapping[str, Any]) -> Config:
    _only(data, "config", CONFIG_KEYS)
    syncs = data.get("sync")
    if not isinstance(syncs, list) or not syncs:
        raise ConfigError("sync", "give at least one [[sync]] table (module = customers, vendors or items)")
    state = data.get("state", {})
    _only(state, "state", STATE_KEYS)
    return Config(
        connection=parse_connection(data.get("connection", {})),
        syncs=tuple(parse_module_sync(entry, where=f"sync[{n}]") for n, entry in enumerate(syncs)),
        state_path=Path(state.get("path", ".zohosim-sync/state.sqlite3")),
    )


def parse_connection(data: Any) -> Connection:
    _only(data, "connection", CONNECTION_KEYS)
    credentials = {k: _text(data, k, "connection") for k in (*CREDENTIAL_KEYS, "tenant") if k in data}
    if "accounts_url" in data or "crm_url" in data or "books_url" in data:
        missing = [k for k in ("accounts_url", "crm_url", "books_url") if k not in data]
        if missing:
            raise ConfigError(
                "connection", f"give all of accounts_url, crm_url and books_url (missing {missing})"
            )
        connection = Connection(
            accounts_url=_text(data, "accounts_url", "connection").rstrip("/"),
            crm_url=_text(data, "crm_url", "connection").rstrip("/"),
            books_url=_text(data, "books_url", "connection").rstrip("/"),
            control_url=data.get("control_url"),
            **credentials,
        )
        if not connection.complete:
            raise ConfigError(
                "connection",
                "real Zoho needs client_id, client_secret, refresh_token and books_organization_id",
            )
        return connection
    return Connection.local(data.get("base_url", LOCAL_SIMULATOR), **credentials)


def parse_module_sync(data: Any, *, where: str) -> ModuleSync:
    _only(data, where, SYNC_KEYS)
    module = _choice(data, "module", MODULES, where, required=True)
    crm_source = _choice(data, "crm_source", CRM_SOURCES, where, required=module == "customers")
    if module != "customers" and crm_source is not None:
        raise ConfigError(f"{where}.crm_source", f"only customers take a crm_source (this sync is {module})")
    include = data.get("include_unassociated_contacts", False)
    if not isinstance(include, bool):
        raise ConfigError(f"{where}.include_unassociated_contacts", "must be true or false")
    if include and crm_source != "accounts_and_contacts":
        raise ConfigError(
            f"{where}.include_unassociated_contacts",
            "applies only with crm_source = accounts_and_contacts: remove it or change crm_source",
        )
    if "contact_view" in data and crm_source != "accounts_and_contacts":
        raise ConfigError(f"{where}.contact_view", "applies only with crm_source = accounts_and_contacts")
    sync = ModuleSync(
        module=module,
        crm_source=crm_source,
        include_unassociated_contacts=include,
        extent=_choice(data, "extent", EXTENTS, where) or "fetch_from_crm",
        duplicates=_choice(data, "duplicates", DUPLICATE_MODES, where) or "skip",
        view=_optional_id(data, "view", where),
        contact_view=_optional_id(data, "contact_view", where),
        schedule=_choice(data, "schedule", SCHEDULES, where) or "now",
        interval=_duration(data.get("interval", DEFAULT_INTERVAL), f"{where}.interval"),
        name=str(data.get("name", "")),
    )
    field_map = _field_map(data.get("field_map"), sync.spec, f"{where}.field_map")
    contact_map = _field_map(data.get("contact_map"), SPECS["contacts"], f"{where}.contact_map")
    person_map = _pair_list(data.get("person_map"), f"{where}.person_map") or PERSON_MAP
    return ModuleSync(
        **{**sync.__dict__, "field_map": field_map, "contact_map": contact_map, "person_map": person_map}
    )


def _field_map(raw: Any, spec: ModuleSpec, where: str) -> tuple[FieldPair, ...]:
    """A user map, with the mandatory pair first (added when absent); the default map when absent."""
    pairs = _pair_list(raw, where)
    if not pairs:
        return spec.default_map
    for n, pair in enumerate(pairs):
        if pair.books not in spec.books_fields:
            raise ConfigError(
                f"{where}[{n}]",
                f"{pair.books!r} is not a Books field of {spec.books_collection} this sync can set",
            )
    rest = tuple(p for p in pairs if p != spec.mandatory)
    return (spec.mandatory, *rest)


def _pair_list(raw: Any, where: str) -> tuple[FieldPair, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(
            where, 'must be a list of [books_field, crm_field] pairs, e.g. [["website", "Website"]]'
        )
    pairs = []
    for n, item in enumerate(raw):
        if isinstance(item, Mapping) and set(item) == {"books", "crm"}:
            item = [item["books"], item["crm"]]
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) and x for x in item)):
            raise ConfigError(f"{where}[{n}]", 'must be a pair of field names, e.g. ["website", "Website"]')
        pairs.append(FieldPair(item[0], item[1]))
    return tuple(pairs)


def _only(data: Any, where: str, allowed: frozenset[str]) -> None:
    if not isinstance(data, Mapping):
        raise ConfigError(where, "must be a table (an object)")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}.{unknown[0]}", f"unknown setting; the settings here are {sorted(allowed)}"
        )


def _choice(
    data: Mapping[str, Any], key: str, choices: tuple[str, ...], where: str, *, required: bool = False
) -> Any:
    value = data.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{where}.{key}", f"is required: one of {list(choices)}")
        return None
    if value not in choices:
        raise ConfigError(f"{where}.{key}", f"{value!r} is not one of {list(choices)}")
    return value


def _optional_id(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise ConfigError(f"{where}.{key}", f"{value!r} is not a CRM custom view id (all digits)")
    return str(value)


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key}", "must be a non-empty string")
    return value


def _duration(value: Any, where: str) -> int:
    """Seconds, or a string such as ``"2h"``, ``"30m"`` or ``"90s"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _DURATION.match(str(value))
    if not match or int(match.group(1)) == 0:
        raise ConfigError(where, f"{value!r} is not a duration such as 2h, 30m or 7200")
    return int(match.group(1)) * _UNITS[match.group(2)]


def parse_duration(text: str) -> int:
    return _duration(text, "interval")
