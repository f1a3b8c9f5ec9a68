"""Assertions shared by the Books HTTP tests: Zoho's success and error envelopes, exactly."""

from __future__ import annotations

from typing import Any

import httpx

from tests.openapi import validate_response

RATE_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")


def ok(
    reply: httpx.Response, message: str = "success", *, status: int = 200, oas: bool = True
) -> dict[str, Any]:
    """A success: the status, ``code: 0``, the message, the rate-limit headers, and the documented shape."""
    body = reply.json()
    assert (reply.status_code, body["code"], body["message"]) == (status, 0, message), body
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.headers["x-rate-limit-limit"] == "5000"
    assert 0 <= int(reply.headers["x-rate-limit-remaining"]) < 5000
    assert 0 < int(reply.headers["x-rate-limit-reset"]) <= 86400
    if oas:
        validate_response("books", reply.request.method, reply.request.url.path, status, body)
    return body


def error(reply: httpx.Response, status: int, code: int, message: str) -> None:
    """An error: exactly ``{"code", "message"}``, never a 2xx, and no rate-limit headers."""
    assert (reply.status_code, reply.json()) == (status, {"code": code, "message": message})
    assert not any(header in reply.headers for header in RATE_HEADERS)
