"""Fuzzing: schemathesis against ``zohosim serve``, driven by Zoho's own OpenAPI documents for the
CRM and Books operations the simulator implements.

The documents (``../shared/zoho-oas``, or ``$ZOHOSIM_OAS_DIR``) are copied to a temporary folder
with their ``$ref``s to GitHub (``https://raw.githubusercontent.com/.../v8.0/common.json#/…``)
pointed at the local copies, and one root document per service is written that holds only the
implemented operations (``OPERATIONS``). Parameters that name the tenant's own things are pinned
to real values so that generated requests reach the code behind them: ``organization_id``, CRM
module names, and record, view, user, contact, person and item ids drawn from the seeded org
(negative cases still get anything). Response schemas are Zoho's, untouched, except where
``tests/crm/expect.py`` records that the document disagrees with the real API (``SCHEMA_GAPS``:
each gap relaxes only the named property, with its reason).

Checks: ``not_a_server_error`` and ``response_schema_conformance`` (``--checks`` adds more),
authenticated with a token from ``/oauth/v2/token``.

Run: python bench/fuzz.py [--max-examples 50] [--seed 1] [--mode all] [--services crm,books]
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import yaml

from bench._common import ROOT, Served, print_machine, serve
from tests.crm.expect import OAS_GAPS
from tests.openapi import Service, validate_response

OAS_DIR = Path(os.environ.get("ZOHOSIM_OAS_DIR") or ROOT.parent / "shared" / "zoho-oas")
CHECKS = ("not_a_server_error", "response_schema_conformance")
METHODS = ("get", "put", "post", "delete", "patch")

#: The implemented operations: (document, path template, methods).
OPERATIONS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "crm": [
        ("crm-v8/record.json", "/crm/v8/{module_api_name}", ("get", "post", "put", "delete")),
        ("crm-v8/record.json", "/crm/v8/{module_api_name}/{id}", ("get", "put", "delete")),
        ("crm-v8/record.json", "/crm/v8/{module_api_name}/upsert", ("post",)),
        ("crm-v8/record.json", "/crm/v8/{module_api_name}/deleted", ("get",)),
        ("crm-v8/module_search.json", "/crm/v8/{module}/search", ("get",)),
        ("crm-v8/record_count.json", "/crm/v8/{module_api_name}/actions/count", ("get",)),
        ("crm-v8/modules.json", "/crm/v8/settings/modules", ("get",)),
        ("crm-v8/modules.json", "/crm/v8/settings/modules/{api_name}", ("get",)),
        ("crm-v8/fields.json", "/crm/v8/settings/fields", ("get",)),
        ("crm-v8/custom_views.json", "/crm/v8/settings/custom_views", ("get",)),
        ("crm-v8/custom_views.json", "/crm/v8/settings/custom_views/{id}", ("get",)),
        ("crm-v8/org.json", "/crm/v8/org", ("get",)),
        ("crm-v8/users.json", "/crm/v8/users", ("get",)),
        ("crm-v8/users.json", "/crm/v8/users/{user}", ("get",)),
        ("crm-v8/coql.json", "/crm/v8/coql", ("post",)),
        ("crm-v8/record.json", "/crm/v8/{module_api_name}/actions/mass_update", ("get", "post")),
        (
            "crm-v8/related_records.json",
            "/crm/v8/{module_api_name}/{record_id}/{related_list_api_name}",
            ("get", "put", "delete"),
        ),
        (
            "crm-v8/related_records.json",
            "/crm/v8/{module_api_name}/{record_id}/{related_list_api_name}/{related_record_id}",
            ("get", "put", "delete"),
        ),
        ("crm-v8/related_lists.json", "/crm/v8/settings/related_lists", ("get",)),
        ("crm-v8/related_lists.json", "/crm/v8/settings/related_lists/{id}", ("get",)),
        ("crm-v8/tags.json", "/crm/v8/settings/tags", ("get", "post")),
        ("crm-v8/tags.json", "/crm/v8/settings/tags/{id}", ("put", "delete")),
        ("crm-v8/tags.json", "/crm/v8/settings/tags/{id}/actions/records_count", ("get",)),
        ("crm-v8/tags.json", "/crm/v8/{module_api_name}/actions/add_tags", ("post",)),
        ("crm-v8/tags.json", "/crm/v8/{module_api_name}/actions/remove_tags", ("post",)),
        ("crm-v8/tags.json", "/crm/v8/{module_api_name}/{record_id}/actions/add_tags", ("post",)),
        ("crm-v8/tags.json", "/crm/v8/{module_api_name}/{record_id}/actions/remove_tags", ("post",)),
        ("crm-v8/layouts.json", "/crm/v8/settings/layouts", ("get",)),
        ("crm-v8/layouts.json", "/crm/v8/settings/layouts/{id}", ("get",)),
        ("crm-v8/fields.json", "/crm/v8/settings/fields/{field}", ("get",)),
        ("crm-v8/recycle_bin.json", "/crm/v8/settings/recycle_bin", ("get", "delete")),
        ("crm-v8/recycle_bin.json", "/crm/v8/settings/recycle_bin/{record_id}", ("get", "delete")),
        ("crm-v8/composite_requests.json", "/crm/v8/__composite_requests", ("post",)),
        ("crm-v8/bulk_read.json", "/crm/bulk/v8/read", ("post",)),
        ("crm-v8/bulk_read.json", "/crm/bulk/v8/read/{job_id}", ("get",)),
        ("crm-v8/bulk_read.json", "/crm/bulk/v8/read/{job_id}/result", ("get",)),
        ("crm-v8/notifications.json", "/crm/v8/actions/watch", ("get", "post", "put", "patch", "delete")),
    ],
    "books": [
        ("books-v3/organizations.yml", "/organizations", ("get",)),
        ("books-v3/organizations.yml", "/organizations/{organization_id}", ("get",)),
        ("books-v3/contacts.yml", "/contacts", ("get", "post", "put")),
        ("books-v3/contacts.yml", "/contacts/{contact_id}", ("get", "put", "delete")),
        ("books-v3/contacts.yml", "/contacts/{contact_id}/active", ("post",)),
        ("books-v3/contacts.yml", "/contacts/{contact_id}/inactive", ("post",)),
        ("books-v3/contacts.yml", "/contacts/{contact_id}/address", ("get", "post")),
        ("books-v3/contacts.yml", "/contacts/{contact_id}/address/{address_id}", ("put", "delete")),
        ("books-v3/contacts.yml", "/contacts/contactpersons", ("get", "post")),
        ("books-v3/contacts.yml", "/contacts/contactpersons/{contactperson_id}", ("get", "put", "delete")),
        ("books-v3/contacts.yml", "/contacts/contactpersons/{contactperson_id}/primary", ("post",)),
        ("books-v3/contacts.yml", "/contacts/{contact_id}/contactpersons", ("get",)),
        ("books-v3/contacts.yml", "/contacts/{contact_id}/contactpersons/{contactperson_id}", ("get",)),
        ("books-v3/items.yml", "/items", ("get", "post", "put")),
        ("books-v3/items.yml", "/items/{item_id}", ("get", "put", "delete")),
        ("books-v3/items.yml", "/items/{item_id}/active", ("post",)),
        ("books-v3/items.yml", "/items/{item_id}/inactive", ("post",)),
        ("books-v3/items.yml", "/item/{item_id}/customfields", ("put",)),
        ("books-v3/integration.yml", "/crm/account/{crm_account_id}/import", ("post",)),
        ("books-v3/integration.yml", "/crm/contact/{crm_contact_id}/import", ("post",)),
        ("books-v3/integration.yml", "/crm/vendor/{crm_vendor_id}/import", ("post",)),
        ("books-v3/integration.yml", "/crm/item/{crm_product_id}/import", ("post",)),
    ],
}


def oas_available(root: Path = OAS_DIR) -> bool:
    return all((root / f).is_file() for ops in OPERATIONS.values() for f, _, _ in ops)


# -- the documents --------------------------------------------------------------------------------


def _load(file: Path) -> Any:
    text = file.read_text(encoding="utf-8")
    return (
        json.loads(text)
        if file.suffix == ".json"
        else yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    )


def _local_name(folder: str, location: str) -> str:
    """``https://…/v8.0/common.json`` -> ``crm-v8__common.json``: every copy lives in one folder."""
    return f"{folder}__{Path(urlparse(location).path).name}".replace(".yml", ".json")


