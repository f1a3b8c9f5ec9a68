"""Who is told of a record change: each tenant's CRM channels and Books webhooks.

The notifier watches a tenant's two orgs from its first channel or webhook on (so that a tenant
with none pays nothing), turns each record change into the callbacks and webhook posts it
concerns, and hands them to the dispatcher, which delivers them off the request's path. Queues
are named ``{tenant}:crm:{channel_id}`` and ``{tenant}:books:{webhook_id}``.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import orjson

from simulator.books import webhooks
from simulator.crm.notifications import ChannelBook
from simulator.delivery import Dispatcher
from simulator.events import RecordChange

if TYPE_CHECKING:
    from simulator.tenants import Tenant


class Notifier:
    def __init__(self, *, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.channels: dict[str, ChannelBook] = {}
        self.webhooks: dict[str, dict[str, webhooks.Webhook]] = {}
        self._next_webhook = 1
        self._watched: set[str] = set()
        #: Each tenant's latest idle report from a long-running syncer (``POST /__zohosim/tenants/
        #: {id}/idle``): how many it sent, and the request log's position and the clock's time then.
        self.idle: dict[str, dict[str, object]] = {}

    def mark_idle(self, tenant_id: str, *, seq: int, now: datetime) -> dict[str, object]:
        previous = self.idle.get(tenant_id, {})
        marks = int(str(previous.get("marks", 0))) + 1
        mark: dict[str, object] = {"marks": marks, "seq": seq, "time": now.isoformat()}
        self.idle[tenant_id] = mark
        return mark

    def _watch(self, tenant: Tenant) -> None:
        """Listen to the tenant's orgs (the tenant carries its observers over when it replaces them)."""
        if tenant.tenant_id not in self._watched:
            self._watched.add(tenant.tenant_id)
            tenant.crm.observers.append(partial(self._crm_changed, tenant))
            tenant.books.observers.append(partial(self._books_changed, tenant))

    def forget(self, tenant: Tenant) -> None:
        """The tenant was reset or deleted: no channels, no webhooks, nothing queued, no listening."""
        self.channels.pop(tenant.tenant_id, None)
        self.webhooks.pop(tenant.tenant_id, None)
        self.idle.pop(tenant.tenant_id, None)
        self.dispatcher.forget(tenant_id=tenant.tenant_id)
        if tenant.tenant_id in self._watched:
            self._watched.discard(tenant.tenant_id)
            tenant.crm.observers.clear()
            tenant.books.observers.clear()

    def channel_book(self, tenant: Tenant) -> ChannelBook:
        self._watch(tenant)
        return self.channels.setdefault(tenant.tenant_id, ChannelBook())

    def add_webhook(self, tenant: Tenant, spec: object) -> webhooks.Webhook:
        webhook = webhooks.parse_webhook(spec, webhook_id=f"w{self._next_webhook}")
        self._next_webhook += 1
        self._watch(tenant)
        self.webhooks.setdefault(tenant.tenant_id, {})[webhook.webhook_id] = webhook
        return webhook

    def remove_webhook(self, tenant_id: str, webhook_id: str) -> bool:
        return self.webhooks.get(tenant_id, {}).pop(webhook_id, None) is not None

    def _crm_changed(self, tenant: Tenant, change: RecordChange) -> None:
        book = self.channels.get(tenant.tenant_id)
        if not book or not book.channels:
            return
        for channel, body in book.callbacks(tenant.crm, change, now=tenant.crm.clock.now()):
            self.dispatcher.submit(
                queue=f"{tenant.tenant_id}:crm:{channel.channel_id}",
                tenant_id=tenant.tenant_id,
                service="crm",
                url=channel.notify_url,
                body=orjson.dumps(body),
                headers={"Content-Type": "application/json"},
            )

    def _books_changed(self, tenant: Tenant, change: RecordChange) -> None:
        registered = self.webhooks.get(tenant.tenant_id, {}).values()
        hooks = [hook for hook in registered if webhooks.fires(hook, change)]
        if not hooks:
            return
        body = webhooks.payload(change, time_zone=tenant.books.time_zone)
        for hook in hooks:
            self.dispatcher.submit(
                queue=f"{tenant.tenant_id}:books:{hook.webhook_id}",
                tenant_id=tenant.tenant_id,
                service="books",
                url=hook.url,
                body=body,
                headers=webhooks.headers(hook, change, body),
            )
