"""``POST /crm/{version}/coql``: the body's ``select_query`` parsed, planned and run.

Scope: ``ZohoCRM.coql.READ`` and read access to the queried module (research §2).  The reply is
``{"data": [...], "info": {"count", "more_records"}}``, or 204 when no record matches.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from simulator.crm import coql, coql_run
from simulator.crm.errors import InvalidData, RequiredParamMissing, UnableToParseDataType
from simulator.crm.responses import _authenticate, _require
from simulator.http import BodyError, empty_response, json_response, read_json

MAX_QUERY_LENGTH = 20_000


async def query(request: Request) -> Response:
    call = _authenticate(request)
    _require(call, group="coql", resource=None, action="READ")
    text = await _select_query(request)
    plan = coql_run.plan(coql.parse(text))
    _require(call, group="modules", resource=plan.module.api_name.lower(), action="READ")
    result = coql_run.run(call.org, plan)
    if not result.rows:
        return empty_response(204)
    info = {"count": len(result.rows), "more_records": result.more_records}
    return json_response({"data": result.rows, "info": info})


async def _select_query(request: Request) -> str:
    try:
        body = await read_json(request)
    except BodyError as exc:
        if str(exc) == "empty":
            raise RequiredParamMissing("select_query") from None
        raise UnableToParseDataType() from None
    if not isinstance(body, dict):
        raise UnableToParseDataType()
    text = body.get("select_query")
    if text is None:
        raise RequiredParamMissing("select_query")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_QUERY_LENGTH:
        raise InvalidData({"api_name": "select_query", "json_path": "$.select_query"})
    return text