def _rewrite_refs(node: Any, folder: str, source: str) -> Any:
    """Point every ``$ref`` at a file of the flat copy: external URLs by their file name, local
    ``#/…`` pointers at ``source`` (so that a fragment copied into a root document still resolves)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                location, _, pointer = value.partition("#")
                target = _local_name(folder, location) if location else source
                out[key] = f"{target}#{pointer}"
            else:
                out[key] = _rewrite_refs(value, folder, source)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, folder, source) for item in node]
    return node


def _resolve(ref: str, out_dir: Path) -> Any:
    location, _, pointer = ref.partition("#")
    node = json.loads((out_dir / location).read_text())
    for token in filter(None, pointer.split("/")):
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def build_documents(
    out_dir: Path, pins: dict[str, list[Any]], *, base_url: str, oas_dir: Path = OAS_DIR
) -> dict[str, Path]:
    """Write the flat copies and one root document per service; return the roots.

    ``pins`` maps a parameter name to the values it may take (``enum``)."""
    for folder in ("crm-v8", "books-v3"):
        for file in sorted((oas_dir / folder).iterdir()):
            if file.suffix in (".json", ".yml"):
                name = _local_name(folder, file.name)
                (out_dir / name).write_text(json.dumps(_rewrite_refs(_load(file), folder, name)))
    roots = {}
    for service, operations in OPERATIONS.items():
        first = json.loads((out_dir / _local_name(*operations[0][0].split("/"))).read_text())
        paths: dict[str, Any] = {}
        for doc, template, methods in operations:
            source = _local_name(*doc.split("/"))
            item = copy.deepcopy(json.loads((out_dir / source).read_text())["paths"][template])
            while "$ref" in item:
                item = _resolve(item["$ref"], out_dir)
            kept = {k: v for k, v in item.items() if k not in METHODS or k in methods}
            for key in ("parameters", *methods):
                if key == "parameters":
                    kept["parameters"] = [_pin(p, pins, out_dir) for p in kept.get("parameters", [])]
                else:
                    operation = kept[key]
                    operation["parameters"] = [
                        _pin(p, pins, out_dir) for p in operation.get("parameters", [])
                    ]
                    operation.pop("security", None)  # the Authorization header is given to every request
            paths[template] = kept
        prefix = "/books/v3" if service == "books" else ""
        root = {
            "openapi": first["openapi"],
            "info": {"title": f"Zoho {service} (zohosim's implemented operations)", "version": "zohosim"},
            "servers": [{"url": base_url + prefix}],
            "paths": paths,
        }
        roots[service] = out_dir / f"{service}.root.json"
        roots[service].write_text(json.dumps(root))
    return roots


def _pin(parameter: dict[str, Any], pins: dict[str, list[Any]], out_dir: Path) -> dict[str, Any]:
    resolved = parameter
    while "$ref" in resolved:
        resolved = _resolve(resolved["$ref"], out_dir)
    name = resolved.get("name")
    if name not in pins or resolved.get("in") not in ("path", "query"):
        return parameter
    pinned = {k: v for k, v in resolved.items() if k not in ("schema", "example", "examples", "content")}
    pinned["schema"] = {"type": "string", "enum": [str(v) for v in pins[name]]}
    return pinned


# -- where Zoho's documents disagree with the real API ------------------------------------------

_PAGING_ERRORS = (
    "the document lists only {listed} here; paging and other parameters fail as on every CRM call "
    "(research zoho-crm-api.md §1.1 and its error table: INVALID_DATA {{param_name}}, LIMIT_EXCEEDED "
    "{{limit, param_name}}, UNABLE_TO_PARSE_DATA_TYPE)"
)
_ERROR_KEYS = ("$.code", "$.message", "$.details")
_SETTINGS_ERRORS = (
    "the document lists only {listed} here, not every form; a missing or unknown `module` query "
    "parameter, a malformed id and bad paging fail as on every CRM call, naming the parameter "
    "(research zoho-crm-api.md §1.1 and its error table)"
)
_WATCH_BODY_ERRORS = (
    "the document names a missing parameter `param`; the research's error table and the other CRM "
    "documents name it `param_name` (REQUIRED_PARAM_MISSING {param_name}), and a body or parameter that "
    "can't be read is UNABLE_TO_PARSE_DATA_TYPE (research zoho-crm-api.md §1.1 and its error table)"
)

#: (service, operation, status) -> (JSON paths whose errors are tolerated, why). A failing reply is
#: re-validated with tests/openapi.py (which reads ``oneOf`` as ``anyOf``) ignoring these paths.
DOCUMENT_GAPS: dict[tuple[str, str, int], tuple[tuple[str, ...], str]] = {
    **{
        ("crm", operation, 200): (OAS_GAPS[key], f"tests/crm/expect.py OAS_GAPS[{key!r}]")
        for operation, key in (
            ("GET /crm/v8/{module_api_name}", "list"),
            ("GET /crm/v8/{module_api_name}/actions/count", "count"),
            ("GET /crm/v8/settings/fields", "fields"),
            ("GET /crm/v8/settings/fields/{field}", "fields"),
            ("GET /crm/v8/settings/layouts", "layouts"),
            ("GET /crm/v8/settings/layouts/{id}", "layouts"),
            ("GET /crm/v8/settings/modules", "modules"),
            ("GET /crm/v8/settings/modules/{api_name}", "modules"),
            ("GET /crm/v8/settings/custom_views", "custom_views"),
            ("GET /crm/v8/org", "org"),
            ("GET /crm/v8/users", "users"),
            ("GET /crm/v8/users/{user}", "users"),
        )
    },
    **{
        ("crm", "POST /crm/v8/{module_api_name}/upsert", status): (
            OAS_GAPS["upsert"],
            "tests/crm/expect.py OAS_GAPS['upsert']",
        )
        for status in (200, 207, 400)
    },
    ("crm", "GET /crm/v8/settings/custom_views/{id}", 200): (
        (*OAS_GAPS["custom_view"], "$.custom_views[*].sort_by", "$.custom_views[*].sort_order"),
        "tests/crm/expect.py OAS_GAPS['custom_view']; and a view with no sort field (Zoho's standard views) "
        "has sort_by and sort_order null, where the document has only the object of a sorted view",
    ),
    ("crm", "GET /crm/bulk/v8/read/{job_id}", 200): (
        OAS_GAPS["bulk_read_job"],
        "tests/crm/expect.py OAS_GAPS['bulk_read_job']",
    ),
    ("crm", "GET /crm/v8/settings/custom_views", 400): (
        _ERROR_KEYS,
        _PAGING_ERRORS.format(listed="INVALID_MODULE"),
    ),
    ("crm", "GET /crm/v8/users", 400): (_ERROR_KEYS, _PAGING_ERRORS.format(listed="INVALID_DATA")),
    ("crm", "GET /crm/v8/{module}/search", 400): (
        _ERROR_KEYS,
        _PAGING_ERRORS.format(listed="INVALID_REQUEST")
        + "; a bad word or criteria is INVALID_DATA or INVALID_QUERY",
    ),
    ("crm", "GET /crm/v8/{module_api_name}/actions/count", 400): (
        _ERROR_KEYS,
        "the document lists only INVALID_MODULE; an unknown cvid is INVALID_DATA {param_name: cvid} "
        "(research §1.1)",
    ),
    **{
        ("crm", operation, 400): (_ERROR_KEYS, _SETTINGS_ERRORS.format(listed=listed))
        for operation, listed in (
            ("GET /crm/v8/settings/fields/{field}", "INVALID_MODULE and REQUIRED_PARAM_MISSING"),
            ("GET /crm/v8/settings/layouts", "INVALID_MODULE and REQUIRED_PARAM_MISSING"),
            ("GET /crm/v8/settings/layouts/{id}", "INVALID_MODULE and REQUIRED_PARAM_MISSING"),
            ("GET /crm/v8/settings/related_lists", "INVALID_DATA and REQUIRED_PARAM_MISSING"),
            ("GET /crm/v8/settings/related_lists/{id}", "INVALID_DATA and REQUIRED_PARAM_MISSING"),
            ("GET /crm/v8/settings/tags", "INVALID_MODULE and REQUIRED_PARAM_MISSING"),
            ("PUT /crm/v8/settings/tags/{id}", "INVALID_DATA and REQUIRED_PARAM_MISSING"),
            (
                "GET /crm/v8/settings/tags/{id}/actions/records_count",
                "INVALID_DATA and REQUIRED_PARAM_MISSING",
            ),
            (
                "GET /crm/v8/settings/recycle_bin",
                "its own variants of INVALID_DATA and REQUIRED_PARAM_MISSING",
            ),
            (
                "DELETE /crm/v8/settings/recycle_bin",
                "its own variants of INVALID_DATA and REQUIRED_PARAM_MISSING",
            ),
        )
    },
    ("crm", "POST /crm/v8/settings/tags", 400): (
        (*_ERROR_KEYS, "$.tags"),
        _SETTINGS_ERRORS.format(listed="INVALID_MODULE, REQUIRED_PARAM_MISSING and some item errors")
        + "; a body that is not JSON is UNABLE_TO_PARSE_DATA_TYPE, a tag name over 25 characters an "
        "INVALID_DATA item with maximum_length, as record writes report them",
    ),
    ("crm", "POST /crm/v8/coql", 400): (
        _ERROR_KEYS,
        "the document lists only the query's own errors (SYNTAX_ERROR, INVALID_QUERY, ...); a body "
        "without a string select_query fails as every CRM write body does (UNABLE_TO_PARSE_DATA_TYPE, "
        "REQUIRED_PARAM_MISSING {param_name}, INVALID_DATA {api_name, json_path})",
    ),
    ("crm", "GET /crm/v8/actions/watch", 400): (
        _ERROR_KEYS,
        _PAGING_ERRORS.format(listed="INVALID_DATA")
        + "; a parameter that can't be read is UNABLE_TO_PARSE_DATA_TYPE",
    ),
    **{
        ("crm", f"{method} /crm/v8/actions/watch", 400): (_ERROR_KEYS, _WATCH_BODY_ERRORS)
        for method in ("PUT", "PATCH", "DELETE")
    },
    **{
        ("crm", f"{method} /crm/v8/actions/watch", 202): (
            ("$.watch[*].code",),
            "each of the document's 202 alternatives holds items of one error code; a batch whose items "
            "fail in different ways (one INVALID_DATA, one MANDATORY_NOT_FOUND) mixes them, item by item, "
            "as every CRM batch reply does",
        )
        for method in ("POST", "PUT", "PATCH")
    },
    ("crm", "POST /crm/v8/__composite_requests", 400): (
        _ERROR_KEYS,
        "the document lists only the errors of the batch's items; a body that is not JSON is "
        "UNABLE_TO_PARSE_DATA_TYPE, as every CRM write body (research zoho-crm-api.md error table)",
    ),
    ("crm", "GET /crm/v8/settings/fields", 400): (
        ("$.details",),
        "an unknown module in the `module` query parameter names the parameter (param_name), as every "
        "parameter error in the research's table does; the document has only the path form "
        "{resource_path_index}",
    ),
}
_ONE_OF = "valid under more than one of the schemas listed in the 'oneOf' keyword"
_NO_ONE_OF = "not valid under any of the 'oneOf' keyword"
ONE_OF_REASON = (
    "Zoho's oneOf alternatives overlap, so a documented reply matches two of them (e.g. a success item fits "
    "both the success and the action-result schema, or an error's details fit two detail schemas); read "
    "as anyOf, as tests/openapi.py does, it matches"
)


def classify(service: Service, failure: Failure) -> str | None:
    """Why a schema failure is Zoho's document and not the simulator (None: it is the simulator)."""
    if failure.check != "response_schema_conformance":
        return None
    gaps, reason = DOCUMENT_GAPS.get((service, failure.operation, failure.status), ((), ""))
    try:
        validate_response(service, failure.method, failure.path, failure.status, failure.body, ignore=gaps)
    except AssertionError:
        return None
    if reason:
        return reason
    # No gap listed: the only reading that differs is oneOf as anyOf; anything else is surfaced. An
    # overlap inside a nested oneOf (e.g. an error's ``details``) fails the outer oneOf as "none".
    return ONE_OF_REASON if _ONE_OF in failure.gist or _NO_ONE_OF in failure.gist else None


