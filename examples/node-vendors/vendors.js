// How a CRM vendor and a Books vendor correspond: the field map, the match key, and values both
// ways. Books fields are paths: `contact_name`, `billing_address.city`, `primary_contact.email`
// (the vendor's primary contact person).

export const DEFAULT_MAP = [
  ["contact_name", "Vendor_Name"], // the mandatory pair: always first
  ["company_name", "Vendor_Name"],
  ["website", "Website"],
  ["primary_contact.email", "Email"],
  ["primary_contact.phone", "Phone"],
  ["billing_address.address", "Street"],
  ["billing_address.city", "City"],
  ["billing_address.state", "State"],
  ["billing_address.zip", "Zip_Code"],
  ["billing_address.country", "Country"],
];
const MANDATORY = DEFAULT_MAP[0];
const ADDRESS_KEYS = ["attention", "address", "street2", "city", "state", "zip", "country", "phone", "fax"];
const PERSON_KEYS = ["salutation", "first_name", "last_name", "email", "phone", "mobile", "designation", "department"];

// The configured map (pairs or {books, crm} objects), mandatory pair first; the default without one.
export function fieldMap(raw) {
  if (!raw || raw.length === 0) return DEFAULT_MAP;
  const pairs = raw.map((p) => (Array.isArray(p) ? p : [p.books, p.crm]));
  const rest = pairs.filter(([books, crm]) => !(books === MANDATORY[0] && crm === MANDATORY[1]));
  return [MANDATORY, ...rest];
}

// Names match after trimming, folding runs of white space, and ignoring case.
export function matchKey(text) {
  return String(text ?? "").split(/\s+/).filter(Boolean).join(" ").toLowerCase();
}

// Equal as a sync sees it: null, "" and missing are all empty; 12 equals 12.0.
export function same(a, b) {
  const norm = (v) => (v === null || v === undefined || v === "" ? null : typeof v === "number" ? Number(v) : v);
  return norm(a) === norm(b);
}

export function changed(current, agreed) {
  return (
    Object.entries(current).some(([k, v]) => !same(v, agreed[k])) ||
    Object.keys(agreed).some((k) => !(k in current))
  );
}

export function primaryPerson(record) {
  const persons = record.contact_persons ?? [];
  return persons.find((p) => p.is_primary_contact) ?? persons[0] ?? null;
}

export function booksValue(record, path) {
  const [head, key] = path.split(".");
  if (!key) return record[path];
  if (head === "primary_contact") return primaryPerson(record)?.[key];
  return record[head]?.[key];
}

export function crmValues(map, crmRecord) {
  return Object.fromEntries(map.map(([, crm]) => [crm, crmRecord[crm] ?? null]));
}

export function booksValues(map, booksRecord) {
  return Object.fromEntries(map.map(([books]) => [books, booksValue(booksRecord, books) ?? null]));
}

// CRM -> Books: each mapped Books field's value (the first pair for a Books field wins).
export function toBooks(map, crmRecord) {
  const values = {};
  for (const [books, crm] of map) if (!(books in values)) values[books] = crmRecord[crm] ?? "";
  return values;
}

export function differences(wanted, booksRecord) {
  return Object.fromEntries(Object.entries(wanted).filter(([path, v]) => !same(v, booksValue(booksRecord, path))));
}

// A Books create/update body that sets `values` and keeps the rest: Books replaces an address
// whole and treats contact_persons as a replace-set, so both are sent complete.
export function booksBody(values, existing = null) {
  const body = existing ? {} : { contact_type: "vendor" };
  const person = {};
  for (const [path, value] of Object.entries(values)) {
    const [head, key] = path.split(".");
    if (!key) body[path] = value;
    else if (head === "primary_contact") person[key] = value;
    else {
      body[head] ??= Object.fromEntries(ADDRESS_KEYS.map((k) => [k, existing?.[head]?.[k] ?? ""]));
      body[head][key] = value ?? "";
    }
  }
  if (Object.keys(person).length > 0) {
    const persons = (existing?.contact_persons ?? []).map((p) => ({
      ...Object.fromEntries(PERSON_KEYS.map((k) => [k, p[k] ?? ""])),
      contact_person_id: p.contact_person_id,
      is_primary_contact: Boolean(p.is_primary_contact),
    }));
    let primary = persons.find((p) => p.is_primary_contact) ?? persons[0];
    if (!primary) persons.push((primary = { is_primary_contact: true }));
    for (const [k, v] of Object.entries(person)) primary[k] = v ?? "";
    // Books needs a person's first name: without one, the person takes a name it has.
    if (!primary.first_name) primary.first_name = primary.last_name || values.contact_name || existing?.contact_name || "-";
    body.contact_persons = persons;
  }
  return body;
}

// Books -> CRM: each mapped CRM field's value. A CRM field mapped from several Books fields takes
// the mandatory one when it is among them, else the first in map order.
export function toCrm(map, booksRecord) {
  const source = {};
  for (const [books, crm] of map) source[crm] ??= books;
  source[MANDATORY[1]] = MANDATORY[0];
  return Object.fromEntries(
    Object.entries(source).map(([crm, books]) => {
      const value = booksValue(booksRecord, books);
      return [crm, value === "" || value === undefined ? null : value];
    }),
  );
}
