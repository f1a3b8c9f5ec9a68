"""How each CRM API version's replies differ from v8's: one table, each row with its source.

Every version from ``v2`` to ``v8`` is served by the same routes.  A reply is built as v8 builds it,
then shaped by the rows below: a version older than a row's ``since`` answers as the row's
``before`` says.  Only differences that a source documents are here; everything else (record
shapes, ids as strings, error bodies) is the same in every version as far as the sources show.

Sources, by short name:

- ``sdk-v2``: Zoho's Python SDK for API v2, github.com/zoho/zohocrm-python-sdk,
  ``zcrmsdk/src/json_details.json``: ``fields.Module.module`` is a ``String``, and
  ``util/utility.py`` passes that string on as a module name (``Utility.get_fields_info(module)``);
  ``record.Info`` has only ``per_page``, ``count``, ``page`` and ``more_records``.
- ``sdk-v2.1``: github.com/zoho/zohocrm-python-sdk-2.1, the same file: the same two shapes.
- ``sdk-v3``: Zoho's Node.js SDK for API v3, github.com/zoho/zohocrm-nodejs-sdk-3.0,
  ``config/json_details.json``: ``fields/module.module`` is itself a ``fields/module`` object, and
  ``record/info`` carries ``next_page_token``, ``previous_page_token`` and ``page_token_expiry``.
- ``research-8``: ../shared/research/zoho-crm-api.md §8, from Zoho's v2 Get Records page:
  ``fields`` is optional on a v2 list, and there is no ``page_token`` and no 2000-record cap.
- ``changelog-v3``: zoho.com/crm/developer/docs/api/v3/change-log.html: the Organization API
  gained ``deletable_org_account`` in v3.
- ``changelog-v6``: zoho.com/crm/developer/docs/api/v6/change-log.html: the Fields Metadata API
  gained ``customizable_properties`` in v6, and the Modules API ``recycle_bin_on_delete``.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSIONS = ("v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8")


@dataclass(frozen=True)
class Change:
    """From ``since`` on, replies behave as ``key`` names (as v8 does); older versions as ``before``."""

    key: str
    since: str
    before: str
    sources: tuple[str, ...]


CHANGES: tuple[Change, ...] = (
    Change(
        "lookup_module_object",
        since="v3",
        before="settings/fields: a lookup's \"module\" is the target module's API name, a string",
        sources=("sdk-v2", "sdk-v2.1", "sdk-v3"),
    ),
    Change(
        "page_tokens",
        since="v3",
        before=(
            "list records: no page_token and no 2000-record cap on page; the info block is only "
            "per_page, count, page and more_records (search's too: no sort_by, sort_order)"
        ),
        sources=("research-8", "sdk-v2", "sdk-v2.1", "sdk-v3"),
    ),
    Change(
        "fields_required",
        since="v3",
        before="list records: the fields parameter is optional (every field is returned)",
        # Sourced for v2 only; v2.1 stays with v2, as for page tokens.
        sources=("research-8",),
    ),
    Change(
        "deletable_org_account",
        since="v3",
        before="org: no deletable_org_account key",
        sources=("changelog-v3",),
    ),
    Change(
        "customizable_properties",
        since="v6",
        before="settings/fields: no customizable_properties key",
        sources=("changelog-v6",),
    ),
    Change(
        "recycle_bin_on_delete",
        since="v6",
        before="settings/modules: no recycle_bin_on_delete key",
        sources=("changelog-v6",),
    ),
)

_BY_KEY = {change.key: change for change in CHANGES}


def has(version: str, key: str) -> bool:
    """Whether ``version`` (one of VERSIONS) already behaves as the change ``key`` says."""
    return VERSIONS.index(version) >= VERSIONS.index(_BY_KEY[key].since)
