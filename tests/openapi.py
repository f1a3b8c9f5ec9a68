"""Validate the simulator's JSON responses against Zoho's official OpenAPI documents.

The documents live outside the repo, in ``../shared/zoho-oas`` (``crm-v8/*.json`` and
``books-v3/*.yml``); ``$ZOHOSIM_OAS_DIR`` points elsewhere.  Tests that validate skip, with a
clear reason, when the documents are absent.

Zoho's documents are OpenAPI 3.0, so each response schema is turned into a self-contained
JSON Schema (Draft 2020-12) first:

* every ``$ref`` is inlined (the CRM documents point at each other through raw.githubusercontent
  URLs, which resolve to the sibling file of the same name); a ``$ref`` already being expanded
  higher up becomes ``{}``, which cuts recursion off;
* ``nullable: true`` admits ``null``; ``example`` becomes the standard ``examples``; OAS-only
  and annotation keywords (``xml``, ``discriminator``, ``readOnly``, ``x-*``, ...) are dropped;
* ``oneOf`` becomes ``anyOf``: Zoho's alternatives overlap (a success wrapper and
  ``API_Exception`` declare no required keys, so every object matches both), which would make
  ``oneOf`` reject every body.  To keep ``anyOf`` from accepting anything through the loosest
  alternative, an object alternative without ``required`` keys only matches a body that has at
  least one of its declared properties, whenever two or more object alternatives compete.

``format`` is not asserted.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

Service = Literal["crm", "books"]

#: The default location of the documents; ``$ZOHOSIM_OAS_DIR`` overrides it at call time.
OAS_DIR: Path = Path(__file__).resolve().parents[1].parent / "shared" / "zoho-oas"

_ENV_VAR = "ZOHOSIM_OAS_DIR"
_LAYOUT: dict[str, tuple[str, str]] = {"crm": ("crm-v8", "*.json"), "books": ("books-v3", "*.yml")}
_DROPPED = frozenset(
    {"nullable", "example", "xml", "discriminator", "externalDocs", "readOnly", "writeOnly", "deprecated"}
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_VALUES = frozenset(
    {"items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else"}
)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAX_MESSAGE = 300


# -- locating and loading the documents ------------------------------------------------------


def _oas_dir() -> Path:
    env = os.environ.get(_ENV_VAR)
    return Path(env) if env else OAS_DIR


def _document_files(root: Path, service: Service) -> list[Path]:
    folder, pattern = _LAYOUT[service]
    return sorted((root / folder).glob(pattern))


def oas_available() -> bool:
    root = _oas_dir()
    return all(_document_files(root, service) for service in ("crm", "books"))


def skip_without_oas() -> None:
    """Skip the calling test (or, at module level, the whole module) when the documents are absent."""
    if oas_available():
        return
    env = os.environ.get(_ENV_VAR)
    where = f"{env} (from ${_ENV_VAR})" if env else "../shared/zoho-oas"
    pytest.skip(
        f"{where} is absent: Zoho's OpenAPI documents (crm-v8/*.json, books-v3/*.yml) are needed "
        f"to validate responses; put them there or point ${_ENV_VAR} at a copy",
        allow_module_level=True,
    )


@functools.cache
def _load(file: Path) -> dict[str, Any]:
    text = file.read_text(encoding="utf-8")
    loaded = json.loads(text) if file.suffix == ".json" else yaml.load(text, Loader=_YAML_LOADER)
    assert isinstance(loaded, dict), f"{file} is not an OpenAPI document"
    return loaded


def _follow(ref: str, file: Path) -> tuple[Any, Path, str]:
    """Return the target of ``ref`` (as written in ``file``), the file holding it, and a key for it."""
    location, _, pointer = ref.partition("#")
    target = file.parent / Path(urlparse(location).path).name if location else file
    node: Any = _load(target)
    for token in filter(None, pointer.split("/")):
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, target, f"{target.name}#{pointer}"


def _deref(node: Any, file: Path) -> tuple[Any, Path]:
    """Follow ``$ref`` chains of non-schema objects (path items, responses)."""
    while isinstance(node, dict) and "$ref" in node:
        node, file, _ = _follow(node["$ref"], file)
    return node, file


# -- matching a concrete request path to a documented operation ------------------------------


@dataclass(frozen=True)
class _Route:
    segments: tuple[str | None, ...]  # None stands for a {template} segment
    template: str
    file: Path
    order: tuple[int, int]  # (paths in the document, position): the specialised document wins ties

    @property
    def specificity(self) -> tuple[bool, ...]:
        return tuple(segment is not None for segment in self.segments)


def _split(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _server_prefix(document: Mapping[str, Any]) -> str:
    servers = document.get("servers") or [{"url": ""}]
    return urlparse(servers[0]["url"]).path.rstrip("/")


@functools.cache
def _routes(root: Path, service: Service) -> tuple[_Route, ...]:
    routes = []
    for file in _document_files(root, service):
        document = _load(file)
        prefix, paths = _server_prefix(document), document.get("paths") or {}
        for position, template in enumerate(paths):
            segments = tuple(None if "{" in s else s for s in _split(prefix + template))
            routes.append(_Route(segments, template, file, (len(paths), position)))
    return tuple(routes)


def _candidates(service: Service, path: str) -> list[_Route]:
    """The routes of the most specific template matching ``path``, best document first.

    Literal segments beat template segments from left to right, so ``/contacts/contactpersons``
    wins over ``/contacts/{contact_id}`` and ``/{module}/search`` over ``/{module}/{id}``.
    """
    wanted = _split(unquote(urlparse(path).path))
    matching = [
        route
        for route in _routes(_oas_dir().resolve(), service)
        if len(route.segments) == len(wanted)
        and all(s is None or s == w for s, w in zip(route.segments, wanted, strict=True))
    ]
    if not matching:
        return []
    best = max(route.specificity for route in matching)
    return sorted((r for r in matching if r.specificity == best), key=lambda r: r.order)


_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    """One documented operation: ``path`` is the full request path template, server prefix included."""

    service: Service
    method: str
    path: str
    document: str
    parameters: tuple[dict[str, Any], ...]  # path-level and operation-level, ``$ref``s followed


def operations(service: Service) -> list[Operation]:
    """Every operation of the service's documents, in document order."""
    skip_without_oas()
    found = []
    for route in _routes(_oas_dir().resolve(), service):
        path_item, item_file = _deref(_load(route.file)["paths"][route.template], route.file)
        prefix = _server_prefix(_load(route.file))
        for method in _METHODS:
            operation = path_item.get(method)
            if not isinstance(operation, dict):
                continue
            parameters = [
                _deref(parameter, item_file)[0]
                for parameter in [*path_item.get("parameters", []), *operation.get("parameters", [])]
            ]
            found.append(
                Operation(
                    service=service,
                    method=method.upper(),
                    path=prefix + route.template,
                    document=route.file.name,
                    parameters=tuple(p for p in parameters if isinstance(p, dict)),
                )
            )
    return found


