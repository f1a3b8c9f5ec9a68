// Zoho CRM v8 Vendors through Zoho's official Node.js SDK (@zohocrm/nodejs-sdk-8.0).
//
// The SDK is pointed at any Zoho-compatible host with its Environment class: the API domain,
// the accounts server's token URL, and the file upload domain. Tokens and the SDK's field
// metadata cache live in the state directory.

import fs from "node:fs";
import path from "node:path";
import * as ZOHO from "@zohocrm/nodejs-sdk-8.0";
import { withRetry } from "./retry.js";

const PER_PAGE = 200;
const PAGE_LIMIT = 2000; // CRM serves `page` up to 2,000 records; past that, only `page_token`
const BATCH = 100; // CRM takes at most 100 records per insert or update

export class Crm {
  constructor({ apiDomain, accountsUrl, clientId, clientSecret, refreshToken, stateDir }) {
    Object.assign(this, { apiDomain, accountsUrl, clientId, clientSecret, refreshToken });
    this.sdkDir = path.join(stateDir, "crm-sdk");
    fs.mkdirSync(this.sdkDir, { recursive: true });
    this.tokenFile = path.join(this.sdkDir, "tokens.txt");
  }

  async init() {
    const environment = new ZOHO.Environment(this.apiDomain, `${this.accountsUrl}/oauth/v2/token`, this.apiDomain);
    const token = new ZOHO.OAuthBuilder()
      .clientId(this.clientId)
      .clientSecret(this.clientSecret)
      .refreshToken(this.refreshToken)
      .build();
    const logger = new ZOHO.LogBuilder().level(ZOHO.Levels.OFF).filePath(path.join(this.sdkDir, "sdk.log")).build();
    await (await new ZOHO.InitializeBuilder())
      .environment(environment)
      .token(token)
      .store(new ZOHO.FileStore(this.tokenFile))
      .SDKConfig(new ZOHO.SDKConfigBuilder().pickListValidation(false).autoRefreshFields(false).build())
      .resourcePath(this.sdkDir)
      .logger(logger)
      .initialize();
  }

  // Every record of `module` (in view `cvid`, when given), with `fields`. Pages by `page` while
  // CRM allows it, then by the `page_token` the last page handed back.
  async records(module, { fields, cvid }) {
    const records = [];
    let page = 1;
    let pageToken = null;
    for (;;) {
      const params = new ZOHO.ParameterMap();
      await params.add(ZOHO.Record.GetRecordsParam.FIELDS, fields.join(","));
      await params.add(ZOHO.Record.GetRecordsParam.PER_PAGE, PER_PAGE);
      if (cvid) await params.add(ZOHO.Record.GetRecordsParam.CVID, cvid);
      if (pageToken) await params.add(ZOHO.Record.GetRecordsParam.PAGE_TOKEN, pageToken);
      else await params.add(ZOHO.Record.GetRecordsParam.PAGE, page);
      const ops = new ZOHO.Record.RecordOperations(module);
      const response = await this.call(() => ops.getRecords(params, new ZOHO.HeaderMap()), "read", `GET ${module}`);
      if (response.getStatusCode() === 204) return records; // no records at all
      const body = response.getObject();
      if (!(body instanceof ZOHO.Record.ResponseWrapper)) throw crmError(response, `GET ${module}`);
      const batch = body.getData().map(plain);
      const info = body.getInfo();
      if (!info.getMoreRecords()) {
        if (process.env.EXAMPLE_BREAK !== "crm-last-page" || page === 1) records.push(...batch);
        return records;
      }
      records.push(...batch);
      if (page * PER_PAGE >= PAGE_LIMIT || pageToken) pageToken = info.getNextPageToken();
      page += 1;
    }
  }

  // Inserts (no `id`) or updates (with `id`) `rows`, 100 at a time. Returns one outcome per row:
  // { ok: true, id } or { ok: false, code, message }. A create whose reply was lost throws
  // OutcomeUnknown: the caller looks before it creates again.
  async write(module, rows, { create }) {
    const outcomes = [];
    for (let start = 0; start < rows.length; start += BATCH) {
      const wrapper = new ZOHO.Record.BodyWrapper();
      wrapper.setData(rows.slice(start, start + BATCH).map(sdkRecord));
      const ops = new ZOHO.Record.RecordOperations(module);
      const response = create
        ? await this.call(() => ops.createRecords(wrapper, new ZOHO.HeaderMap()), "create", `POST ${module}`)
        : await this.call(() => ops.updateRecords(wrapper, new ZOHO.HeaderMap()), "idempotent", `PUT ${module}`);
      const body = response.getObject();
      if (!(body instanceof ZOHO.Record.ActionWrapper)) throw crmError(response, `write ${module}`);
      for (const result of body.getData()) {
        const details = result.getDetails();
        outcomes.push(
          result instanceof ZOHO.Record.SuccessResponse
            ? { ok: true, id: String(details.get("id")) }
            : { ok: false, code: result.getCode().getValue(), message: result.getMessage() },
        );
      }
    }
    return outcomes;
  }

  // One SDK call with retries; an expired access token (401) is dropped from the store and the
  // call made again, which makes the SDK refresh it.
  async call(fn, kind, what) {
    for (let refreshed = false; ; refreshed = true) {
      const response = await withRetry(
        async () => {
          const reply = await fn();
          return { status: reply.getStatusCode(), retryAfter: header(reply, "retry-after"), reply };
        },
        { kind, what },
      );
      if (response.status === 401 && !refreshed) {
        fs.rmSync(this.tokenFile, { force: true });
        await this.init();
        continue;
      }
      return response.reply;
    }
  }
}

function header(response, name) {
  const headers = response.getHeaders();
  return headers instanceof Map ? headers.get(name) : headers?.[name];
}

function crmError(response, what) {
  const body = response.getObject();
  const code = body?.getCode?.()?.getValue?.();
  const message = body?.getMessage?.();
  return new Error(`CRM ${what}: HTTP ${response.getStatusCode()} ${code ?? ""} ${message ?? ""}`);
}

// An SDK Record as a plain object: ids as strings, times as ISO strings.
function plain(record) {
  const out = {};
  for (const [key, value] of record.getKeyValues()) {
    if (typeof value === "bigint") out[key] = String(value);
    else if (value instanceof Date) out[key] = value.toISOString();
    else out[key] = value;
  }
  return out;
}

function sdkRecord(row) {
  const record = new ZOHO.Record.Record();
  for (const [key, value] of Object.entries(row)) {
    if (key === "id") record.setId(BigInt(value));
    else record.addKeyValue(key, value);
  }
  return record;
}
