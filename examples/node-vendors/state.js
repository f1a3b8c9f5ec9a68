// The syncer's own state, one JSON file in ZOHOSIM_STATE_DIR: links between CRM and Books
// records (with the values both sides last agreed on) and write-ahead intents. It is written
// (atomically: temp file, then rename) after every change, so a run killed at any point leaves
// it consistent.

import fs from "node:fs";
import path from "node:path";

export class State {
  constructor(dir) {
    this.file = path.join(dir, "vendors-state.json");
    const saved = fs.existsSync(this.file) ? JSON.parse(fs.readFileSync(this.file, "utf8")) : {};
    this.links = saved.links ?? {}; // CRM id -> { books_id, crm, books, books_modified, books_record }
    this.intents = saved.intents ?? { books: {}, crm: {} }; // source id -> { key, known }
    // Books ids left unlinked because a CRM vendor had their name -> their last_modified_time
    this.blocked = saved.blocked ?? {};
  }

  save() {
    const temp = `${this.file}.tmp`;
    fs.writeFileSync(temp, JSON.stringify({ links: this.links, intents: this.intents, blocked: this.blocked }));
    fs.renameSync(temp, this.file);
  }

  linkByBooks(booksId) {
    const entry = Object.entries(this.links).find(([, link]) => link.books_id === booksId);
    return entry ? { crm_id: entry[0], ...entry[1] } : null;
  }

  setLink(crmId, link) {
    this.links[crmId] = link;
    this.save();
  }

  // A create is about to be sent: remember it first, so that a run that never hears the reply
  // (a dropped connection, a kill) can find the record instead of creating it again. `known`
  // holds the ids that already had the record's key, so the one the create made is the other one
  // (no clock comparison: Zoho's clock and ours may disagree).
  beginIntent(side, sourceId, key, known) {
    if (process.env.EXAMPLE_BREAK === "forget-intents") return;
    this.intents[side][sourceId] = { key, known };
    this.save();
  }

  endIntent(side, sourceId) {
    delete this.intents[side][sourceId];
    this.save();
  }
}
