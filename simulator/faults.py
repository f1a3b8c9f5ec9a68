"""Fault rules: injected errors, latency and dropped connections, deterministic under a seed.

A rule matches requests by service, method, path pattern (``fnmatch``) and tenant, and fires
with a probability, on the nth match, or for the next k matches. Probabilities draw from a
generator seeded by the simulator's seed and the rule id, so a replayed request sequence
meets the same faults.

The service ``notifications`` is the simulator's own outbound traffic (CRM notification
callbacks and Books webhooks, ``simulator.delivery``): its path is the receiver URL's path, and
only rules that name it match it. It has effects of its own: ``delay`` (``delay_seconds`` of
virtual time), ``duplicate`` and ``reorder``; ``latency``, ``drop`` and ``error`` apply there too.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

Effect = Literal["error", "latency", "drop", "delay", "duplicate", "reorder"]
_EFFECTS = ("error", "latency", "drop", "delay", "duplicate", "reorder")
#: Effects that only outbound deliveries can meet.
_DELIVERY_EFFECTS = ("delay", "duplicate", "reorder")
_SERVICES = (None, "crm", "books", "accounts", "notifications")
_ERROR_STATUSES = (429, 500, 503)


class InvalidRule(ValueError):
    """A rule the control plane refuses; the message names the field and the fix."""


@dataclass
class FaultRule:
    rule_id: str
    effect: Effect
    service: str | None = None
    method: str | None = None
    path: str | None = None
    tenant_id: str | None = None
    status: int = 503
    retry_after: int | None = None
    latency_ms: int = 0
    delay_seconds: int = 0
    apply_write: bool = False
    probability: float | None = None
    nth: int | None = None
    times: int | None = None
    matched: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def matches(self, *, service: str, method: str, path: str, tenant_id: str | None) -> bool:
        return (
            (self.service == service or (self.service is None and service != "notifications"))
            and (self.method is None or self.method == method)
            and (self.path is None or fnmatchcase(path, self.path))
            and (self.tenant_id is None or self.tenant_id == tenant_id)
        )

    def should_fire(self) -> bool:
        """Count one more match and decide; call only for a request that matched."""
        self.matched += 1
        if self.nth is not None:
            fire = self.matched == self.nth
        elif self.times is not None:
            fire = self.fired < self.times
        elif self.probability is not None:
            fire = self._rng.random() < self.probability
        else:
            fire = True
        if fire:
            self.fired += 1
        return fire

    @property
    def exhausted(self) -> bool:
        return (self.nth is not None and self.matched >= self.nth) or (
            self.times is not None and self.fired >= self.times
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_rng")
        return data


class FaultInjector:
    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self.rules: dict[str, FaultRule] = {}
        self._next = 1

    def add(self, spec: dict[str, Any]) -> FaultRule:
        rule = parse_rule(spec, rule_id=str(spec.get("rule_id") or f"f{self._next}"))
        self._next += 1
        rule._rng = random.Random(f"fault:{self.seed}:{rule.rule_id}")
        self.rules[rule.rule_id] = rule
        return rule

    def remove(self, rule_id: str) -> bool:
        return self.rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        self.rules.clear()

    def decide(self, *, service: str, method: str, path: str, tenant_id: str | None) -> list[FaultRule]:
        """The rules that fire for this request, in the order they were added."""
        fired = []
        for rule in list(self.rules.values()):
            if rule.exhausted or not rule.matches(
                service=service, method=method, path=path, tenant_id=tenant_id
            ):
                continue
            if rule.should_fire():
                fired.append(rule)
        return fired


def parse_rule(spec: dict[str, Any], *, rule_id: str) -> FaultRule:
    known = {f for f in FaultRule.__dataclass_fields__ if not f.startswith("_")} - {"matched", "fired"}
    unknown = set(spec) - known
    if unknown:
        raise InvalidRule(f"unknown keys {sorted(unknown)}: a rule takes {sorted(known)}")
    effect = spec.get("effect")
    if effect not in _EFFECTS:
        raise InvalidRule(f"'effect' must be one of {list(_EFFECTS)}")
    if effect == "error" and spec.get("status", 503) not in _ERROR_STATUSES:
        raise InvalidRule(f"'status' of an error must be one of {list(_ERROR_STATUSES)}")
    triggers = [key for key in ("probability", "nth", "times") if spec.get(key) is not None]
    if len(triggers) > 1:
        raise InvalidRule(f"give at most one of probability, nth and times (got {triggers})")
    probability = spec.get("probability")
    if probability is not None and not (isinstance(probability, int | float) and 0 <= probability <= 1):
        raise InvalidRule("'probability' must be a number between 0 and 1")
    for key in ("nth", "times", "latency_ms", "retry_after", "delay_seconds"):
        value = spec.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InvalidRule(f"'{key}' must be a whole number >= 0")
    if spec.get("service") not in _SERVICES:
        raise InvalidRule("'service' must be crm, books, accounts or notifications")
    if effect in _DELIVERY_EFFECTS and spec.get("service") != "notifications":
        raise InvalidRule(f'the effect {effect!r} needs "service": "notifications"')
    method = spec.get("method")
    values = {k: v for k, v in spec.items() if k != "rule_id"}
    if method is not None:
        values["method"] = str(method).upper()
    return FaultRule(rule_id=rule_id, **values)
