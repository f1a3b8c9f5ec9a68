"""A small Python client for the control plane, used by the tests and the conformance harness.

control = ControlClient(httpx.Client(base_url="http://127.0.0.1:8765"))
tenant = control.create_tenant(seed=7, sizes={"accounts": 20})
control.advance_clock(3600)
"""

from __future__ import annotations

from typing import Any

import httpx


class ControlRefused(RuntimeError):
    """The control plane refused a call; the message says why and how to fix it."""


class ControlClient:
    def __init__(self, http: httpx.Client, *, prefix: str = "/__zohosim") -> None:
        self.http = http
        self.prefix = prefix

    def tenants(self) -> list[dict[str, Any]]:
        return self._call("GET", "/tenants")["tenants"]

    def tenant(self, tenant_id: str) -> dict[str, Any]:
        return self._call("GET", f"/tenants/{tenant_id}")

    def create_tenant(
        self, *, tenant_id: str | None = None, seed: int | None = None, sizes: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body = {
            k: v for k, v in {"tenant_id": tenant_id, "seed": seed, "sizes": sizes}.items() if v is not None
        }
        return self._call("POST", "/tenants", json=body)

    def delete_tenant(self, tenant_id: str) -> None:
        self._call("DELETE", f"/tenants/{tenant_id}")

    def reset(self, tenant_id: str | None = None) -> None:
        self._call("POST", "/reset", json={"tenant_id": tenant_id} if tenant_id else {})

    def export_state(self, tenant_id: str) -> dict[str, Any]:
        return self._call("GET", f"/tenants/{tenant_id}/export")

    def import_state(self, tenant_id: str, state: dict[str, Any]) -> None:
        self._call("POST", f"/tenants/{tenant_id}/import", json=state)

    def snapshot(self, tenant_id: str, name: str) -> None:
        self._call("POST", f"/tenants/{tenant_id}/snapshots", json={"name": name})

    def restore(self, tenant_id: str, name: str) -> None:
        self._call("POST", f"/tenants/{tenant_id}/snapshots/{name}/restore")

    def now(self) -> str:
        return self._call("GET", "/clock")["now"]

    def set_clock(self, when: str, *, frozen: bool | None = None) -> str:
        body: dict[str, Any] = {"set": when}
        if frozen is not None:
            body["frozen"] = frozen
        return self._call("POST", "/clock", json=body)["now"]

    def advance_clock(self, seconds: float) -> str:
        return self._call("POST", "/clock", json={"advance": seconds})["now"]

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        params = {
            k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items() if v is not None
        }
        return self._call("GET", "/requests", params=params)["requests"]

    def clear_requests(self, tenant_id: str | None = None) -> None:
        self._call("DELETE", "/requests", params={"tenant_id": tenant_id} if tenant_id else None)

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        return self._call("POST", "/faults", json=rule)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_limits(
        self, tenant_id: str, *, crm: dict[str, Any] | None = None, books: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body = {k: v for k, v in {"crm": crm, "books": books}.items() if v is not None}
        return self._call("PUT", f"/tenants/{tenant_id}/limits", json=body)

    def create_view(
        self, tenant_id: str, *, module: str, name: str, criteria: dict[str, Any]
    ) -> dict[str, Any]:
        body = {"module": module, "name": name, "criteria": criteria}
        return self._call("POST", f"/tenants/{tenant_id}/crm/views", json=body)["custom_view"]

    def allow_duplicate_names(self, tenant_id: str, allowed: bool) -> None:
        self._call("PUT", f"/tenants/{tenant_id}/books/settings", json={"allow_duplicate_names": allowed})

    def add_books_webhook(self, tenant_id: str, **rule: Any) -> dict[str, Any]:
        """``url``, ``entity`` and optionally ``events``, ``headers``, ``secret`` (docs/events.md)."""
        return self._call("POST", f"/tenants/{tenant_id}/books/webhooks", json=rule)

    def notifications(self) -> dict[str, Any]:
        return self._call("GET", "/notifications")

    def flush_notifications(self, *, timeout: float = 30) -> dict[str, Any]:
        """Wait until every delivery due by now has been answered; ``drained`` says whether it was."""
        return self._call("POST", "/notifications/flush", json={"timeout": timeout})

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = self.http.request(method, self.prefix + path, **kwargs)
        if reply.status_code >= 400:
            try:
                message = reply.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = reply.text
            raise ControlRefused(f"{method} {path}: {reply.status_code}: {message}")
        return reply.json()
