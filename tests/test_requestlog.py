"""The request log may be read while a server thread appends to it."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.requestlog import LoggedRequest, RequestLog


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
