#!/usr/bin/env node
// One sync run of Zoho CRM Vendors <-> Zoho Books vendors, configured by the file in
// ZOHOSIM_CONFIG (its `vendors` entry: extent, duplicates, view, field_map). CRM goes through
// Zoho's official Node.js SDK; Books through fetch. Links and intents live in ZOHOSIM_STATE_DIR.
//
//   node sync.js        (exits non-zero when the run failed)

import fs from "node:fs";
import { Books, BooksError } from "./books.js";
import { Crm } from "./crm.js";
import { OutcomeUnknown } from "./retry.js";
import { State } from "./state.js";
import * as v from "./vendors.js";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

class VendorsSync {
  constructor() {
    const config = JSON.parse(fs.readFileSync(env("ZOHOSIM_CONFIG"), "utf8"));
    const entry = (config.sync ?? []).find((s) => s.module === "vendors");
    if (!entry) throw new Error("the configuration has no `vendors` sync entry");
    this.extent = entry.extent ?? "fetch_from_crm";
    this.duplicates = entry.duplicates ?? "skip";
    this.view = entry.view ?? null;
    this.map = v.fieldMap(entry.field_map);
    const credentials = {
      accountsUrl: env("ZOHOSIM_ACCOUNTS_URL"),
      clientId: env("ZOHOSIM_CLIENT_ID"),
      clientSecret: env("ZOHOSIM_CLIENT_SECRET"),
      refreshToken: env("ZOHOSIM_REFRESH_TOKEN"),
    };
    const stateDir = env("ZOHOSIM_STATE_DIR");
    // The SDK wants the API domain; it adds /crm/v8 itself.
    this.crm = new Crm({ ...credentials, apiDomain: env("ZOHOSIM_CRM_URL").replace(/\/crm\/v\d+\/?$/, ""), stateDir });
    this.books = new Books({
      ...credentials,
      booksUrl: env("ZOHOSIM_BOOKS_URL"),
      organizationId: env("ZOHOSIM_BOOKS_ORGANIZATION_ID"),
    });
    this.state = new State(stateDir);
    this.report = [];
    this.taken = new Set(); // Books ids linked, or claimed this run
    this.handled = new Set(); // Books ids this run already compared
    this.pushes = []; // linked pairs whose Books side goes to CRM
    this.creates = []; // unlinked Books records to create in CRM
  }

  async run() {
    await this.crm.init();
    const fields = [...new Set([...this.map.map(([, crm]) => crm), "Vendor_Name", "Modified_Time"])];
    const inView = await this.crm.records("Vendors", { fields, cvid: this.view });
    // Both ways must never create a CRM vendor whose name one already has: know them all.
    this.allCrm = this.view && this.extent === "both_ways" ? await this.crm.records("Vendors", { fields }) : inView;
    this.rows = await this.books.vendors();
    for (const link of Object.values(this.state.links)) this.taken.add(link.books_id);
    await this.recoverIntents(new Set(inView.map((r) => r.id)));
    for (const record of inView) {
      const link = this.state.links[record.id];
      if (link) await this.linked(record, link);
      else await this.unlinked(record);
    }
    if (this.extent === "both_ways") await this.push();
    for (const line of this.report) console.log(line);
  }

  // ---- creates whose reply a previous run (or this one) never heard ----

  async recoverIntents(inView) {
    for (const [crmId, intent] of Object.entries(this.state.intents.books)) {
      const made = this.newWithKey(this.rows, (r) => r.contact_name, (r) => r.contact_id, intent);
      if (made && !this.state.links[crmId]) this.adopt(crmId, made.contact_id);
      this.state.endIntent("books", crmId);
    }
    for (const [booksId, intent] of Object.entries(this.state.intents.crm)) {
      const made = this.newWithKey(this.allCrm, (r) => r.Vendor_Name, (r) => r.id, intent);
      if (made && !this.state.links[made.id]) {
        this.adopt(made.id, booksId);
        // Finish that push as the cut-off run would have. A vendor in the view is compared by
        // CRM -> Books below; any other would never be compared again.
        const books = inView.has(made.id) ? null : await this.books.vendor(booksId);
        if (books) {
          this.handled.add(booksId);
          this.pushes.push({ crmId: made.id, link: this.state.links[made.id], books, crmRecord: made });
        }
      }
      this.state.endIntent("crm", booksId);
    }
  }

  newWithKey(records, name, id, intent) {
    const linkedCrm = new Set(Object.keys(this.state.links));
    return records.find(
      (r) =>
        v.matchKey(name(r)) === intent.key &&
        !intent.known.includes(id(r)) &&
        !this.taken.has(id(r)) &&
        !linkedCrm.has(id(r)),
    );
  }

  // A pair with nothing agreed yet: the next comparison brings Books into line with CRM.
  adopt(crmId, booksId) {
    this.state.setLink(crmId, { books_id: booksId, crm: {}, books: {} });
    this.taken.add(booksId);
  }