# -- turning an OpenAPI 3.0 schema into a self-contained JSON Schema -------------------------


def _convert(node: Any, file: Path, stack: tuple[str, ...] = ()) -> Any:
    if not isinstance(node, dict):
        return node
    if "$ref" in node:  # OpenAPI 3.0 ignores the siblings of a $ref
        target, target_file, key = _follow(node["$ref"], file)
        return {} if key in stack else _convert(target, target_file, (*stack, key))
    schema: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword in _DROPPED or keyword.startswith("x-"):
            continue
        if keyword in _SCHEMA_MAPS:
            schema[keyword] = {name: _convert(sub, file, stack) for name, sub in value.items()}
        elif keyword in _SCHEMA_LISTS:
            alternatives = [_convert(sub, file, stack) for sub in value]
            if keyword == "allOf" or keyword == "prefixItems":
                schema[keyword] = alternatives
            else:
                schema["anyOf"] = _discriminate(alternatives)
        elif keyword in _SCHEMA_VALUES:
            schema[keyword] = _convert(value, file, stack)
        else:
            schema[keyword] = value
    if "example" in node:
        schema["examples"] = [node["example"]]
    return _nullable(schema) if node.get("nullable") is True else schema


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "properties" in schema)


def _discriminate(alternatives: list[Any]) -> list[Any]:
    if sum(_is_object(alternative) for alternative in alternatives) < 2:
        return alternatives
    return [
        {"allOf": [alt, {"anyOf": [{"required": [name]} for name in alt["properties"]]}]}
        if _is_object(alt) and alt.get("properties") and not alt.get("required")
        else alt
        for alt in alternatives
    ]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    nullable = {**schema, "type": [*types, "null"]}
    if "enum" in schema:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


# -- response schemas ------------------------------------------------------------------------


def _response_object(operation: Mapping[str, Any], status: int) -> Any | None:
    responses = {str(code): response for code, response in (operation.get("responses") or {}).items()}
    family = status // 100
    for key in (str(status), f"{family}XX", f"{family}xx", "default"):
        if key in responses:
            return responses[key]
    return None


