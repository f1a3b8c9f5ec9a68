"""A Zoho CRM Accounts <-> Zoho Books customers syncer that uses only httpx.

One ``run`` is one sync of the configuration's ``customers`` entry with ``crm_source =
accounts``: both extents, the three duplicate modes, a CRM view, paging on both sides, retries,
and no duplicate after a lost create reply. Links and write-ahead intents are kept in one JSON
file in the state directory.

By the harness's Python route::

    zohosim conform --syncer-python examples.python_httpx.sync:factory --kinds customers-accounts
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

PER_PAGE = 200
PAGE_LIMIT = 2000  # CRM serves ``page`` up to 2,000 records; past that, only ``page_token``
CRM_BATCH = 100
MANDATORY = ("contact_name", "Account_Name")
DEFAULT_MAP = [
    MANDATORY,
    ("company_name", "Account_Name"),
    ("website", "Website"),
    ("billing_address.phone", "Phone"),
    *[
        (f"{side}_address.{key}", f"{prefix}_{crm}")
        for side, prefix in (("billing", "Billing"), ("shipping", "Shipping"))
        for key, crm in (
            ("address", "Street"),
            ("city", "City"),
            ("state", "State"),
            ("zip", "Code"),
            ("country", "Country"),
        )
    ],
]
ADDRESS_KEYS = ("attention", "address", "street2", "city", "state", "zip", "country", "phone", "fax")


class LostReply(Exception):
    """A create whose reply never came: it may have happened."""


class ZohoError(Exception):
    """Zoho refused a request, or it kept failing after every retry: the record is reported, not retried."""


# ---- values ----------------------------------------------------------------------------------


def match_key(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


def same(a: object, b: object) -> bool:
    def norm(v: object) -> object:
        return (
            None
            if v in (None, "")
            else float(v)
            if isinstance(v, int | float) and not isinstance(v, bool)
            else v
        )

    return norm(a) == norm(b)


def changed(current: dict[str, Any], agreed: dict[str, Any]) -> bool:
    return any(not same(v, agreed.get(k)) for k, v in current.items()) or any(
        k not in current for k in agreed
    )


def books_value(record: dict[str, Any], path: str) -> Any:
    head, _, key = path.partition(".")
    return (record.get(head) or {}).get(key) if key else record.get(path)


def diff_books(wanted: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    return {p: v for p, v in wanted.items() if not same(v, books_value(record, p))}


def books_body(values: dict[str, Any], existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """Books replaces an address whole: send it complete."""
    body: dict[str, Any] = {} if existing else {"contact_type": "customer", "customer_sub_type": "business"}
    for path, value in values.items():
        head, _, key = path.partition(".")
        if not key:
            body[path] = value
            continue
        if head not in body:
            current = (existing or {}).get(head) or {}
            body[head] = {k: current.get(k, "") for k in ADDRESS_KEYS}
        body[head][key] = "" if value is None else value
    return body


# ---- HTTP ------------------------------------------------------------------------------------


@dataclass
class Zoho:
    http: httpx.Client
    accounts_url: str
    crm_url: str
    books_url: str
    organization_id: str
    credentials: dict[str, str]
    wait: Callable[[float], None]
    token: str = ""

    def call(self, method: str, url: str, *, create: bool = False, **kwargs: Any) -> httpx.Response:
        """Retries 429 (after Retry-After), 5xx and dropped connections; a create's dropped
        connection is a ``LostReply``. An expired token is refreshed once."""
        for attempt in range(1, 7):
            headers = {"Authorization": f"Zoho-oauthtoken {self.access_token()}"}
            try:
                reply = self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as error:
                if create:
                    raise LostReply(f"{method} {url}") from error
                self.wait(0.25 * 2**attempt)
                continue
            if reply.status_code == 401 and attempt == 1:
                self.token = ""
                continue
            if reply.status_code == 429 or reply.status_code >= 500:
                self.wait(float(reply.headers.get("Retry-After") or 0.25 * 2**attempt))
                continue
            return reply
        raise ZohoError(f"{method} {url}: still failing after 6 attempts")

    def access_token(self) -> str:
        if not self.token:
            reply = self.http.post(
                f"{self.accounts_url}/oauth/v2/token",
                data={"grant_type": "refresh_token", **self.credentials},
            )
            self.token = reply.json()["access_token"]
        return self.token

    # CRM

    def accounts(self, fields: list[str], cvid: str | None = None) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        params: dict[str, Any] = {"fields": ",".join(fields), "per_page": PER_PAGE, "page": 1}
        if cvid:
            params["cvid"] = cvid
        while True:
            reply = self.call("GET", f"{self.crm_url}/Accounts", params=params)
            if reply.status_code == 204:
                return records
            body = self._crm_body(reply)
            records += body["data"]
            info = body["info"]
            if not info.get("more_records"):
                return records
            if "page_token" in params or params["page"] * PER_PAGE >= PAGE_LIMIT:
                params.pop("page", None)
                params["page_token"] = info["next_page_token"]
            else:
                params["page"] += 1

    def crm_write(self, rows: list[dict[str, Any]], *, create: bool) -> list[dict[str, Any]]:
        outcomes = []
        for start in range(0, len(rows), CRM_BATCH):
            batch = {"data": rows[start : start + CRM_BATCH]}
            reply = self.call(
                "POST" if create else "PUT", f"{self.crm_url}/Accounts", json=batch, create=create
            )
            outcomes += self._crm_body(reply)["data"]
        return outcomes

    @staticmethod
    def _crm_body(reply: httpx.Response) -> dict[str, Any]:
        """A list page, or a write's per-record outcomes (CRM answers 400 when every one failed)."""
        body = reply.json() if reply.content else {}
        if "data" not in body:
            raise ZohoError(f"CRM {reply.status_code}: {reply.text[:200]}")
        return body

    # Books

    def customers(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in range(1, 10**6):
            query = {
                "contact_type": "customer",
                "filter_by": "Status.All",
                "page": page,
                "per_page": PER_PAGE,
            }
            body = self._books("GET", "contacts", params=query)
            rows += body["contacts"]
            if not body["page_context"]["has_more_page"]:
                break
        return rows

    def customer(self, contact_id: str) -> dict[str, Any] | None:
        try:
            return self._books("GET", f"contacts/{contact_id}")["contact"]
        except ZohoError:
            return None

    def create_customer(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._books("POST", "contacts", json=body, create=True)["contact"]

    def update_customer(self, contact_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._books("PUT", f"contacts/{contact_id}", json=body)["contact"]

    def _books(self, method: str, path: str, *, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        query = {**(params or {}), "organization_id": self.organization_id}
        reply = self.call(method, f"{self.books_url}/{path}", params=query, **kwargs)
        body = reply.json()
        if reply.status_code >= 300 or body.get("code", 0) != 0:
            raise ZohoError(f"Books {reply.status_code}: {body.get('code')} {body.get('message')}")
        return body


# ---- the sync --------------------------------------------------------------------------------


class AccountsSync:
    def __init__(self, zoho: Zoho, entry: dict[str, Any], state_file: Path) -> None:
        self.zoho, self.state_file = zoho, state_file
        self.both_ways = entry.get("extent") == "both_ways"
        self.mode = entry.get("duplicates", "skip")
        self.view = entry.get("view")
        pairs = [tuple(p) for p in entry.get("field_map") or DEFAULT_MAP]
        self.map = [MANDATORY, *[p for p in pairs if p != MANDATORY]]
        saved = json.loads(state_file.read_text()) if state_file.exists() else {}
        self.links: dict[str, dict[str, Any]] = saved.get("links", {})  # CRM id -> link
        self.intents: dict[str, dict[str, Any]] = saved.get("intents", {"books": {}, "crm": {}})
        #: Books ids left unlinked because a CRM account had their name -> their last_modified_time
        self.blocked: dict[str, Any] = saved.get("blocked", {})
        self.taken = {link["books_id"] for link in self.links.values()}
        self.handled: set[str] = set()

    def save(self) -> None:
        temp = self.state_file.with_suffix(".tmp")
        temp.write_text(json.dumps({"links": self.links, "intents": self.intents, "blocked": self.blocked}))
        temp.replace(self.state_file)  # atomic: a kill leaves the old file or the new one

    def crm_values(self, record: dict[str, Any]) -> dict[str, Any]:
        return {crm: record.get(crm) for _, crm in self.map}

    def books_values(self, record: dict[str, Any]) -> dict[str, Any]:
        return {books: books_value(record, books) for books, _ in self.map}

    def to_books(self, crm: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for books, field in self.map:
            values.setdefault(books, "" if crm.get(field) is None else crm[field])
        return values

    def to_crm(self, books: dict[str, Any]) -> dict[str, Any]:
        source: dict[str, str] = {}
        for books_field, crm in self.map:
            source.setdefault(crm, books_field)
        source[MANDATORY[1]] = MANDATORY[0]  # a CRM field mapped several times takes the mandatory one
        return {crm: books_value(books, b) or None for crm, b in source.items()}

    def run(self) -> None:
        fields = list(dict.fromkeys([*(crm for _, crm in self.map), "Modified_Time"]))
        in_view = self.zoho.accounts(fields, self.view)
        self.all_crm = self.zoho.accounts(fields) if self.view and self.both_ways else in_view
        self.rows = self.zoho.customers()
        self.recover_intents({r["id"] for r in in_view})
        for record in in_view:
            link = self.links.get(record["id"])
            if link:
                self.linked(record, link)
            else:
                self.unlinked(record)
        if self.both_ways:
            self.push()

    # creates whose reply an earlier run never heard

    def recover_intents(self, in_view: set[str]) -> None:
        for crm_id, intent in list(self.intents["books"].items()):
            made = self.new_with_key(self.rows, "contact_name", "contact_id", intent)
            if made and crm_id not in self.links:
                self.adopt(crm_id, made["contact_id"])
            self.end_intent("books", crm_id)
        for books_id, intent in list(self.intents["crm"].items()):
            made = self.new_with_key(self.all_crm, "Account_Name", "id", intent)
            if made and made["id"] not in self.links:
                self.adopt(made["id"], books_id)
                # Finish that push as the cut-off run would have: an account in the view is
                # compared by CRM -> Books below; any other would never be compared again.
                books = None if made["id"] in in_view else self.zoho.customer(books_id)
                if books is not None:
                    self.handled.add(books_id)
                    link = self.links[made["id"]]
                    self.push_update(made["id"], link, books, self.crm_values(made))
            self.end_intent("crm", books_id)

    def new_with_key(
        self, records: Iterable[dict[str, Any]], name: str, ident: str, intent: dict[str, Any]
    ) -> Any:
        return next(
            (
                r
                for r in records
                if match_key(r.get(name)) == intent["key"]
                and r[ident] not in intent["known"]
                and r[ident] not in self.taken
                and r[ident] not in self.links
            ),
            None,
        )

    def adopt(self, crm_id: str, books_id: str) -> None:
        """Nothing agreed yet: the next comparison brings Books into line with CRM."""
        self.links[crm_id] = {"books_id": books_id, "crm": {}, "books": {}}
        self.taken.add(books_id)
        self.save()

    def begin_intent(self, side: str, source: str, key: str, known: list[str]) -> None:
        self.intents[side][source] = {"key": key, "known": known}
        self.save()

    def end_intent(self, side: str, source: str) -> None:
        self.intents[side].pop(source, None)
        self.save()

    # CRM -> Books

    def unlinked(self, record: dict[str, Any]) -> None:
        key = match_key(record.get("Account_Name"))
        with_key = [r for r in self.rows if match_key(r.get("contact_name")) == key]
        free = sorted(
            (r for r in with_key if r["contact_id"] not in self.taken),
            key=lambda r: (r.get("created_time") or "", int(r["contact_id"])),
        )
        duplicate = free[0] if free else None
        if duplicate and self.mode == "skip":
            return
        if duplicate and self.mode == "overwrite":
            self.taken.add(duplicate["contact_id"])
            existing = self.zoho.customer(duplicate["contact_id"])
            if existing:
                self.write_books(record, existing)
            return
        body = books_body(self.to_books(record))
        intent: dict[str, Any] = {"key": key, "known": [r["contact_id"] for r in with_key]}
        self.begin_intent("books", record["id"], **intent)
        try:
            created = self.zoho.create_customer(body)
        except ZohoError:  # refused (e.g. 3062, duplicate names off): reported, not retried
            self.end_intent("books", record["id"])
            return
        except LostReply:  # look before creating again
            made = self.new_with_key(self.zoho.customers(), "contact_name", "contact_id", intent)
            found = self.zoho.customer(made["contact_id"]) if made else None  # None: gone since the list
            created = found if found is not None else self.zoho.create_customer(body)
        self.rows.append(created)
        self.save_link(record, created)
        self.end_intent("books", record["id"])

    def linked(self, record: dict[str, Any], link: dict[str, Any]) -> None:
        self.taken.add(link["books_id"])
        self.handled.add(link["books_id"])
        current, books_changed = self.books_now(link)
        if current is None:
            return
        crm_changed = changed(self.crm_values(record), link["crm"])
        to_crm = (
            self.both_ways
            and books_changed
            and (
                not crm_changed
                or _time(record.get("Modified_Time")) < _time(current.get("last_modified_time"))
            )
        )
        if to_crm:
            self.push_update(record["id"], link, current, self.crm_values(record))
        elif crm_changed:
            self.write_books(record, current)

    def books_now(self, link: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
        """Read the linked record again only when its last_modified_time moved."""
        row = next((r for r in self.rows if r["contact_id"] == link["books_id"]), None)
        if link.get("record") and row and row.get("last_modified_time") == link.get("modified"):
            return link["record"], False
        current = self.zoho.customer(link["books_id"])
        moved = (
            current is not None and bool(link["books"]) and changed(self.books_values(current), link["books"])
        )
        return current, moved

    def write_books(self, record: dict[str, Any], existing: dict[str, Any]) -> None:
        diff = diff_books(self.to_books(record), existing)
        written = existing
        if diff:
            try:
                written = self.zoho.update_customer(existing["contact_id"], books_body(diff, existing))
            except ZohoError:
                return
        self.save_link(record, written)

    def save_link(self, crm: dict[str, Any], books: dict[str, Any]) -> None:
        self.taken.add(books["contact_id"])
        self.links[crm["id"]] = {
            "books_id": books["contact_id"],
            "crm": self.crm_values(crm),
            "books": self.books_values(books),
            "modified": books.get("last_modified_time"),
            "record": books,
        }
        self.save()

    # Books -> CRM (both ways)

    def push(self) -> None:
        crm_keys = {match_key(r.get("Account_Name")) for r in self.all_crm}
        by_books = {link["books_id"]: crm_id for crm_id, link in self.links.items()}
        creates = []
        for row in self.rows:
            books_id = row["contact_id"]
            if books_id in self.handled:
                continue
            self.handled.add(books_id)
            if books_id in by_books:  # its CRM record was not read (out of the view)
                link = self.links[by_books[books_id]]
                current, moved = self.books_now(link)
                if current is not None and moved:
                    self.push_update(by_books[books_id], link, current, link["crm"])
            elif books_id not in self.taken:
                # Left unlinked before and unchanged since: a rename in CRM (this syncer's own,
                # say) does not make an untouched Books customer new work.
                if self.blocked.get(books_id) == row.get("last_modified_time"):
                    continue
                key = match_key(row.get("contact_name"))
                if key in crm_keys:
                    self.blocked[books_id] = row.get("last_modified_time")
                    self.save()
                    continue
                crm_keys.add(key)  # never create a CRM duplicate
                full = self.zoho.customer(books_id)
                if full:
                    creates.append(full)
        self.push_creates(creates)

    def push_update(
        self, crm_id: str, link: dict[str, Any], books: dict[str, Any], crm_now: dict[str, Any]
    ) -> None:
        values = self.to_crm(books)
        diff = {f: v for f, v in values.items() if not same(v, crm_now.get(f))}
        if diff:
            outcome = self.zoho.crm_write([{"id": crm_id, **diff}], create=False)[0]
            if outcome.get("status") != "success":
                return
        self.agree_in_books(crm_id, books, {**crm_now, **values})

    def push_creates(self, creates: list[dict[str, Any]]) -> None:
        if not creates:
            return
        bodies = [self.to_crm(books) for books in creates]
        for books, body in zip(creates, bodies, strict=True):
            self.begin_intent("crm", books["contact_id"], match_key(body["Account_Name"]), [])
        try:
            outcomes = self.zoho.crm_write(bodies, create=True)
        except LostReply:
            outcomes = self.find_inserted(bodies)
        for books, body, outcome in zip(creates, bodies, outcomes, strict=True):
            if outcome.get("status") == "success":
                self.agree_in_books(str(outcome["details"]["id"]), books, body)
            self.end_intent("crm", books["contact_id"])

    def find_inserted(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The insert's reply was lost: the accounts CRM did create are found by name, the rest sent again."""
        known = {r["id"] for r in self.all_crm} | set(self.links)
        fresh = [r for r in self.zoho.accounts(["Account_Name"]) if r["id"] not in known]
        outcomes: list[dict[str, Any] | None] = []
        for body in bodies:
            found = next(
                (r for r in fresh if match_key(r["Account_Name"]) == match_key(body["Account_Name"])), None
            )
            if found:
                fresh.remove(found)
            outcomes.append({"status": "success", "details": {"id": found["id"]}} if found else None)
        missing = [n for n, o in enumerate(outcomes) if o is None]
        for n, outcome in zip(
            missing, self.zoho.crm_write([bodies[n] for n in missing], create=True), strict=True
        ):
            outcomes[n] = outcome
        return [o for o in outcomes if o is not None]

    def agree_in_books(self, crm_id: str, books: dict[str, Any], crm_values: dict[str, Any]) -> None:
        """A mapped Books field that was not its CRM field's source takes the CRM value."""
        diff = diff_books(self.to_books(crm_values), books)
        written = self.zoho.update_customer(books["contact_id"], books_body(diff, books)) if diff else books
        self.save_link({"id": crm_id, **crm_values}, written)


def _time(text: object) -> float:
    if not text:
        return 0.0
    return datetime.fromisoformat(str(text)).timestamp()


# ---- the harness's Python route --------------------------------------------------------------


class HttpxSyncer:
    def run(self, endpoints: Any) -> None:
        http = endpoints.http

        def wait(seconds: float) -> None:  # virtual time: the simulator's clock moves, nobody sleeps
            http.post(f"{endpoints.control_url}/clock", json={"advance": seconds})

        zoho = Zoho(
            http=http,
            accounts_url=endpoints.accounts_url,
            crm_url=endpoints.crm_url,
            books_url=endpoints.books_url,
            organization_id=endpoints.books_organization_id,
            credentials={
                "client_id": endpoints.client_id,
                "client_secret": endpoints.client_secret,
                "refresh_token": endpoints.refresh_token,
            },
            wait=wait,
        )
        entry = next(s for s in endpoints.config["sync"] if s.get("crm_source") == "accounts")
        AccountsSync(zoho, entry, Path(endpoints.state_dir) / "accounts-state.json").run()


def factory() -> HttpxSyncer:
    return HttpxSyncer()
