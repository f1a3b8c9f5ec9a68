"""The composite API: up to five CRM calls in one ``POST /crm/{version}/__composite_requests``.

Each sub-request is dispatched in-process through the whole app (``request.app``), so it meets
the same routes, authentication, scopes, fault rules and request log as a direct call; only
the org's rate limits are skipped (the gate sees ``SUB_REQUEST``), since Zoho charges one
credit for the whole composite call.

``rollback_on_fail`` makes the call all-or-nothing: the tenant's state is exported before the
first sub-request, and imported back when one fails (a reply status of 400 or more). The
sub-requests run one after another then; otherwise (``concurrent_execution``, Zoho's older
docs say ``parallel_execution``) the ones that refer to no other run concurrently, and those
with references (``@{sub_request_id:$.json.path}`` in the uri, params or body) after the
sub-requests they refer to. Sources: composite_requests.json and Zoho's composite API page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Scope

from simulator.crm.errors import (
    AmbiguityDuringProcessing,
    CrmError,
    DataErrors,
    DuplicateData,
    InternalError,
    InvalidData,
    InvalidReference,
    LoopingFound,
    MandatoryNotFound,
    NotSupported,
    ProcessingStopped,
    RollbackPerformed,
    UnableToParseDataType,
)
from simulator.crm.responses import _call
from simulator.gate import ConnectionDropped
from simulator.http import SUB_REQUEST, BodyError, body_once, json_response, read_json

MAX_SUB_REQUESTS = 5
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
RESTRICTED_HEADERS = ("authorization", "x-crm-org")
_KEY = "__composite_requests"
_URI = re.compile(r"/crm(/.*)?/v[0-9]+([.][0-9]+)?/.*")
_SUB_REQUEST_ID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_]*")
_REFERENCE = re.compile(r"@\{([a-zA-Z0-9][a-zA-Z0-9_]*):(\$[^}]*)\}")
_NOT_IN_COMPOSITE = re.compile(r"^/crm/(bulk/|[^/]+/__composite_requests)")
_PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]")


@dataclass(frozen=True)
class SubRequest:
    index: int
    sub_request_id: str | None
    method: str
    uri: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: Any
    refers_to: frozenset[str]


@dataclass(frozen=True)
class Plan:
    sub_requests: tuple[SubRequest, ...]
    rollback_on_fail: bool
    concurrent: bool

    def waves(self) -> list[list[SubRequest]]:
        """The sub-requests in the order they may run: each wave only after those it refers to."""
        done: set[str] = set()
        left = list(self.sub_requests)
        waves: list[list[SubRequest]] = []
        while left:
            ready = [sub for sub in left if sub.refers_to <= done]
            if not ready:
                raise LoopingFound(_dependents(left))
            waves.append(ready if self.concurrent else ready[:1])
            done |= {sub.sub_request_id for sub in waves[-1] if sub.sub_request_id}
            left = [sub for sub in left if sub not in waves[-1]]
        return waves


@dataclass
class _Outcome:
    status_code: int
    headers: dict[str, str]
    body: Any

    def entry(self) -> dict[str, Any]:
        response = {"status_code": self.status_code, "body": self.body, "headers": self.headers}
        return {
            "code": "SUCCESS",
            "details": {"response": response},
            "message": "success",
            "status": "success",
        }


@dataclass
class _Run:
    """One composite call under way: the outcomes so far, by position."""

    plan: Plan
    outcomes: dict[int, _Outcome | CrmError] = field(default_factory=dict)

    def by_id(self, sub_request_id: str) -> _Outcome | None:
        for sub in self.plan.sub_requests:
            if sub.sub_request_id == sub_request_id:
                found = self.outcomes.get(sub.index)
                return found if isinstance(found, _Outcome) else None
        return None


async def composite_requests(request: Request) -> Response:
    _call(request, group="composite_requests", action="CUSTOM")
    plan = parse_plan(await _body(request))
    sim = request.app.state.simulator
    authorization = request.headers.get("authorization", "")
    tenant = sim.tenant_of(authorization=authorization)
    saved = tenant.export_state() if plan.rollback_on_fail else None
    run = _Run(plan)
    for wave in plan.waves():
        async with anyio.create_task_group() as group:
            for sub in wave:
                group.start_soon(_execute, request, run, sub, authorization)
        failed = next((o for o in wave if _failed(run.outcomes[o.index])), None)
        if failed is not None and saved is not None:
            tenant.import_state(saved, clock=sim.clock)
            _roll_back(run, failed_index=failed.index)
            break
    entries = [_entry(run.outcomes.get(sub.index, ProcessingStopped())) for sub in plan.sub_requests]
    clean = all(
        entry["code"] == "SUCCESS" and entry["details"]["response"]["status_code"] < 400 for entry in entries
    )
    return json_response({_KEY: entries}, status_code=200 if clean else 207)


# -- reading the request ---------------------------------------------------------------------


async def _body(request: Request) -> Any:
    try:
        body = await read_json(request)
    except BodyError as exc:
        if str(exc) == "empty":
            raise MandatoryNotFound(_KEY) from None
        raise UnableToParseDataType() from None
    if not isinstance(body, dict):
        raise UnableToParseDataType()
    return body


def parse_plan(body: Mapping[str, Any]) -> Plan:
    """Check the whole request before anything runs: a bad sub-request fails the whole call."""
    rollback = _flag(body, "rollback_on_fail")
    concurrent_keys = [key for key in ("concurrent_execution", "parallel_execution") if key in body]
    concurrent_given = [_flag(body, key) for key in concurrent_keys]
    if rollback and any(concurrent_given):
        raise AmbiguityDuringProcessing(
            "rollback_on_fail",
            *concurrent_keys,
            message="rollback_on_fail and concurrent execution can't both be true",
        )
    items = body.get(_KEY)
    if items is None:
        raise MandatoryNotFound(_KEY)
    if not isinstance(items, list) or not items:
        raise InvalidData({"api_name": _KEY, "json_path": f"$.{_KEY}", "expected_data_type": "jsonarray"})
    if len(items) > MAX_SUB_REQUESTS:
        raise InvalidData({"api_name": _KEY, "json_path": f"$.{_KEY}", "maximum_length": MAX_SUB_REQUESTS})
    sub_requests, errors = [], []
    for index, item in enumerate(items):
        try:
            sub_requests.append(_sub_request(index, item))
        except CrmError as error:
            errors.append(error)
    errors.extend(_reference_errors(sub_requests))
    if errors:
        raise DataErrors(errors, key=_KEY)
    concurrent = not rollback if not concurrent_given else concurrent_given[0]
    return Plan(tuple(sub_requests), rollback_on_fail=rollback, concurrent=concurrent)


def _flag(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidData({"api_name": key, "json_path": f"$.{key}", "expected_data_type": "boolean"})
    return value


def _sub_request(index: int, item: Any) -> SubRequest:
    where = f"$.{_KEY}[{index}]"
    if not isinstance(item, dict):
        raise InvalidData({"api_name": _KEY, "json_path": where, "expected_data_type": "jsonobject"})
    for key in ("method", "uri"):
        if item.get(key) is None:
            raise MandatoryNotFound(key, json_path=f"{where}.{key}")
    method, uri = item["method"], item["uri"]
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise InvalidData({"api_name": "method", "json_path": f"{where}.method"})
    if not isinstance(uri, str) or not _URI.fullmatch(uri):
        raise InvalidData({"api_name": "uri", "json_path": f"{where}.uri", "regex": _URI.pattern})
    if _NOT_IN_COMPOSITE.match(uri):
        raise NotSupported({"api_name": "uri", "json_path": f"{where}.uri"})
    sub_request_id = item.get("sub_request_id")
    if sub_request_id is not None and (
        not isinstance(sub_request_id, str) or not _SUB_REQUEST_ID.fullmatch(sub_request_id)
    ):
        raise InvalidData(
            {
                "api_name": "sub_request_id",
                "json_path": f"{where}.sub_request_id",
                "regex": _SUB_REQUEST_ID.pattern,
            }
        )
    params = _object(item, "params", where)
    headers = _object(item, "headers", where)
    restricted = sorted(name for name in headers if str(name).lower() in RESTRICTED_HEADERS)
    if restricted:
        raise InvalidData(
            {"api_name": "headers", "json_path": f"{where}.headers", "restricted_headers": restricted}
        )
    body = item.get("body")
    if body is not None and not isinstance(body, dict | list):
        raise InvalidData(
            {"api_name": "body", "json_path": f"{where}.body", "expected_data_type": "jsonobject"}
        )
    refers_to = frozenset(name for name, _ in _REFERENCE.findall(orjson.dumps([uri, params, body]).decode()))
    return SubRequest(
        index=index,
        sub_request_id=sub_request_id,
        method=method.upper(),
        uri=uri,
        params=params,
        headers={str(k): str(v) for k, v in headers.items()},
        body=body,
        refers_to=refers_to,
    )


def _object(item: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidData(
            {"api_name": key, "json_path": f"{where}.{key}", "expected_data_type": "jsonobject"}
        )
    return value


def _reference_errors(sub_requests: list[SubRequest]) -> list[CrmError]:
    positions: dict[str, list[int]] = {}
    for sub in sub_requests:
        if sub.sub_request_id is not None:
            positions.setdefault(sub.sub_request_id, []).append(sub.index)
    errors: list[CrmError] = [
        DuplicateData(
            {
                "api_name": "sub_request_id",
                "json_path": f"$.{_KEY}[{indexes[1]}].sub_request_id",
                "sub_request_indexes": indexes,
            }
        )
        for indexes in positions.values()
        if len(indexes) > 1
    ]
    for sub in sub_requests:
        for name in sorted(sub.refers_to - positions.keys()):
            errors.append(
                InvalidReference(
                    {"api_name": "sub_request_id", "json_path": f"$.{_KEY}[{sub.index}]", "reference": name}
                )
            )
    return errors


def _dependents(sub_requests: list[SubRequest]) -> dict[str, Any]:
    return {
        "dependent_data": [
            {
                "sub_request_id": sub.sub_request_id or str(sub.index),
                "referred_sub_request_ids": sorted(sub.refers_to),
            }
            for sub in sub_requests
        ]
    }


# -- running the sub-requests ----------------------------------------------------------------


async def _execute(request: Request, run: _Run, sub: SubRequest, authorization: str) -> None:
    try:
        uri, params, body = _resolve([sub.uri, sub.params, sub.body], run, sub)
    except InvalidReference as error:
        run.outcomes[sub.index] = error
        return
    run.outcomes[sub.index] = await _dispatch(
        request, sub, uri=uri, params=params, body=body, authorization=authorization
    )


def _resolve(value: Any, run: _Run, sub: SubRequest) -> Any:
    """Replace each ``@{id:$.path}`` with the value it names; a whole-string reference keeps its type."""
    if isinstance(value, dict):
        return {key: _resolve(item, run, sub) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, run, sub) for item in value]
    if not isinstance(value, str) or "@{" not in value:
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole is not None:
        return _referenced(whole, run, sub)
    return _REFERENCE.sub(lambda match: str(_referenced(match, run, sub)), value)


def _referenced(match: re.Match[str], run: _Run, sub: SubRequest) -> Any:
    name, path = match.groups()
    outcome = run.by_id(name)
    node = _at(outcome.body, path) if outcome is not None else None
    if node is None:
        raise InvalidReference(
            {"api_name": "sub_request_id", "json_path": f"$.{_KEY}[{sub.index}]", "reference": match.group(0)}
        )
    return node


def _at(node: Any, path: str) -> Any:
    """The value at a JSON path such as ``$.data[0].details.id`` (``.key``, ``[n]``, ``['key']``), or None."""
    position = 1
    while position < len(path):
        token = _PATH_TOKEN.match(path, position)
        if token is None:
            return None
        key, index, quoted = token.groups()
        if index is not None:
            node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else None
        else:
            node = node.get(key if key is not None else quoted) if isinstance(node, dict) else None
        position = token.end()
    return node


async def _dispatch(
    request: Request, sub: SubRequest, *, uri: str, params: dict[str, Any], body: Any, authorization: str
) -> _Outcome:
    path, _, query = uri.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True) + [(str(k), _param_text(v)) for k, v in params.items()]
    raw = b"" if body is None else orjson.dumps(body)
    headers = [
        (b"authorization", authorization.encode("latin-1", "replace")),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        *(
            (name.lower().encode("latin-1", "replace"), value.encode("latin-1", "replace"))
            for name, value in sub.headers.items()
        ),
    ]
    parent: Scope = request.scope
    scope: Scope = {
        "type": "http",
        "asgi": parent.get("asgi", {"version": "3.0"}),
        "http_version": parent.get("http_version", "1.1"),
        "method": sub.method,
        "scheme": parent.get("scheme", "http"),
        "server": parent.get("server"),
        "client": parent.get("client"),
        "root_path": "",
        "path": path,
        "raw_path": path.encode("utf-8", "replace"),
        "query_string": urlencode(pairs).encode(),
        "headers": headers,
        SUB_REQUEST: True,
    }
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    try:
        await request.app(scope, body_once(raw), send)
    except ConnectionDropped:
        raise  # an injected fault drops the composite call's own connection
    except Exception:  # the app has answered 500 in CRM's shape and re-raises, for the log
        if not any(m["type"] == "http.response.start" for m in messages):
            return _Outcome(status_code=500, headers={}, body=InternalError().body())
    return _outcome(messages)


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_param_text(item) for item in value)
    return str(value)


def _outcome(messages: list[Message]) -> _Outcome:
    start = next(m for m in messages if m["type"] == "http.response.start")
    raw = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    headers = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in start.get("headers", [])
        if name.lower() not in (b"content-length", b"content-type")
    }
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    return _Outcome(status_code=start["status"], headers=headers, body=body)


def _failed(outcome: _Outcome | CrmError) -> bool:
    return isinstance(outcome, CrmError) or outcome.status_code >= 400


def _roll_back(run: _Run, *, failed_index: int) -> None:
    for index, outcome in run.outcomes.items():
        if index != failed_index and not _failed(outcome):
            run.outcomes[index] = RollbackPerformed(failed_index)


def _entry(outcome: _Outcome | CrmError) -> dict[str, Any]:
    return outcome.body() if isinstance(outcome, CrmError) else outcome.entry()
