"""Zoho Books endpoints: organizations, contacts, contact persons and items.

Each endpoint authenticates, resolves the token's own org from ``organization_id``, checks the
scope, then hands the parsed request to the org. Errors are raised and rendered by the app;
successes carry ``code: 0``; the gate adds the ``X-Rate-Limit-*`` headers pyzohoapi requires.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from simulator.accounts.models import AuthError
from simulator.books import addresses, crm_import, rows, upserts
from simulator.books.errors import (
    AuthenticationMissing,
    InvalidValue,
    NotAuthorized,
    OrgNotAssociated,
)
from simulator.books.models import BooksOrg
from simulator.books.records import Page, person_json
from simulator.crm.models import CrmOrg
from simulator.http import JSON_MEDIA_TYPE, BodyError, json_response, query_params, read_json
from simulator.tenants import Simulator

_DIGITS = re.compile(r"[0-9]{1,20}")

# -- plumbing ----------------------------------------------------------------------------------


def _authorize(request: Request, *, group: str, action: str, org_scoped: bool = True) -> BooksOrg:
    """The token's Books org, or Zoho's error: 14/57 for credentials, 2/6041 for the org, 57 for scope."""
    sim: Simulator = request.app.state.simulator
    try:
        tenant, token = sim.authenticate(request.headers.get("authorization"))
    except AuthError as exc:
        raise (AuthenticationMissing() if exc.kind == "missing" else NotAuthorized()) from None
    org = tenant.books
    if org_scoped:
        _check_org(org, query_params(request).get("organization_id"))
    if not token.allows(service="ZohoBooks", group=group, action=action):
        raise NotAuthorized()
    return org


def _check_org(org: BooksOrg, organization_id: str | None) -> None:
    organization_id = (organization_id or "").strip()
    if not _DIGITS.fullmatch(organization_id):
        raise InvalidValue("organization_id")
    if organization_id != org.organization_id:
        raise OrgNotAssociated(organization_id=organization_id)


async def _body(request: Request) -> Any:
    """Raw JSON (with or without a Content-Type) or a form's ``JSONString`` field."""
    try:
        return await read_json(request, allow_json_string=True)
    except (BodyError, HTTPException):
        raise InvalidValue("JSONString") from None


def _unique_headers(request: Request) -> dict[str, Any]:
    """The documented headers of an update by a unique custom field; ``X-Upsert`` is true or false."""
    upsert = (request.headers.get("x-upsert") or "false").strip().lower()
    if upsert not in ("true", "false"):
        raise InvalidValue("X-Upsert")
    return {
        "key": request.headers.get("x-unique-identifier-key"),
        "value": request.headers.get("x-unique-identifier-value"),
        "upsert": upsert == "true",
    }


def _ok(message: str = "success", *, status_code: int = 200, **payload: Any) -> Response:
    return json_response({"code": 0, "message": message, **payload}, status_code=status_code)


def _listing(key: str, page: Page) -> Response:
    payload: dict[str, Any] = {key: page.rows, "page_context": page.context()}
    return _ok(**payload)


# -- organizations -----------------------------------------------------------------------------


async def list_organizations(request: Request) -> Response:
    org = _authorize(request, group="settings", action="READ", org_scoped=False)
    return _ok(organizations=[org.organization_summary()])


async def get_organization(request: Request) -> Response:
    org = _authorize(request, group="settings", action="READ", org_scoped=False)
    organization_id = request.path_params["organization_id"]
    if organization_id != org.organization_id:
        raise OrgNotAssociated(organization_id=organization_id)
    return _ok(organization=org.organization_detail())


# -- contacts ----------------------------------------------------------------------------------


async def list_contacts(request: Request) -> Response:
    """``_listing`` of the page, byte for byte, joined from each row's kept JSON (``rows.py``)."""
    org = _authorize(request, group="contacts", action="READ")
    page = org.list_contacts(query_params(request), as_json=True)
    tail = b',"page_context":' + orjson.dumps(page.context()) + b"}"
    body = rows.rows_json(page.rows, head=b'{"code":0,"message":"success","contacts":', tail=tail)
    return Response(body, media_type=JSON_MEDIA_TYPE)


