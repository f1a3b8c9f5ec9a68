"""How many HTTP attempts the syncer made, by service and method; retries count too."""

from __future__ import annotations

from collections import Counter


class CallCounter:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, *, service: str, method: str) -> None:
        self._counts[(service, method.upper())] += 1

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def by_service(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (service, _), count in self._counts.items():
            totals[service] += count
        return dict(totals)

    def by_method(self, service: str | None = None) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (each, method), count in self._counts.items():
            if service is None or each == service:
                totals[method] += count
        return dict(totals)

    def count(self, *, service: str | None = None, method: str | None = None) -> int:
        return sum(
            n
            for (s, m), n in self._counts.items()
            if (service is None or s == service) and (method is None or m == method.upper())
        )

    def as_dict(self) -> dict[str, dict[str, int]]:
        """``{"crm": {"GET": 3, "POST": 1}, ...}``, for a run report."""
        return {service: self.by_method(service) for service in sorted(self.by_service())}
