"""Books webhooks: what a Books workflow rule sends when a contact, contact person or item changes.

In Books a webhook is a workflow action: a rule on a module (contacts, items) fires on create,
edit or delete and POSTs to a URL. The simulator has no Books API for rules, so the control
plane sets them (``/__zohosim/tenants/{id}/books/webhooks``): a URL, an ``entity``, its
``events`` (``create``, ``update``, ``delete``), custom ``headers`` and an optional ``secret``
(12 to 50 letters and digits, as Books' webhook settings take).

The body is Books' default JSON payload: the entity as the API returns it, under its own key
(``{"contact": {...}}``, ``{"item": {...}}``, ``{"contact_person": {...}}``); a deleted record
is sent as it was last. With a secret, ``X-Zoho-Webhook-Signature`` carries the HMAC-SHA256 of
the body (hex), keyed by the secret. ``X-Zohosim-Event`` (``contact.update``, ...) is the
simulator's own header, for receivers that share one URL between rules.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from simulator.books.records import Contact, ContactPerson, Item, person_json
from simulator.delivery import local_url_problem
from simulator.events import RecordChange

ENTITIES = ("contact", "contact_person", "item")
EVENTS = ("create", "update", "delete")
#: A change's operation, as a webhook event.
EVENT_OF = {"create": "create", "edit": "update", "delete": "delete"}
SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
EVENT_HEADER = "X-Zohosim-Event"


class InvalidWebhook(ValueError):
    """A webhook the control plane refuses; the message names the key and the fix."""


@dataclass
class Webhook:
    webhook_id: str
    url: str
    entity: str
    events: tuple[str, ...] = EVENTS
    headers: dict[str, str] = field(default_factory=dict)
    secret: str | None = None

    def to_json(self) -> dict[str, Any]:
        shown = asdict(self)
        shown["events"] = list(self.events)
        shown["secret"] = None if self.secret is None else "*" * len(self.secret)
        return shown


def parse_webhook(spec: Any, *, webhook_id: str) -> Webhook:
    if not isinstance(spec, Mapping):
        raise InvalidWebhook("a webhook is a JSON object: {url, entity, events?, headers?, secret?}")
    known = {"url", "entity", "events", "headers", "secret"}
    if set(spec) - known:
        raise InvalidWebhook(f"unknown keys {sorted(set(spec) - known)}: a webhook takes {sorted(known)}")
    problem = local_url_problem(spec.get("url"))
    if problem:
        raise InvalidWebhook(f"'url': {problem}")
    if spec.get("entity") not in ENTITIES:
        raise InvalidWebhook(f"'entity' must be one of {list(ENTITIES)}")
    events = spec.get("events", list(EVENTS))
    if not isinstance(events, list) or not events or not set(events) <= set(EVENTS):
        raise InvalidWebhook(f"'events' must be a non-empty list of {list(EVENTS)}")
    headers = spec.get("headers", {})
    if not isinstance(headers, Mapping) or not all(_header_ok(k, v) for k, v in headers.items()):
        raise InvalidWebhook("'headers' must map header names (letters, digits, '-') to printable strings")
    secret = spec.get("secret")
    if secret is not None and not (
        isinstance(secret, str) and secret.isascii() and secret.isalnum() and 12 <= len(secret) <= 50
    ):
        raise InvalidWebhook("'secret' must be 12 to 50 letters and digits")
    events = tuple(dict.fromkeys(events))
    return Webhook(webhook_id, spec["url"], spec["entity"], events, dict(headers), secret)


def _header_ok(name: object, value: object) -> bool:
    return (
        isinstance(name, str)
        and name.isascii()
        and name.replace("-", "").isalnum()
        and isinstance(value, str)
        and value.isprintable()
    )


def fires(webhook: Webhook, change: RecordChange) -> bool:
    return webhook.entity == change.entity and EVENT_OF[change.operation] in webhook.events


def payload(change: RecordChange, *, time_zone: Any) -> bytes:
    """The body every webhook on this change sends (the entity, as its API shows it)."""
    record = change.record
    if isinstance(record, Contact | Item):
        shown = record.to_api(time_zone)
    else:
        assert isinstance(record, ContactPerson) and change.parent is not None
        shown = person_json(change.parent.contact_id, record)
    return orjson.dumps({change.entity: shown})


def headers(webhook: Webhook, change: RecordChange, body: bytes) -> dict[str, str]:
    sent = {
        **webhook.headers,
        "Content-Type": "application/json",
        EVENT_HEADER: f"{change.entity}.{EVENT_OF[change.operation]}",
    }
    if webhook.secret:
        sent[SIGNATURE_HEADER] = hmac.new(webhook.secret.encode(), body, hashlib.sha256).hexdigest()
    return sent