async def create_contact(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="CREATE")
    contact = org.create_contact(await _body(request))
    return _ok("The contact has been created", status_code=201, contact=org.show_contact(contact))


async def get_contact(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="READ")
    contact = org.get_contact(request.path_params["contact_id"])
    return _ok(contact=org.show_contact(contact))


async def update_contact(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="UPDATE")
    contact = org.update_contact(request.path_params["contact_id"], await _body(request))
    return _ok("Contact has been updated successfully", contact=org.show_contact(contact))


async def upsert_contact(request: Request) -> Response:
    """``PUT /contacts`` with ``X-Unique-Identifier-Key/-Value`` (and ``X-Upsert``) headers."""
    org = _authorize(request, group="contacts", action="UPDATE")
    contact, created = upserts.upsert_contact(org, **_unique_headers(request), body=await _body(request))
    message = "The contact has been created" if created else "Contact has been updated successfully"
    return _ok(message, contact=org.show_contact(contact))


async def delete_contact(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="DELETE")
    org.delete_contact(request.path_params["contact_id"])
    return _ok("The contact has been deleted.")


async def mark_contact_active(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="CREATE")
    org.set_contact_status(request.path_params["contact_id"], active=True)
    return _ok("The contact has been marked as active.")


async def mark_contact_inactive(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="CREATE")
    org.set_contact_status(request.path_params["contact_id"], active=False)
    return _ok("The contact has been marked as inactive.")


# -- additional addresses ----------------------------------------------------------------------


async def list_addresses(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="READ")
    return _ok(addresses=addresses.list_addresses(org, request.path_params["contact_id"]))


async def add_address(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="CREATE")
    address = addresses.add_address(org, request.path_params["contact_id"], await _body(request))
    return _ok("The address has been created.", address_info=address)


async def update_address(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="UPDATE")
    params = request.path_params
    address = addresses.update_address(org, params["contact_id"], params["address_id"], await _body(request))
    return _ok("The address has been updated.", address_info=address)


async def delete_address(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="DELETE")
    addresses.delete_address(org, request.path_params["contact_id"], request.path_params["address_id"])
    return _ok("The address has been deleted.")


# -- contact persons ---------------------------------------------------------------------------


async def list_all_contact_persons(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="READ")
    return _listing("contact_persons", org.list_all_contact_persons(request.query_params))


async def create_contact_person(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="CREATE")
    contact, person = org.create_contact_person(await _body(request))
    created = [person_json(contact.contact_id, person)]
    return _ok("The contactperson has been Created", status_code=201, contact_person=created)


async def get_contact_person(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="READ")
    contact, person = org.find_contact_person(request.path_params["contact_person_id"])
    return _ok(contact_person=person_json(contact.contact_id, person))


async def update_contact_person(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="UPDATE")
    contact, person = org.update_contact_person(
        request.path_params["contact_person_id"], await _body(request)
    )
    updated = [person_json(contact.contact_id, person)]
    return _ok("The contactperson details has been updated.", contact_person=updated)


async def delete_contact_person(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="DELETE")
    org.delete_contact_person(request.path_params["contact_person_id"])
    return _ok("The contact person has been deleted.")


async def mark_contact_person_primary(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="CREATE")
    org.mark_primary_contact_person(request.path_params["contact_person_id"])
    return _ok("This contact person has been marked as your primary contact person.")


async def list_contact_persons(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="READ")
    page = org.list_contact_persons(request.path_params["contact_id"], request.query_params)
    return _listing("contact_persons", page)


async def get_contact_contact_person(request: Request) -> Response:
    org = _authorize(request, group="contacts", action="READ")
    contact_id = request.path_params["contact_id"]
    person = org.get_contact_person(contact_id, request.path_params["contact_person_id"])
    return _ok(contact_person=person_json(contact_id, person))


