"""Errors of the control plane (``/__zohosim/``): ``{"error": {"code", "message"}}`` with a fix hint."""

from __future__ import annotations

from starlette.responses import Response

from simulator.http import json_response


class ControlError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def response(self) -> Response:
        body = {"error": {"code": self.code, "message": self.message}}
        return json_response(body, status_code=self.status_code)


class BadRequest(ControlError):
    """The request is malformed; the message names the setting and the fix."""


class UnknownTenant(ControlError):
    status_code = 404
    code = "unknown_tenant"

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"no tenant {tenant_id!r}: GET /__zohosim/tenants lists them")


class TenantExists(ControlError):
    status_code = 409
    code = "tenant_exists"

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"tenant {tenant_id!r} already exists: choose another tenant_id or delete it first")


class ControlTokenRequired(ControlError):
    status_code = 401
    code = "control_token_required"

    def __init__(self) -> None:
        super().__init__(
            "this simulator was started with --control-token: send it as 'Authorization: Bearer <token>'"
        )


class IntegrationConflict(ControlError):
    """The Books CRM integration refuses the action in its present state (not connected, not
    configured, a run in progress); ``code`` is the refusal's own."""

    status_code = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class UnknownRun(ControlError):
    status_code = 404
    code = "unknown_run"

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run {run_id!r} in the history: GET .../books/crm-integration/runs lists them")


class MethodNotAllowed(ControlError):
    status_code = 405
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: str) -> None:
        super().__init__(f"{method} is not allowed here: use {allowed or 'another route'}")
