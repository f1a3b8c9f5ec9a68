"""Directed scenarios: fixed scenarios that a suite runs before it draws any (Hypothesis explicit
examples), for what random drawing reaches too rarely for a small profile.

- ``COVERAGE``: in every profile, one scenario for each invariant a few drawn scenarios may leave
  unchecked (a skip or a clone with a Books duplicate, a record outside a view, a push through a
  field map with one CRM field mapped from two Books fields). With them, no profile ends with an
  invariant that nothing exercised.
- ``PAGING``: worlds big enough for list reads to take pages (``scenarios.Bulk``): CRM past 200
  records, CRM past 2,000 (where ``page`` stops and ``page_token`` must take over) and Books past
  200. A profile names the ones it runs (``Profile.paging``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conformance.profiles import Profile
from conformance.scenarios import BooksSeed, Bulk, CrmSeed, Scenario, SyncSpec, ViewSpec


@dataclass(frozen=True)
class Directed:
    name: str
    group: str
    kind: str  # a module sync name (``scenarios.KIND_NAMES``)
    build: Callable[[], Scenario]  # a fresh scenario each time: a run must not share one


def _skip_twin() -> Scenario:
    return Scenario(
        SyncSpec("vendors", "fetch_from_crm", "skip"),
        crm=[CrmSeed("V0", "Vendors", {"Vendor_Name": "Northwind", "City": "Springfield"})],
        books=[BooksSeed("b0", "vendor", {"contact_name": " NORTHWIND  ", "contact_type": "vendor"})],
    )


def _clone_twin() -> Scenario:
    return Scenario(
        SyncSpec("customers", "both_ways", "clone", crm_source="accounts"),
        crm=[CrmSeed("A0", "Accounts", {"Account_Name": "Acme", "Website": "https://acme.example"})],
        books=[BooksSeed("b0", "customer", {"contact_name": "acme", "customer_sub_type": "business"})],
    )


def _outside_the_view() -> Scenario:
    return Scenario(
        SyncSpec(
            "customers",
            "fetch_from_crm",
            "overwrite",
            crm_source="accounts",
            view=ViewSpec("Accounts", "Billing_Country", "Narnia"),
        ),
        crm=[
            CrmSeed("A0", "Accounts", {"Account_Name": "Globex", "Billing_Country": "Narnia"}),
            CrmSeed("A1", "Accounts", {"Account_Name": "Initech", "Billing_Country": "Oz"}),
        ],
        books=[BooksSeed("b0", "customer", {"contact_name": "Initech", "customer_sub_type": "business"})],
    )


def _push_through_a_multimap() -> Scenario:
    field_map = [["contact_name", "Account_Name"], ["website", "Website"], ["notes", "Website"]]
    stranger = {
        "contact_name": "Stranger Alpha",
        "customer_sub_type": "business",
        "website": "https://alpha.example",
        "notes": "VIP",
    }
    return Scenario(
        SyncSpec("customers", "both_ways", "overwrite", crm_source="accounts", field_map=field_map),
        crm=[CrmSeed("A0", "Accounts", {"Account_Name": "Hooli"})],
        books=[BooksSeed("b0", "customer", stranger)],
    )


COVERAGE: tuple[Directed, ...] = (
    Directed("skip-a-duplicate", "first_sync", "vendors", _skip_twin),
    Directed("clone-a-duplicate", "first_sync", "customers-accounts", _clone_twin),
    Directed("outside-the-view", "first_sync", "customers-accounts", _outside_the_view),
    Directed("push-through-a-multimap", "first_sync", "customers-accounts", _push_through_a_multimap),
)


def _paging(sync: SyncSpec, bulk: Bulk) -> Callable[[], Scenario]:
    return lambda: Scenario(sync, bulk=[Bulk(bulk.module, bulk.count, bulk.lone_every)])


#: CRM lists give 200 records a page; ``page`` reaches the first 2,000. Books lists give 200 a page.
PAGING: dict[str, Directed] = {
    d.name: d
    for d in (
        Directed(
            "crm-pages",
            "first_sync",
            "customers-accounts",
            _paging(
                SyncSpec("customers", "fetch_from_crm", "skip", crm_source="accounts"), Bulk("Accounts", 450)
            ),
        ),
        Directed(
            "crm-page-token",
            "first_sync",
            "vendors",
            _paging(SyncSpec("vendors", "fetch_from_crm", "skip"), Bulk("Vendors", 2050)),
        ),
        Directed(
            "books-pages",
            "first_sync",
            "items",
            _paging(SyncSpec("items", "fetch_from_crm", "skip"), Bulk("Products", 260, lone_every=50)),
        ),
    )
}


def directed(profile: Profile, group: str, kind: str) -> list[Scenario]:
    """The directed scenarios ``profile`` runs in ``group`` for module sync ``kind``."""
    chosen = [*COVERAGE, *(PAGING[name] for name in profile.paging)]
    return [d.build() for d in chosen if d.group == group and d.kind == kind]