# -- running schemathesis ------------------------------------------------------------------------


def pins_for(served: Served, token: str) -> dict[str, list[Any]]:
    """Real values for the tenant's parameters, read through the API."""
    creds = served.credentials()
    org = creds["books_organization_id"]
    modules = ["Accounts", "Contacts", "Vendors", "Products"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    with httpx.Client(base_url=served.base_url, headers=headers, timeout=30) as http:

        def crm_ids(module: str, n: int = 5) -> list[str]:
            reply = http.get(f"/crm/v8/{module}", params={"fields": "Created_Time", "per_page": n})
            return [r["id"] for r in reply.json()["data"]]

        def books_ids(collection: str, key: str, n: int = 5) -> list[str]:
            reply = http.get(f"/books/v3/{collection}", params={"organization_id": org, "per_page": n})
            return [
                r[key]
                for r in reply.json()[
                    collection.rpartition("/")[2].replace("contactpersons", "contact_persons")
                ]
            ]

        views = [
            v["id"]
            for m in modules
            for v in http.get("/crm/v8/settings/custom_views", params={"module": m}).json()["custom_views"][
                :2
            ]
        ]
        users = [u["id"] for u in http.get("/crm/v8/users").json()["users"]]
        persons = books_ids("contacts/contactpersons", "contact_person_id")
        contacts, items = books_ids("contacts", "contact_id"), books_ids("items", "item_id")
        ids = {m: crm_ids(m) for m in modules}
        job = http.post("/crm/bulk/v8/read", json={"query": {"module": {"api_name": "Accounts"}}})
        jobs = [job.json()["data"][0]["details"]["id"]]
    record_ids = [i for m in modules for i in ids[m][:3]]
    return {
        "organization_id": [org],
        "module_api_name": modules,
        "module": modules,
        "api_name": modules,
        "id": record_ids + views,
        "record_id": record_ids,
        "related_record_id": record_ids,
        "related_list_api_name": ["Contacts", "Products"],
        "field": ["Email", "Phone", "Unit_Price"],
        "user": users,
        "contact_id": contacts,
        "contactperson_id": persons,
        "item_id": items,
        "crm_account_id": ids["Accounts"],
        "crm_contact_id": ids["Contacts"],
        "crm_vendor_id": ids["Vendors"],
        "crm_product_id": ids["Products"],
        "job_id": jobs,
    }


def run_schemathesis(
    root: Path,
    *,
    base_url: str,
    token: str,
    max_examples: int,
    seed: int,
    mode: str,
    checks: tuple[str, ...],
    report: Path,
    max_time: int | None = None,
    extra: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(root),
        "--url",
        base_url,
        "-H",
        f"Authorization: Zoho-oauthtoken {token}",
        "--checks",
        ",".join(checks),
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--mode",
        mode,
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
        "--no-color",
        *(("--max-time", str(max_time)) if max_time else ()),
        *extra,
    ]
    return subprocess.run(argv, capture_output=True, text=True, cwd=root.parent)


@dataclass(frozen=True)
class Failure:
    operation: str
    check: str
    status: int
    gist: str
    example: str
    method: str = ""
    path: str = ""
    body: Any = None


def failures(report: Path) -> list[Failure]:
    """Every failed check of every case in an ndjson report."""
    found: list[Failure] = []
    for line in report.read_text().splitlines():
        event = json.loads(line).get("ScenarioFinished")
        if not event:
            continue
        recorder = event.get("recorder") or {}
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                interaction = (recorder.get("interactions") or {}).get(case_id) or {}
                response = interaction.get("response") or {}
                request = interaction.get("request") or {}
                failure = (check.get("failure_info") or {}).get("failure") or {}
                text = _body(response)
                try:
                    body = json.loads(text)
                except ValueError:
                    body = text
                found.append(
                    Failure(
                        operation=recorder.get("label", "?"),
                        check=check["name"],
                        status=response.get("status_code", 0),
                        gist=_gist(failure.get("message") or failure.get("title") or ""),
                        example=f"{request.get('method')} {request.get('uri')} -> {text[:300]}",
                        method=str(request.get("method")),
                        path=urlparse(str(request.get("uri"))).path,
                        body=body,
                    )
                )
    return found


def cases(report: Path) -> int:
    """How many test cases the report holds."""
    total = 0
    for line in report.read_text().splitlines():
        event = json.loads(line).get("ScenarioFinished")
        if event:
            total += len((event.get("recorder") or {}).get("cases") or {})
    return total


def _gist(message: str) -> str:
    """The validation error's first line without the instance (which differs case by case)."""
    # split on "\n" only: str.splitlines() would also cut at a U+0085 or U+2028 inside the fuzzed instance
    first = message.strip().split("\n")[0] if message.strip() else ""
    first = re.sub(r"^.* is not valid under any of the schemas listed in", "not valid under any of", first)
    first = re.sub(r"^.* is not of type", "is not of type", first)
    first = re.sub(r"^.* is not one of", "is not one of", first)
    status = re.search(r"Validated against the response schema for status code (\d+)", message)
    path = re.search(r"(?m)^Path: (.*)$|at path (\S+)", message)
    extra = f" (schema for {status.group(1)})" if status else ""
    return first[:160] + extra + (f" at {path.group(1) or path.group(2)}" if path else "")


def _body(response: dict[str, Any]) -> str:
    content = response.get("content") or {}
    if "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", "replace")
    return str(content.get("string") or content)


