"""Zoho Books routes under ``/books/v3``; literal segments come before ``{contact_id}`` so they win.

The CRM-integration imports (``/crm/{account|contact|vendor|item}/{crm_id}/import``) are built in
``crm_import``.

Trailing slashes (pyzohoapi sends them) are stripped by the app's middleware.
"""

from starlette.routing import BaseRoute, Route

from simulator.books import responses as r

_BASE = "/books/v3"

routes: list[BaseRoute] = [
    Route(f"{_BASE}/organizations", r.list_organizations, methods=["GET"]),
    Route(f"{_BASE}/organizations/{{organization_id}}", r.get_organization, methods=["GET"]),
    Route(f"{_BASE}/contacts", r.list_contacts, methods=["GET"]),
    Route(f"{_BASE}/contacts", r.create_contact, methods=["POST"]),
    Route(f"{_BASE}/contacts", r.upsert_contact, methods=["PUT"]),
    Route(f"{_BASE}/contacts/contactpersons", r.list_all_contact_persons, methods=["GET"]),
    Route(f"{_BASE}/contacts/contactpersons", r.create_contact_person, methods=["POST"]),
    Route(f"{_BASE}/contacts/contactpersons/{{contact_person_id}}", r.get_contact_person, methods=["GET"]),
    Route(f"{_BASE}/contacts/contactpersons/{{contact_person_id}}", r.update_contact_person, methods=["PUT"]),
    Route(
        f"{_BASE}/contacts/contactpersons/{{contact_person_id}}", r.delete_contact_person, methods=["DELETE"]
    ),
    Route(
        f"{_BASE}/contacts/contactpersons/{{contact_person_id}}/primary",
        r.mark_contact_person_primary,
        methods=["POST"],
    ),
    Route(f"{_BASE}/contacts/{{contact_id}}", r.get_contact, methods=["GET"]),
    Route(f"{_BASE}/contacts/{{contact_id}}", r.update_contact, methods=["PUT"]),
    Route(f"{_BASE}/contacts/{{contact_id}}", r.delete_contact, methods=["DELETE"]),
    Route(f"{_BASE}/contacts/{{contact_id}}/active", r.mark_contact_active, methods=["POST"]),
    Route(f"{_BASE}/contacts/{{contact_id}}/inactive", r.mark_contact_inactive, methods=["POST"]),
    Route(f"{_BASE}/contacts/{{contact_id}}/address", r.list_addresses, methods=["GET"]),
    Route(f"{_BASE}/contacts/{{contact_id}}/address", r.add_address, methods=["POST"]),
    Route(f"{_BASE}/contacts/{{contact_id}}/address/{{address_id}}", r.update_address, methods=["PUT"]),
    Route(f"{_BASE}/contacts/{{contact_id}}/address/{{address_id}}", r.delete_address, methods=["DELETE"]),
    Route(f"{_BASE}/contacts/{{contact_id}}/contactpersons", r.list_contact_persons, methods=["GET"]),
    Route(
        f"{_BASE}/contacts/{{contact_id}}/contactpersons/{{contact_person_id}}",
        r.get_contact_contact_person,
        methods=["GET"],
    ),
    Route(f"{_BASE}/items", r.list_items, methods=["GET"]),
    Route(f"{_BASE}/items", r.create_item, methods=["POST"]),
    Route(f"{_BASE}/items", r.upsert_item, methods=["PUT"]),
    Route(f"{_BASE}/items/{{item_id}}", r.get_item, methods=["GET"]),
    Route(f"{_BASE}/items/{{item_id}}", r.update_item, methods=["PUT"]),
    Route(f"{_BASE}/items/{{item_id}}", r.delete_item, methods=["DELETE"]),
    Route(f"{_BASE}/items/{{item_id}}/active", r.mark_item_active, methods=["POST"]),
    Route(f"{_BASE}/items/{{item_id}}/inactive", r.mark_item_inactive, methods=["POST"]),
    Route(f"{_BASE}/item/{{item_id}}/customfields", r.update_item_custom_fields, methods=["PUT"]),
    Route(f"{_BASE}/crm/account/{{crm_account_id}}/import", r.import_account_endpoint, methods=["POST"]),
    Route(f"{_BASE}/crm/contact/{{crm_contact_id}}/import", r.import_contact_endpoint, methods=["POST"]),
    Route(f"{_BASE}/crm/vendor/{{crm_vendor_id}}/import", r.import_vendor_endpoint, methods=["POST"]),
    Route(f"{_BASE}/crm/item/{{crm_product_id}}/import", r.import_product_endpoint, methods=["POST"]),
]