# -- items -------------------------------------------------------------------------------------


async def list_items(request: Request) -> Response:
    org = _authorize(request, group="settings", action="READ")
    return _listing("items", org.list_items(request.query_params))


async def create_item(request: Request) -> Response:
    org = _authorize(request, group="settings", action="CREATE")
    item = org.create_item(await _body(request))
    return _ok("The item has been added.", status_code=201, item=org.show_item(item))


async def get_item(request: Request) -> Response:
    org = _authorize(request, group="settings", action="READ")
    return _ok(item=org.show_item(org.get_item(request.path_params["item_id"])))


async def update_item(request: Request) -> Response:
    org = _authorize(request, group="settings", action="UPDATE")
    item = org.update_item(request.path_params["item_id"], await _body(request))
    return _ok("Item details have been saved.", item=org.show_item(item))


async def upsert_item(request: Request) -> Response:
    """``PUT /items`` with ``X-Unique-Identifier-Key/-Value`` (and ``X-Upsert``) headers."""
    org = _authorize(request, group="settings", action="UPDATE")
    item, created = upserts.upsert_item(org, **_unique_headers(request), body=await _body(request))
    message = "The item has been added." if created else "Item details have been saved."
    return _ok(message, item=org.show_item(item))


async def update_item_custom_fields(request: Request) -> Response:
    """``PUT /item/{item_id}/customfields``: the body is the bare list ``[{"customfield_id", "value"}]``."""
    org = _authorize(request, group="settings", action="UPDATE")
    entries = await _body(request)
    if not isinstance(entries, list):
        raise InvalidValue("custom_fields")
    org.update_item(request.path_params["item_id"], {"custom_fields": entries})
    return _ok("Custom Fields Updated Successfully")


async def delete_item(request: Request) -> Response:
    org = _authorize(request, group="settings", action="DELETE")
    org.delete_item(request.path_params["item_id"])
    return _ok("The item has been deleted.")


async def mark_item_active(request: Request) -> Response:
    org = _authorize(request, group="settings", action="CREATE")
    org.set_item_status(request.path_params["item_id"], active=True)
    return _ok("The item has been marked as active.")


async def mark_item_inactive(request: Request) -> Response:
    org = _authorize(request, group="settings", action="CREATE")
    org.set_item_status(request.path_params["item_id"], active=False)
    return _ok("The item has been marked as inactive.")


# -- the CRM-integration imports ---------------------------------------------------------------


def _orgs(request: Request, *, group: str) -> tuple[CrmOrg, BooksOrg]:
    """Authorize exactly as every Books route does (scope ``ZohoBooks.<group>.CREATE``), then pair
    the token's Books org with its tenant's CRM org."""
    books = _authorize(request, group=group, action="CREATE")
    sim: Simulator = request.app.state.simulator
    tenant = sim.tenant_of(authorization=request.headers.get("authorization"))
    assert tenant is not None and tenant.books is books
    return tenant.crm, books


async def import_account_endpoint(request: Request) -> Response:
    return _contact_reply(request, crm_import.ACCOUNT)


async def import_contact_endpoint(request: Request) -> Response:
    return _contact_reply(request, crm_import.CONTACT)


async def import_vendor_endpoint(request: Request) -> Response:
    return _contact_reply(request, crm_import.VENDOR)


async def import_product_endpoint(request: Request) -> Response:
    crm, books = _orgs(request, group="settings")
    item = crm_import.import_product(crm, books, request.path_params[crm_import.PRODUCT.id_param])
    return _ok(data={"item_id": item.item_id})


def _contact_reply(request: Request, kind: crm_import.ImportKind) -> Response:
    crm, books = _orgs(request, group="contacts")
    contact = crm_import.import_contact(crm, books, kind, request.path_params[kind.id_param])
    return _ok(data={"contact_id": contact.contact_id})