def _media_schema(file: Path, template: str, method: str, status: int) -> tuple[Any, Path] | None:
    """The documented ``application/json`` schema as written (``$ref`` and all), with its file."""
    document = _load(file)
    path_item, item_file = _deref(document["paths"][template], file)
    response, response_file = _deref(_response_object(path_item[method], status), item_file)
    if not isinstance(response, dict):
        return None
    content = response.get("content") or {}
    media = next((m for key, m in content.items() if key.split(";")[0].strip() == "application/json"), None)
    if not isinstance(media, dict) or "schema" not in media:
        return None
    return media["schema"], response_file


@functools.cache
def _resolved_schema(file: Path, template: str, method: str, status: int) -> dict[str, Any] | None:
    found = _media_schema(file, template, method, status)
    return None if found is None else _convert(*found)


def _lookup(service: Service, method: str, path: str, status: int) -> tuple[_Route, dict[str, Any]] | None:
    """The best route documenting a schema for this method and status, with that schema.

    Two documents can spell the same template (``record.json`` and ``record_count.json`` both
    have ``/{module_api_name}/actions/count``); the first one documenting a schema wins.
    """
    skip_without_oas()
    method = method.lower()
    for route in _candidates(service, path):
        path_item, _ = _deref(_load(route.file)["paths"][route.template], route.file)
        if not isinstance(path_item.get(method), dict):
            continue
        schema = _resolved_schema(route.file, route.template, method, status)
        if schema is not None:
            return route, schema
    return None


def response_schema(service: Service, method: str, path: str, status: int) -> dict[str, Any] | None:
    """The resolved ``application/json`` schema of the documented response, or None.

    ``path`` is a concrete request path such as ``/crm/v8/Accounts/123`` or
    ``/books/v3/contacts/460000000026049/contactpersons``.
    """
    found = _lookup(service, method, path, status)
    return None if found is None else copy.deepcopy(found[1])


# -- validation ------------------------------------------------------------------------------


@functools.cache
def _validator(file: Path, template: str, method: str, status: int) -> Draft202012Validator:
    return Draft202012Validator(_resolved_schema(file, template, method, status) or {})


_PATTERN_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]|\['([^']*)'\]")


@functools.cache
def _parse_json_path(pattern: str) -> tuple[str | int, ...]:
    if not pattern.startswith("$"):
        raise ValueError(f"ignore pattern {pattern!r} must start with '$'")
    tokens, position = [], 1
    while position < len(pattern):
        match = _PATTERN_TOKEN.match(pattern, position)
        if match is None:
            raise ValueError(f"cannot parse ignore pattern {pattern!r} at {pattern[position:]!r}")
        key, index, quoted = match.groups()
        tokens.append(int(index) if index and index != "*" else key or quoted or "*")
        position = match.end()
    return tuple(tokens)


def _json_path(segments: Iterable[str | int]) -> str:
    parts = ["$"]
    for segment in segments:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif re.fullmatch(r"[^.\[\]'\s]+", segment):
            parts.append(f".{segment}")
        else:
            parts.append(f"[{segment!r}]")
    return "".join(parts)


def _error_path(error: ValidationError) -> tuple[str | int, ...]:
    """The instance path an error is about; a missing required key counts as the key's own path."""
    path = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [key for key in error.validator_value if error.message.startswith(f"{key!r} ")]
        path = (*path, *missing[:1])
    return path


def _ignored(path: tuple[str | int, ...], ignore: tuple[tuple[str | int, ...], ...]) -> bool:
    return any(
        len(path) >= len(prefix) and all(p == "*" or p == s for p, s in zip(prefix, path, strict=False))
        for prefix in ignore
    )


def _leaf_errors(error: ValidationError, ignore: tuple[tuple[str | int, ...], ...]) -> list[ValidationError]:
    """The errors worth reporting; an anyOf passes if one alternative fails only in ignored places.

    When every alternative fails, report the errors of the one that got deepest into the body
    (the shape the body evidently meant to have), or the anyOf error itself when none got past
    the anyOf's own location.
    """
    if _ignored(_error_path(error), ignore):
        return []
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    by_alternative: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        by_alternative.setdefault(sub.relative_schema_path[0], []).append(sub)
    outcomes = [
        [leaf for sub in subs for leaf in _leaf_errors(sub, ignore)] for subs in by_alternative.values()
    ]
    if any(not outcome for outcome in outcomes):
        return []
    depth = len(error.absolute_path)
    best = max(outcomes, key=lambda errs: (min(len(e.absolute_path) for e in errs), -len(errs)))
    if len(outcomes) > 1 and min(len(e.absolute_path) for e in best) == depth:
        return [error]
    return best


