"""The operations of Zoho's OpenAPI documents that the simulator leaves out on purpose, and why.

Each answers as Zoho answers a route it does not have: CRM ``INVALID_URL_PATTERN``, Books code 5
(the app's 404 handler). ``crm_routes`` and ``books_routes`` put that answer in front of each
service's routes, so that a left-out path such as ``/crm/v8/settings/layouts/{id}/actions/activate``
is not read as a record's route, nor ``/books/v3/contacts/sms`` as a contact id. The coverage table
(``docs/api-coverage.md``, made by ``tests/test_api_coverage.py``) shows each reason.

Keyed by (service, method, path as the documents write it, server prefix included).
"""

from __future__ import annotations

from collections import defaultdict

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

_CRM = "/crm/v8"
_BOOKS = "/books/v3"


def _each(service: str, reason: str, *operations: str) -> dict[tuple[str, str, str], str]:
    """``"GET /path"`` entries (several methods: ``"GET,POST /path"``) sharing one reason."""
    prefix = _CRM if service == "crm" else _BOOKS
    entries = {}
    for operation in operations:
        methods, path = operation.split(" ")
        for method in methods.split(","):
            entries[(service, method, prefix + path)] = reason
    return entries


OUT_OF_SCOPE: dict[tuple[str, str, str], str] = {
    ("crm", "GET", "/"): "common.json's placeholder path, not an API",
    **_each(
        "crm",
        "custom views are arranged through the control plane, not sorted by API",
        "PUT /settings/custom_views/actions/change_sort",
        "PUT /settings/custom_views/{id}/actions/change_sort",
    ),
    **_each(
        "crm",
        "field metadata is the simulator's fixed model of the four modules",
        "POST,PATCH /settings/fields",
        "PATCH,DELETE /settings/fields/{field}",
    ),
    **_each(
        "crm",
        "one fixed standard layout per module; layouts are read-only",
        "PATCH /settings/layouts",
        "PATCH,DELETE /settings/layouts/{id}",
        "POST,DELETE /settings/layouts/{id}/actions/activate",
    ),
    **_each(
        "crm",
        "module metadata is fixed: the four modules are the simulator's model",
        "POST,PUT /settings/modules",
        "PUT /settings/modules/{api_name}",
        "PUT /settings/modules/{id}",
    ),
    **_each(
        "crm",
        "images (org logo, record photos): binary files are not simulated",
        "GET,POST,DELETE /org/photo",
        "GET,POST,DELETE /{module_api_name}/{id}/photo",
    ),
    **_each(
        "crm",
        "profiles and permissions are fixed (Administrator, Standard)",
        "GET /settings/profiles",
        "POST /settings/profiles/{id}/actions/clone",
        "GET,PUT,DELETE /settings/profiles/{id}",
    ),
    **_each(
        "crm",
        "territory management is not modelled",
        "POST /{module_api_name}/actions/assign_territories",
        "POST /{module_api_name}/{id}/actions/assign_territories",
        "POST /{module_api_name}/actions/remove_territories",
        "POST /{module_api_name}/{id}/actions/remove_territories",
    ),
    **_each(
        "crm",
        "untruncated values of long fields: no field of the four modules is truncated",
        "GET /{module_api_name}/{id}/actions/fetch_full_data",
        "GET /{module_api_name}/actions/fetch_full_data",
    ),
    **_each(
        "crm",
        "record cloning is not modelled (a client can read and insert)",
        "POST /{module_api_name}/{id}/actions/clone",
    ),
    **_each(
        "crm",
        "counting by a criteria body is not modelled; GET actions/count is served",
        "POST /{module_api_name}/actions/count",
    ),
    **_each(
        "crm",
        "user administration: the org's users are seeded and fixed",
        "POST,PUT /users",
        "PUT,DELETE /users/{user}",
        "GET /users/{user}/actions/associated_groups",
        "GET /users/actions/count",
    ),
    **_each(
        "books",
        "contact ownership and US 1099 tracking are not modelled",
        "POST /contacts/{contact_id}/owner",
        "POST /contacts/owner",
        "POST /contacts/track1099",
        "POST /contacts/{contact_id}/track1099",
        "POST /contacts/{contact_id}/untrack1099",
    ),
    **_each(
        "books",
        "payments (bank accounts, saved cards) are not modelled",
        "POST /contacts/{contact_id}/bankaccount/{bank_account_id}/verify",
        "POST /contacts/{contact_id}/bankaccount",
        "GET,PUT,DELETE /contacts/{contact_id}/bankaccount/{bank_account_id}",
        "POST /contacts/{contact_id}/bankaccount/{bank_account_id}/approve",
        "POST /contacts/{contact_id}/bankaccount/{bank_account_id}/decline",
        "GET /contacts/{contact_id}/bankaccounts",
        "GET /contacts/bankaccounts",
        "GET /contacts/{contact_id}/card/{card_id}/recurringinvoices",
        "POST /contacts/{contact_id}/card",
        "GET,PUT,DELETE /contacts/{contact_id}/card/{card_id}",
        "GET /contacts/{contact_id}/cards",
        "GET /contacts/cardcount",
    ),
    **_each(
        "books",
        "address verification and the org-wide address list are not modelled",
        "GET /contacts/address/verify",
        "GET /contacts/address",
        "POST /contacts/{contact_id}/address/{address_id}/verify",
    ),
    **_each(
        "books",
        "the client portal is not modelled",
        "POST /contacts/{contact_id}/portal/enable",
        "POST /contacts/{contact_id}/portal/disable",
        "POST /contacts/contactpersons/{contactperson_id}/portal/invite",
        "POST /contacts/contactpersons/{contactperson_id}/portal/invite/resend",
        "POST /items/addtoportal",
        "POST /items/{item_id}/addtoportal",
        "POST /items/{item_id}/removefromportal",
    ),
    **_each(
        "books",
        "transactions (invoices, payments, credits, reports) and their mail are not modelled",
        "POST /contacts/{contact_id}/paymentreminder/enable",
        "POST /contacts/{contact_id}/paymentreminder/disable",
        "GET,POST /contacts/{contact_id}/statements/email",
        "GET,POST /contacts/{contact_id}/email",
        "GET /contacts/{contact_id}/refunds",
        "GET /contacts/{contact_id}/receivables/unusedretainerpayments",
        "GET /contacts/{contact_id}/statements",
        "GET /contacts/{contact_id}/unpaidinvoices",
        "GET /contacts/{contact_id}/receivables/unusedcredits",
        "GET /contacts/{contact_id}/paymentrefunds",
        "GET /contacts/{contact_id}/incomeandexpense",
        "GET /contacts/{contact_id}/profitandloss",
        "GET /contacts/{contact_id}/inventorysummary",
        "GET /contacts/{contact_id}/openingbalances",
        "GET,POST /contacts/{contact_id}/clientreviews/email",
        "GET,POST /contacts/{contact_id}/paymentmethod/email",
        "GET,POST /contacts/{contact_id}/vendorstatements/email",
    ),
    **_each(
        "books",
        "comments, attachments and documents are not modelled",
        "GET,POST /contacts/{contact_id}/comments",
        "DELETE /contacts/{contact_id}/comments/{comment_id}",
        "GET,PUT,DELETE /contacts/{contact_id}/documents/{document_id}",
        "POST /contacts/documents/restore",
        "POST /contacts/{contact_id}/attachment",
    ),
    **_each(
        "books",
        "SMS is not modelled",
        "GET,POST /contacts/sms",
        "GET,POST /contacts/{contact_id}/sms",
        "POST /contacts/contactpersons/{contactperson_id}/sms/enable",
        "POST /contacts/contactpersons/{contactperson_id}/sms/disable",
    ),
    **_each(
        "books",
        "reporting tags are not modelled",
        "PUT /contacts/{contact_id}/tags",
        "DELETE /contacts/{contact_id}/tags/{tag_id}",
    ),
    **_each(
        "books",
        "tax registrations and e-invoicing checks are not modelled",
        "GET,POST /contacts/{contact_id}/taxinfo",
        "PUT,DELETE /contacts/{contact_id}/taxinfo/{tax_info_id}",
        "POST /contacts/{contact_id}/trnstatus",
        "POST /contacts/{contact_id}/einvoice/verify",
    ),
    **_each(
        "books",
        "merging contacts and lookup by reference id are not modelled",
        "POST /contacts/{contact_id}/merge",
        "GET /contacts/reference/{reference_id}",
    ),
    **_each(
        "books",
        "org administration: the org is seeded and fixed",
        "POST /organizations",
        "PUT /organizations/{organization_id}",
        "GET /organizations/user",
        "GET,POST /organizations/address",
        "PUT,DELETE /organizations/address/{address_id}",
        "POST /organizations/{organization_id}/copysettings",
        "POST /organizations/{organization_id}/downgradetoinvoice",
        "POST /organizations/{organization_id}/upgradetobooks",
        "POST /organizations/{organization_id}/inactive",
    ),
}


async def _not_offered(request: Request) -> Response:
    raise HTTPException(status_code=404)


def _routes(service: str) -> list[BaseRoute]:
    """One route per left-out path of ``service`` (CRM: any API version), for the left-out methods."""
    methods: dict[str, list[str]] = defaultdict(list)
    for (each, method, path), _ in OUT_OF_SCOPE.items():
        if each == service and path != "/":
            served_path = "/crm/{version}" + path.removeprefix(_CRM) if service == "crm" else path
            methods[served_path].append(method)
    return [Route(path, _not_offered, methods=listed) for path, listed in methods.items()]


crm_routes = _routes("crm")
books_routes = _routes("books")