  // ---- CRM -> Books ----

  async unlinked(record) {
    const key = v.matchKey(record.Vendor_Name);
    const withKey = this.rows.filter((r) => v.matchKey(r.contact_name) === key);
    const duplicate = withKey
      .filter((r) => !this.taken.has(r.contact_id))
      .sort((a, b) => time(a.created_time) - time(b.created_time) || Number(BigInt(a.contact_id) - BigInt(b.contact_id)))[0];
    if (duplicate && this.duplicates === "skip") {
      this.note("skipped", record, duplicate.contact_id, "a Books vendor has its name");
      return;
    }
    if (duplicate && this.duplicates === "overwrite") {
      this.taken.add(duplicate.contact_id);
      const existing = await this.books.vendor(duplicate.contact_id);
      await this.toBooks(record, existing, "overwritten");
      return;
    }
    await this.createInBooks(record, key, withKey.map((r) => r.contact_id), duplicate ? "cloned" : "created");
  }

  async createInBooks(record, key, known, action) {
    const body = v.booksBody(v.toBooks(this.map, record));
    this.state.beginIntent("books", record.id, key, known);
    let created;
    try {
      created = await this.books.create(body);
    } catch (error) {
      if (error instanceof BooksError) {
        this.state.endIntent("books", record.id);
        this.note("failed", record, null, error.message);
        return;
      }
      if (!(error instanceof OutcomeUnknown)) throw error;
      // The reply was lost: the vendor may exist. Look before creating again.
      const made = this.newWithKey(await this.books.vendors(), (r) => r.contact_name, (r) => r.contact_id, { key, known });
      created = made ? await this.books.vendor(made.contact_id) : await this.books.create(body);
    }
    this.rows.push(created);
    this.saveLink(record, created);
    this.state.endIntent("books", record.id);
    this.note(action, record, created.contact_id);
  }

  async linked(record, link) {
    this.taken.add(link.books_id);
    this.handled.add(link.books_id);
    const { current, booksChanged } = await this.booksNow(link);
    if (!current) {
      this.note("failed", record, link.books_id, "the linked Books vendor no longer exists");
      return;
    }
    const crmChanged = v.changed(v.crmValues(this.map, record), link.crm);
    let toCrm = false;
    if (this.extent === "both_ways" && booksChanged) {
      toCrm = !crmChanged || time(record.Modified_Time) < time(current.last_modified_time); // a tie: CRM wins
    }
    if (toCrm) this.pushes.push({ crmId: record.id, link, books: current, crmRecord: record });
    else if (crmChanged) await this.toBooks(record, current, "updated");
  }

  // The linked Books vendor now, and whether its mapped fields moved since the pair agreed. It is
  // read again only when its last_modified_time moved.
  async booksNow(link) {
    const row = this.rows.find((r) => r.contact_id === link.books_id);
    if (link.books_record && row && row.last_modified_time === link.books_modified) {
      return { current: link.books_record, booksChanged: false };
    }
    const current = await this.books.vendor(link.books_id);
    const agreed = link.books ?? {};
    const booksChanged = Boolean(current) && Object.keys(agreed).length > 0 && v.changed(v.booksValues(this.map, current), agreed);
    return { current, booksChanged };
  }

  async toBooks(record, existing, action) {
    const diff = v.differences(v.toBooks(this.map, record), existing);
    let written = existing;
    if (Object.keys(diff).length > 0) {
      try {
        written = await this.books.update(existing.contact_id, v.booksBody(diff, existing));
      } catch (error) {
        if (!(error instanceof BooksError)) throw error;
        this.note("failed", record, existing.contact_id, error.message);
        return;
      }
    }
    this.saveLink(record, written);
    if (written !== existing || action !== "updated") this.note(action, record, existing.contact_id);
  }

  saveLink(crmRecord, booksRecord) {
    this.taken.add(booksRecord.contact_id);
    this.state.setLink(crmRecord.id, {
      books_id: booksRecord.contact_id,
      crm: v.crmValues(this.map, crmRecord),
      books: v.booksValues(this.map, booksRecord),
      books_modified: booksRecord.last_modified_time,
      books_record: booksRecord,
    });
  }

  // ---- Books -> CRM (both ways) ----

