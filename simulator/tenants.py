"""The simulator's root state: the clock, the accounts server and the tenants.

A tenant is an org pair, a CRM org and a Books org, seeded together so that their records can
collide by name. A token belongs to one tenant and can reach no other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulator.accounts import scopes
from simulator.accounts.models import AccessToken, Accounts, AuthError, OAuthClient, RefreshToken
from simulator.books.models import BooksOrg
from simulator.books.seed import seed_books
from simulator.clock import Clock
from simulator.crm.models import CrmOrg
from simulator.crm.seed import seed_crm

_AUTH_PREFIXES = ("zoho-oauthtoken ", "bearer ")


@dataclass(frozen=True)
class Sizes:
    """How much a tenant is seeded with. Books twins share a display name with a CRM record."""

    accounts: int = 50
    contacts: int = 150
    vendors: int = 15
    products: int = 40
    books_overlap: float = 0.25
    books_extra: int = 10

    @property
    def total(self) -> int:
        return self.accounts + self.contacts + self.vendors + self.products


@dataclass
class Tenant:
    tenant_id: str
    seed: int
    sizes: Sizes
    crm: CrmOrg
    books: BooksOrg
    client: OAuthClient
    refresh_token: RefreshToken

    def credentials(self) -> dict[str, object]:
        return {
            "tenant_id": self.tenant_id,
            "seed": self.seed,
            "client_id": self.client.client_id,
            "client_secret": self.client.client_secret,
            "refresh_token": self.refresh_token.token,
            "scopes": list(self.refresh_token.scopes),
            "crm_org_id": self.crm.org_id,
            "books_organization_id": self.books.organization_id,
        }


def seed_org_pair(*, seed: int, sizes: Sizes, clock: Clock) -> tuple[CrmOrg, BooksOrg]:
    crm = seed_crm(
        seed=seed,
        clock=clock,
        accounts=sizes.accounts,
        contacts=sizes.contacts,
        vendors=sizes.vendors,
        products=sizes.products,
    )
    books = seed_books(seed=seed, clock=clock, crm=crm, overlap=sizes.books_overlap, extra=sizes.books_extra)
    return crm, books


@dataclass
class Simulator:
    clock: Clock = field(default_factory=Clock)
    seed: int = 42
    tenants: dict[str, Tenant] = field(default_factory=dict)
    accounts: Accounts = field(init=False)

    def __post_init__(self) -> None:
        self.accounts = Accounts(clock=self.clock, rng=random.Random(f"accounts:{self.seed}"))

    def create_tenant(
        self, *, seed: int | None = None, sizes: Sizes | None = None, tenant_id: str | None = None
    ) -> Tenant:
        tenant_id = tenant_id or f"t{len(self.tenants) + 1}"
        if tenant_id in self.tenants:
            raise ValueError(f"tenant {tenant_id!r} already exists")
        seed = self.seed if seed is None else seed
        sizes = sizes or Sizes()
        crm, books = seed_org_pair(seed=seed, sizes=sizes, clock=self.clock)
        client = self.accounts.register_client(tenant_id=tenant_id)
        refresh = self.accounts.issue_refresh_token(client, scopes=scopes.DEFAULT)
        tenant = Tenant(tenant_id, seed, sizes, crm, books, client, refresh)
        self.tenants[tenant_id] = tenant
        return tenant

    def delete_tenant(self, tenant_id: str) -> None:
        del self.tenants[tenant_id]
        self.accounts.forget_tenant(tenant_id)

    def reset_tenant(self, tenant_id: str) -> Tenant:
        """Back to the seeded state; credentials stay valid."""
        tenant = self.tenants[tenant_id]
        tenant.crm, tenant.books = seed_org_pair(seed=tenant.seed, sizes=tenant.sizes, clock=self.clock)
        return tenant

    def authenticate(self, authorization: str | None) -> tuple[Tenant, AccessToken]:
        """Resolve an ``Authorization: Zoho-oauthtoken …`` header to its tenant, or raise AuthError."""
        token = _bearer(authorization)
        access = self.accounts.authenticate(token)
        tenant = self.tenants.get(access.tenant_id)
        if tenant is None:
            raise AuthError("invalid")
        return tenant, access


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    lowered = authorization.lower()
    for prefix in _AUTH_PREFIXES:
        if lowered.startswith(prefix):
            return authorization[len(prefix) :].strip() or None
    return None