@dataclass
class ServiceResult:
    service: str
    cases: int
    server_errors: list[Failure]
    explained: list[tuple[Failure, str]]
    unexplained: list[Failure]
    output: str

    @property
    def ok(self) -> bool:
        return not self.server_errors and not self.unexplained

    def lines(self) -> list[str]:
        lines = [
            f"{self.service}: {self.cases:,} test cases; server errors: {len(self.server_errors)}; "
            f"schema mismatches: {len(self.unexplained)} unexplained, {len(self.explained)} failing cases "
            "where Zoho's document disagrees with the real API (listed)"
        ]
        for failure in self.server_errors:
            lines.append(f"  SERVER ERROR {failure.operation} -> {failure.status}: {failure.example}")
        for failure in self.unexplained:
            lines.append(
                f"  MISMATCH {failure.operation} -> {failure.status} ({failure.check}): {failure.gist}"
            )
            lines.append(f"    e.g. {failure.example}")
        reasons: dict[tuple[str, int, str], int] = {}
        for failure, reason in self.explained:
            key = (failure.operation, failure.status, reason)
            reasons[key] = reasons.get(key, 0) + 1
        for (operation, status, reason), count in sorted(reasons.items()):
            lines.append(f"  listed: {operation} -> {status} ({count} failing cases): {reason}")
        return lines