  async push() {
    const crmKeys = new Set(this.allCrm.map((r) => v.matchKey(r.Vendor_Name)));
    for (const row of this.rows) {
      const id = row.contact_id;
      if (this.handled.has(id)) continue;
      this.handled.add(id);
      const link = this.state.linkByBooks(id);
      if (link) {
        // Its CRM vendor was not read (out of the view): push what changed in Books.
        const { current, booksChanged } = await this.booksNow(link);
        if (current && booksChanged) this.pushes.push({ crmId: link.crm_id, link, books: current, crmRecord: null });
      } else if (!this.taken.has(id)) {
        // Left unlinked before and unchanged since: a rename in CRM (this syncer's own, say)
        // does not make an untouched Books vendor new work.
        if (this.state.blocked[id] === row.last_modified_time) continue;
        const key = v.matchKey(row.contact_name);
        if (crmKeys.has(key)) {
          this.state.blocked[id] = row.last_modified_time;
          this.state.save();
          this.note("skipped", { id: null, Vendor_Name: row.contact_name }, id, "a CRM vendor has its name");
          continue;
        }
        crmKeys.add(key); // claimed: a second Books vendor with this name stays unlinked
        const full = await this.books.vendor(id);
        if (full) this.creates.push(full);
      }
    }
    await this.flushUpdates();
    await this.flushCreates();
  }

  async flushUpdates() {
    const pending = [];
    for (const push of this.pushes) {
      const values = v.toCrm(this.map, push.books);
      const current = push.crmRecord ? v.crmValues(this.map, push.crmRecord) : push.link.crm;
      const diff = Object.fromEntries(Object.entries(values).filter(([f, value]) => !same(value, current[f])));
      const merged = { ...current, ...values };
      if (Object.keys(diff).length === 0) await this.agreeInBooks(push.crmId, push.books, merged);
      else pending.push({ push, diff, merged });
    }
    const outcomes = await this.crm.write(
      "Vendors",
      pending.map(({ push, diff }) => ({ id: push.crmId, ...diff })),
      { create: false },
    );
    for (const [n, { push, merged }] of pending.entries()) {
      if (outcomes[n].ok) await this.agreeInBooks(push.crmId, push.books, merged, "pushed");
      else this.note("failed", { id: push.crmId, Vendor_Name: merged.Vendor_Name }, push.link.books_id, outcomes[n].message);
    }
  }

  async flushCreates() {
    if (this.creates.length === 0) return;
    const bodies = this.creates.map((books) => v.toCrm(this.map, books));
    for (const [n, books] of this.creates.entries()) this.state.beginIntent("crm", books.contact_id, v.matchKey(bodies[n].Vendor_Name), []);
    let outcomes;
    try {
      outcomes = await this.crm.write("Vendors", bodies, { create: true });
    } catch (error) {
      if (!(error instanceof OutcomeUnknown)) throw error;
      outcomes = await this.findInserted(bodies);
    }
    for (const [n, books] of this.creates.entries()) {
      const crmId = outcomes[n].ok ? outcomes[n].id : null;
      if (crmId) await this.agreeInBooks(crmId, books, bodies[n], "pushed");
      else this.note("failed", { id: null, Vendor_Name: bodies[n].Vendor_Name }, books.contact_id, outcomes[n].message);
      this.state.endIntent("crm", books.contact_id);
    }
  }

  // The insert's reply was lost: the vendors CRM did create are found by name; the rest are sent again.
  async findInserted(bodies) {
    const linked = new Set(Object.keys(this.state.links));
    const fresh = (await this.crm.records("Vendors", { fields: ["Vendor_Name"] })).filter(
      (r) => !linked.has(r.id) && !this.allCrm.some((known) => known.id === r.id),
    );
    const outcomes = bodies.map((body) => {
      const found = fresh.findIndex((r) => v.matchKey(r.Vendor_Name) === v.matchKey(body.Vendor_Name));
      return found < 0 ? null : { ok: true, id: fresh.splice(found, 1)[0].id };
    });
    const missing = outcomes.flatMap((o, n) => (o ? [] : [n]));
    if (missing.length > 0) {
      const again = await this.crm.write("Vendors", missing.map((n) => bodies[n]), { create: true });
      missing.forEach((n, k) => (outcomes[n] = again[k]));
    }
    return outcomes;
  }

  // After a push, a mapped Books field that was not its CRM field's source (company_name beside
  // contact_name, both from Vendor_Name) takes the CRM value, so the pair agrees on every field.
  async agreeInBooks(crmId, books, crmValues, action) {
    const diff = v.differences(v.toBooks(this.map, crmValues), books);
    let written = books;
    if (Object.keys(diff).length > 0) written = await this.books.update(books.contact_id, v.booksBody(diff, books));
    this.saveLink({ id: crmId, ...crmValues }, written);
    if (action) this.note(action, { id: crmId, Vendor_Name: crmValues.Vendor_Name }, books.contact_id);
  }

  note(action, record, booksId, reason = "") {
    this.report.push([action, `crm=${record.id ?? "-"}`, `books=${booksId ?? "-"}`, JSON.stringify(record.Vendor_Name ?? ""), reason].join("\t"));
  }
}

function time(text) {
  return text ? Date.parse(String(text).replace(/([+-]\d\d)(\d\d)$/, "$1:$2")) : 0;
}

const same = v.same;

try {
  await new VendorsSync().run();
} catch (error) {
  console.error(error?.stack ?? error);
  process.exit(1);
}