def _describe(error: ValidationError) -> str:
    message = error.message if len(error.message) <= _MAX_MESSAGE else error.message[:_MAX_MESSAGE] + "..."
    return f"  {_json_path(error.absolute_path)}: {message}"


def validate_response(
    service: Service,
    method: str,
    path: str,
    status: int,
    body: object,
    *,
    ignore: Iterable[str] = (),
) -> None:
    """Assert that ``body`` matches the documented response schema.

    ``ignore`` holds JSON-path prefixes (``$.data[*].Tax``, ``$.info.page_token_expiry``,
    ``$.fields[*]['common.picklist']``) whose errors are tolerated where Zoho's documents disagree
    with the real API; a missing required key counts as an error at the key's own path.  An
    undocumented operation or status fails the assertion: silently passing would hide a wrong path.
    """
    found = _lookup(service, method, path, status)
    where = f"{service.upper()} {method.upper()} {path} -> {status}"
    if found is None:
        raise AssertionError(f"{where}: no application/json response schema is documented")
    route, _ = found
    patterns = tuple(_parse_json_path(pattern) for pattern in ignore)
    validator = _validator(route.file, route.template, method.lower(), status)
    errors = [leaf for error in validator.iter_errors(body) for leaf in _leaf_errors(error, patterns)]
    if errors:
        lines = "\n".join(_describe(error) for error in errors)
        raise AssertionError(
            f"{where}: body does not match {route.file.name} {method.upper()} {route.template} "
            f"({len(errors)} error{'s' if len(errors) != 1 else ''}):\n{lines}"
        )


# -- the keys a reply documents ----------------------------------------------------------------


@dataclass(frozen=True)
class DocumentedKey:
    """A key a documented reply has: its path (``"*"`` for each element of an array) and where it
    exists. Zoho's Books documents say so with ``x-node_available_in`` (edition codes such as
    ``in`` or ``uk``, or integrations such as ``Avalara Integration``) and ``x-node_unavailable_in``;
    a key of an object that exists only somewhere exists only there too."""

    path: tuple[str, ...]
    available_in: frozenset[str] = frozenset()
    unavailable_in: frozenset[str] = frozenset()

    def exists_in(self, edition: str) -> bool:
        if edition in self.unavailable_in:
            return False
        return not self.available_in or edition in self.available_in


def documented_keys(service: Service, method: str, path: str, status: int) -> list[DocumentedKey]:
    """Every key of the documented ``application/json`` reply, nested ones included."""
    found = _lookup(service, method, path, status)
    if found is None:
        raise AssertionError(f"{service.upper()} {method.upper()} {path} -> {status}: no reply is documented")
    route, _ = found
    media = _media_schema(route.file, route.template, method.lower(), status)
    assert media is not None
    return list(_keys(*media, prefix=(), where=DocumentedKey(()), stack=()))


def _availability(node: Mapping[str, Any], inherited: DocumentedKey, path: tuple[str, ...]) -> DocumentedKey:
    available = frozenset(node.get("x-node_available_in") or ()) or inherited.available_in
    unavailable = frozenset(node.get("x-node_unavailable_in") or ()) | inherited.unavailable_in
    return DocumentedKey(path, available, unavailable)


def _keys(
    node: Any, file: Path, *, prefix: tuple[str, ...], where: DocumentedKey, stack: tuple[str, ...]
) -> Iterable[DocumentedKey]:
    while isinstance(node, dict) and "$ref" in node:
        node, file, key = _follow(node["$ref"], file)
        if key in stack:
            return
        stack = (*stack, key)
        where = _availability(node, where, prefix)
    if not isinstance(node, dict):
        return
    where = _availability(node, where, prefix)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for alternative in node.get(keyword) or ():
            yield from _keys(alternative, file, prefix=prefix, where=where, stack=stack)
    for name, sub in (node.get("properties") or {}).items():
        target, target_file, target_stack, own = sub, file, stack, where
        while isinstance(target, dict) and "$ref" in target:
            target, target_file, key = _follow(target["$ref"], target_file)
            target_stack = (*target_stack, key)
            own = _availability(target, own, prefix)
        own = _availability(sub, own, (*prefix, name))
        documented = _availability(target if isinstance(target, dict) else {}, own, (*prefix, name))
        yield documented
        yield from _keys(target, target_file, prefix=(*prefix, name), where=documented, stack=target_stack)
    if "items" in node:
        yield from _keys(node["items"], file, prefix=(*prefix, "*"), where=where, stack=stack)
