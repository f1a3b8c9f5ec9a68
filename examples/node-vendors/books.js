// Zoho Books v3 vendors, with plain fetch: list (paged by page_context.has_more_page), get,
// create and update. Every call carries organization_id.

import { withRetry } from "./retry.js";

const PER_PAGE = 200;

export class BooksError extends Error {
  constructor(status, body) {
    super(`Books ${status}: ${body?.code} ${body?.message}`);
    this.status = status;
    this.code = body?.code;
  }
}

export class Books {
  constructor({ booksUrl, accountsUrl, organizationId, clientId, clientSecret, refreshToken }) {
    Object.assign(this, { booksUrl, accountsUrl, organizationId, clientId, clientSecret, refreshToken });
    this.token = null;
  }

  async vendors() {
    const rows = [];
    for (let page = 1; ; page++) {
      const body = await this.call("GET", "contacts", {
        query: { contact_type: "vendor", filter_by: "Status.All", page, per_page: PER_PAGE },
      });
      rows.push(...(body.contacts ?? []));
      if (!body.page_context?.has_more_page) return rows;
    }
  }

  async vendor(id) {
    try {
      return (await this.call("GET", `contacts/${id}`)).contact;
    } catch (error) {
      if (error instanceof BooksError && error.code === 1002) return null; // does not exist
      throw error;
    }
  }

  async create(body) {
    return (await this.call("POST", "contacts", { json: body, kind: "create" })).contact;
  }

  async update(id, body) {
    return (await this.call("PUT", `contacts/${id}`, { json: body, kind: "idempotent" })).contact;
  }

  async call(method, path, { query = {}, json, kind = "read" } = {}) {
    const url = new URL(`${this.booksUrl}/${path}`);
    for (const [key, value] of Object.entries({ ...query, organization_id: this.organizationId })) {
      url.searchParams.set(key, String(value));
    }
    for (let refreshed = false; ; refreshed = true) {
      const token = await this.accessToken();
      const reply = await withRetry(
        async () => {
          const response = await fetch(url, {
            method,
            headers: {
              Authorization: `Zoho-oauthtoken ${token}`,
              ...(json ? { "Content-Type": "application/json" } : {}),
            },
            body: json ? JSON.stringify(json) : undefined,
          });
          const text = await response.text();
          return { status: response.status, retryAfter: response.headers.get("retry-after"), text };
        },
        { kind, what: `${method} ${path}` },
      );
      const body = reply.text ? JSON.parse(reply.text) : {};
      if (reply.status === 401 && !refreshed) {
        this.token = null; // expired (Books code 57): refresh once and try again
        continue;
      }
      if (reply.status >= 300 || (body.code ?? 0) !== 0) throw new BooksError(reply.status, body);
      return body;
    }
  }

  async accessToken() {
    if (this.token) return this.token;
    const reply = await withRetry(
      async () => {
        const response = await fetch(`${this.accountsUrl}/oauth/v2/token`, {
          method: "POST",
          body: new URLSearchParams({
            grant_type: "refresh_token",
            client_id: this.clientId,
            client_secret: this.clientSecret,
            refresh_token: this.refreshToken,
          }),
        });
        return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
      },
      { kind: "read", what: "token refresh" },
    );
    if (!reply.body.access_token) throw new Error(`token refresh failed: ${JSON.stringify(reply.body)}`);
    this.token = reply.body.access_token;
    return this.token;
  }
}