def fuzz(
    *,
    services: tuple[Service, ...] = ("crm", "books"),
    max_examples: int = 50,
    seed: int = 1,
    mode: str = "all",
    checks: tuple[str, ...] = CHECKS,
    folder: Path | None = None,
    max_time: int | None = None,
) -> list[ServiceResult]:
    """Serve a fresh seeded simulator, fuzz each service, and classify every failure."""
    folder = folder or Path(tempfile.mkdtemp(prefix="zohosim-fuzz-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    with serve("--seed", "42", "--clock", "frozen") as served:
        token = served.token()
        roots = build_documents(folder, pins_for(served, token), base_url=served.base_url)
        for service in services:
            report = folder / f"{service}.ndjson"
            done = run_schemathesis(
                roots[service],
                base_url=served.base_url + ("/books/v3" if service == "books" else ""),
                token=token,
                max_examples=max_examples,
                seed=seed,
                mode=mode,
                checks=checks,
                report=report,
                max_time=max_time,
            )
            if not report.exists():
                raise RuntimeError(f"schemathesis did not run:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            found = failures(report)
            server_errors = [f for f in found if f.check == "not_a_server_error" or f.status >= 500]
            explained, unexplained = [], []
            for failure in found:
                if failure in server_errors:
                    continue
                reason = classify(service, failure)
                if reason is None:
                    unexplained.append(failure)
                else:
                    explained.append((failure, reason))
            results.append(
                ServiceResult(service, cases(report), server_errors, explained, unexplained, done.stdout)
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mode", choices=("positive", "negative", "all"), default="all")
    parser.add_argument("--services", default="crm,books")
    parser.add_argument("--checks", default=",".join(CHECKS))
    parser.add_argument("--keep", type=Path, default=None, help="keep the documents and reports here")
    args = parser.parse_args()
    if not oas_available():
        raise SystemExit(f"{OAS_DIR} is absent: put Zoho's OpenAPI documents there or set $ZOHOSIM_OAS_DIR")
    print_machine()
    print(
        f"schemathesis: checks {args.checks}; mode {args.mode}; up to {args.max_examples} examples per "
        f"operation per phase (examples, coverage, fuzzing); seed {args.seed}"
    )
    began = time.perf_counter()
    results = fuzz(
        services=tuple(args.services.split(",")),
        max_examples=args.max_examples,
        seed=args.seed,
        mode=args.mode,
        checks=tuple(args.checks.split(",")),
        folder=args.keep,
    )
    for result in results:
        print()
        print("\n".join(result.lines()))
    print(f"\n{time.perf_counter() - began:.0f} s")
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
