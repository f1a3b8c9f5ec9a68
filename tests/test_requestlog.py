"""The request log may be read while a server thread appends to it, and a request is in it before
its reply leaves."""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from simulator.app import create_app
from simulator.http import body_once
from simulator.requestlog import LoggedRequest, RequestLog
from simulator.testing import build_simulator


@dataclass(frozen=True)
class _AppendsWhenRead(LoggedRequest):
    """An entry whose tenant is read while another request is logged: the interleaving a server
    thread produces, made deterministic."""

    log: RequestLog | None = None

    def __getattribute__(self, name: str) -> object:
        log = object.__getattribute__(self, "log")
        if name == "tenant_id" and log is not None:
            object.__setattr__(self, "log", None)
            log.append(
                time="t",
                tenant_id="t1",
                service="crm",
                method="GET",
                path="/",
                query="",
                raw_body=b"",
                status=200,
            )
        return object.__getattribute__(self, name)


def test_filter_reads_a_snapshot_while_requests_are_logged() -> None:
    log = RequestLog()
    log.append(
        time="t", tenant_id="t1", service="crm", method="GET", path="/", query="", raw_body=b"", status=200
    )
    log._entries.append(
        _AppendsWhenRead(
            seq=2,
            time="t",
            tenant_id="t1",
            service="crm",
            method="GET",
            path="/",
            query="",
            body=None,
            status=200,
            log=log,
        )
    )
    assert [e.seq for e in log.filter(tenant_id="t1")] == [1, 2]  # the entries when it began
    assert len(list(log)) == 3


def test_a_request_is_logged_before_its_reply_leaves() -> None:
    """Whoever watches the log (the harness's kill switch ends a syncer on its N-th write) acts
    while the client has not yet seen the reply: a client that saw it could send its next write
    before the kill, and that write would be applied."""
    sim = build_simulator()
    app = create_app(sim)
    logged_at_start: list[int] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/crm/v8/Accounts",
        "raw_path": b"/crm/v8/Accounts",
        "query_string": b"",
        "headers": [(b"host", b"zohosim.local"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            logged_at_start.append(len([e for e in sim.request_log if e.path == "/crm/v8/Accounts"]))

    anyio.run(app, scope, body_once(b'{"data": [{"Account_Name": "A"}]}'), send)
    assert logged_at_start == [1]
