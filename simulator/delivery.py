"""Outbound delivery: the simulator POSTs notification callbacks and webhooks to their receivers.

Each channel (a CRM notification channel, a Books webhook) has its own queue, worked by one
delivery thread with an asyncio loop of its own, so that a slow, failing or absent receiver never
holds up an API request or another channel. Within a queue deliveries go out one at a time, in
order of their due time on the **virtual** clock, then of submission: a delivery goes out only
once the clock has reached its due time.

Faults (``simulator.faults``, service ``notifications``, matched on the receiver URL's path) are
decided when a delivery is submitted, in submission order, so that a replayed run meets the same
faults: ``drop`` (never sent), ``delay`` (due ``delay_seconds`` later: later deliveries overtake
it), ``latency`` (``latency_ms`` of real time before the attempt), ``duplicate`` (sent twice),
``reorder`` (held back until the queue's next delivery has been queued, or a flush) and ``error``
(the first attempt fails with the rule's ``status``, without reaching the receiver).

Zoho documents no retry policy for notification callbacks or Books webhooks; this one is the
simulator's own: an attempt fails on a connection error, a timeout or a non-2xx reply, and the
delivery is tried again after ``RETRY_AFTER`` virtual seconds (60, 300, then 900), blocking its
queue meanwhile (order is kept); after the last it is given up. A queue holds at most
``queue_limit`` deliveries: past it the oldest queued delivery is dropped and counted
(``dropped_overflow``), so a receiver that is down costs bounded memory.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from simulator.clock import Clock
from simulator.faults import FaultInjector
from simulator.requestlog import RequestLog

RETRY_AFTER = (60, 300, 900)
QUEUE_LIMIT = 1000
#: Real seconds one attempt may take before it counts as failed.
ATTEMPT_TIMEOUT = 10.0
#: Real seconds between looks at the clock while deliveries wait for it.
_POLL = 0.02
#: Real seconds without work after which the delivery thread ends.
_IDLE_EXIT = 1.0
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def local_url_problem(url: object) -> str | None:
    """Why ``url`` can't be a receiver, or None: only http(s) URLs on this machine are allowed."""
    if not isinstance(url, str) or not url:
        return "the URL must be a non-empty string"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"{url!r} is not a URL"
    if parts.scheme not in ("http", "https") or host not in LOCAL_HOSTS:
        return f"the simulator delivers only to http(s)://127.0.0.1 or localhost, not {url!r}"
    return None


@dataclass
class Delivery:
    seq: int
    queue: str
    tenant_id: str
    service: str
    url: str
    body: bytes
    headers: dict[str, str]
    due: datetime
    not_before: datetime
    latency_ms: int = 0
    fail_status: int | None = None
    fault: str | None = None
    attempts: int = 0

    @property
    def order(self) -> tuple[datetime, int]:
        return self.due, self.seq


class Dispatcher:
    def __init__(
        self,
        *,
        clock: Clock,
        faults: FaultInjector,
        log: RequestLog,
        queue_limit: int = QUEUE_LIMIT,
        attempt_timeout: float = ATTEMPT_TIMEOUT,
    ) -> None:
        self.clock, self.faults, self.log = clock, faults, log
        self.queue_limit, self.attempt_timeout = queue_limit, attempt_timeout
        #: Each tenant's counts: submitted, attempts, delivered, retried, given_up, duplicated,
        #: dropped_by_fault, dropped_overflow.
        self.counters: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._cond = threading.Condition()
        self._queues: dict[str, list[Delivery]] = {}
        self._held: dict[str, Delivery] = {}
        self._in_flight: set[str] = set()
        #: Tenants whose deliveries wait (queued, not sent) until ``resume``: a test harness holds
        #: callbacks back while it edits a world, so a daemon under test never sees half an edit.
        self._paused: set[str] = set()
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._poked = False
        self._starting = threading.Lock()

    # -- submitting ----------------------------------------------------------------------------

    def submit(
        self, *, queue: str, tenant_id: str, service: str, url: str, body: bytes, headers: dict[str, str]
    ) -> None:
        """Queue one delivery, after the fault rules for it have had their say."""
        parts = urlsplit(url)
        rules = self.faults.decide(
            service="notifications", method="POST", path=parts.path, tenant_id=tenant_id
        )
        now = self.clock.now()
        with self._cond:
            delivery = Delivery(self._next_seq(), queue, tenant_id, service, url, body, headers, now, now)
            copies, hold = 1, False
            for rule in rules:
                delivery.fault = f"{rule.effect}:{rule.rule_id}"
                if rule.effect == "drop":
                    self.counters[delivery.tenant_id]["dropped_by_fault"] += 1
                    self._log(delivery, status=0)
                    return
                if rule.effect == "delay":
                    delivery.due = now + timedelta(seconds=rule.delay_seconds)
                elif rule.effect == "latency":
                    delivery.latency_ms += rule.latency_ms
                elif rule.effect == "error":
                    delivery.fail_status = rule.status
                elif rule.effect == "duplicate":
                    copies = 2
                elif rule.effect == "reorder":
                    hold = True
            self.counters[delivery.tenant_id]["submitted"] += 1
            batch = [delivery] + [replace(delivery, seq=self._next_seq()) for _ in range(copies - 1)]
            self.counters[delivery.tenant_id]["duplicated"] += copies - 1
            held = self._held.pop(queue, None)
            if held is not None:
                held.seq = self._next_seq()  # it goes out after the delivery it waited for
            if hold:
                self._held[queue] = batch.pop()
            for each in [*batch, *([held] if held else [])]:
                self._push(each)
            self._queues.setdefault(queue, [])
        self._ensure_worker()
        self._poke()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _push(self, delivery: Delivery) -> None:
        queue = self._queues.setdefault(delivery.queue, [])
        bisect.insort(queue, delivery, key=lambda d: d.order)
        while len(queue) > self.queue_limit:
            queue.pop(0)
            self.counters[delivery.tenant_id]["dropped_overflow"] += 1

    def forget(self, *, tenant_id: str) -> None:
        """Drop every queued delivery of a tenant (it was reset or deleted)."""
        with self._cond:
            for key in [k for k, q in self._queues.items() if k.startswith(f"{tenant_id}:")]:
                del self._queues[key]
            for key in [k for k in self._held if k.startswith(f"{tenant_id}:")]:
                del self._held[key]
            self.counters.pop(tenant_id, None)
            self._paused.discard(tenant_id)
            self._cond.notify_all()

    def pause(self, *, tenant_id: str) -> None:
        with self._cond:
            self._paused.add(tenant_id)

    def resume(self, *, tenant_id: str) -> None:
        with self._cond:
            self._paused.discard(tenant_id)
        self._ensure_worker()
        self._poke()

    def _sendable(self, key: str, queue: list[Delivery], now: datetime) -> bool:
        return (
            key not in self._in_flight
            and bool(queue)
            and _ready(queue[0], now)
            and queue[0].tenant_id not in self._paused
        )

    # -- flushing and reporting ----------------------------------------------------------------

    def flush(self, *, timeout: float) -> dict[str, Any]:
        """Release held deliveries, then wait (at most ``timeout`` real seconds) until every delivery
        due by now has been attempted and answered. ``drained`` says whether that was reached."""
        with self._cond:
            for delivery in self._held.values():
                self._push(delivery)
            self._held.clear()
            pending = any(self._queues.values())
        if pending:
            self._ensure_worker()
            self._poke()
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy() and (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(min(remaining, _POLL))
            drained = not self._busy()
        return {"drained": drained, **self.status()}

    def _busy(self) -> bool:
        now = self.clock.now()
        return bool(self._in_flight) or any(
            self._sendable(key, queue, now) for key, queue in self._queues.items()
        )

    def status(self) -> dict[str, Any]:
        with self._cond:
            queues = [
                {
                    "queue": key,
                    "queued": len(queue),
                    "held": int(key in self._held),
                    "in_flight": key in self._in_flight,
                    "next_due": queue[0].due.isoformat() if queue else None,
                }
                for key, queue in sorted(self._queues.items())
            ]
            counters = {tenant_id: dict(counts) for tenant_id, counts in sorted(self.counters.items())}
            return {"queue_limit": self.queue_limit, "queues": queues, "counters": counters}

    # -- the delivery thread -------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        with self._starting:
            with self._cond:
                if self._loop is not None:
                    return
            ready = threading.Event()
            thread = threading.Thread(target=self._run, args=(ready,), name="zohosim-delivery", daemon=True)
            thread.start()
            ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.run(self._main(ready))

    async def _main(self, ready: threading.Event) -> None:
        """Deliver until there has been nothing to do for ``_IDLE_EXIT`` seconds, then end: the next
        submission starts the thread again, so an idle simulator keeps no thread."""
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        ready.set()
        async with httpx.AsyncClient(timeout=self.attempt_timeout) as client:
            while True:
                self._wake.clear()
                self._poked = False
                for delivery in self._take_ready():
                    task = asyncio.create_task(self._attempt(client, delivery))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                waiting = self._waiting()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=_POLL if waiting else _IDLE_EXIT)
                except TimeoutError:
                    if not waiting and self._retire():
                        return

    def _retire(self) -> bool:
        """End the thread if nothing is queued, held or in flight (checked under the lock, so that
        a submission either sees the thread gone and starts another, or is seen here)."""
        with self._cond:
            if self._tasks or self._in_flight or self._held or any(self._queues.values()):
                return False
            self._loop = self._wake = None
            return True

    def _poke(self) -> None:
        """Wake the delivery loop; once per turn of it (a wake-up costs a syscall and a thread switch)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not self._poked:
            self._poked = True
            with contextlib.suppress(RuntimeError):  # the loop ended meanwhile: nothing to wake
                loop.call_soon_threadsafe(wake.set)

    def _waiting(self) -> bool:
        with self._cond:
            return any(self._queues.values())

    def _take_ready(self) -> list[Delivery]:
        now = self.clock.now()
        taken = []
        with self._cond:
            for key, queue in self._queues.items():
                if self._sendable(key, queue, now):
                    taken.append(queue.pop(0))
                    self._in_flight.add(key)
        return taken

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        delivery.attempts += 1
        if delivery.latency_ms:
            await asyncio.sleep(delivery.latency_ms / 1000)
        if delivery.fail_status is not None and delivery.attempts == 1:
            status = delivery.fail_status
        else:
            try:
                reply = await client.post(delivery.url, content=delivery.body, headers=delivery.headers)
                status = reply.status_code
            except httpx.HTTPError:
                status = 0
        self._log(delivery, status=status)
        with self._cond:
            self._in_flight.discard(delivery.queue)
            self._settle(delivery, ok=200 <= status < 300)
            self._cond.notify_all()
        self._poke()

    def _settle(self, delivery: Delivery, *, ok: bool) -> None:
        if delivery.queue not in self._queues:
            return  # its tenant was reset or deleted meanwhile
        self.counters[delivery.tenant_id]["attempts"] += 1
        if ok:
            self.counters[delivery.tenant_id]["delivered"] += 1
        elif delivery.attempts <= len(RETRY_AFTER):
            self.counters[delivery.tenant_id]["retried"] += 1
            delivery.not_before = self.clock.now() + timedelta(seconds=RETRY_AFTER[delivery.attempts - 1])
            delivery.fail_status = None
            self._queues[delivery.queue].insert(0, delivery)  # it keeps its place: order is kept
        else:
            self.counters[delivery.tenant_id]["given_up"] += 1

    def _log(self, delivery: Delivery, *, status: int) -> None:
        parts = urlsplit(delivery.url)
        self.log.append(
            raw_body=delivery.body,
            time=self.clock.now().isoformat(),
            tenant_id=delivery.tenant_id,
            service=delivery.service,
            method="POST",
            path=parts.path or "/",
            query=parts.query,
            status=status,
            fault=delivery.fault if delivery.attempts <= 1 else None,
            direction="outbound",
        )


def _ready(delivery: Delivery, now: datetime) -> bool:
    return delivery.due <= now and delivery.not_before <= now
