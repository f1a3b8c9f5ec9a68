"""Books' contact list rows as JSON, kept on each contact until it changes.

A row is ``orjson.dumps(contact.to_row(time_zone))``, byte for byte: ``to_row`` stays the one
definition of a row. It is kept in the contact's ``rendered`` slot, which the contact drops on any
change to any of its attributes (``Contact.__setattr__``), whichever path makes it: the API, the
control plane, an import, the integration, a seeding or a restore (those make new contacts).
Two parts of a row live outside the contact's own attributes and are checked on every read:
the primary person's names, email and phones (persons are objects of their own, changed in
place when the primary moves), compared by value; and custom fields, a list of dicts that may be
changed in place, so a contact that has any is rendered afresh. At most ``_KEPT.limit``
contacts hold a row at a time.
"""

from __future__ import annotations

import operator
from datetime import timezone
from typing import Any

from orjson import dumps

from simulator.books.records import Contact
from simulator.rendered import KeptRenderings

#: What a row shows of the primary person (``Contact.to_row``).
PERSON_KEYS = ("first_name", "last_name", "email", "phone", "mobile")
_person = operator.attrgetter(*PERSON_KEYS)
#: At most this many contacts hold a row at a time.
_KEPT = KeptRenderings(20_000)


def contact_json(contact: Contact, time_zone: timezone) -> bytes:
    """The contact's row of ``GET /contacts`` as JSON."""
    primary = contact.primary_person
    stamp = (time_zone, None if primary is None else _person(primary))
    kept: tuple[Any, bytes] | None = getattr(contact, "rendered", None)
    if kept is not None and kept[0] == stamp and not contact.custom_fields:
        return kept[1]
    row = dumps(contact.to_row(time_zone))
    if not contact.custom_fields:
        contact.rendered = (stamp, row)
        _KEPT.remember(contact)
    return row


def rows_json(rows: list[bytes], *, head: bytes, tail: bytes) -> bytes:
    """``head + b"[" + b",".join(rows) + b"]" + tail``, with the page copied once: a page is
    ~150 KB, and each concatenation would copy it again into a fresh allocation."""
    if not rows:
        return head + b"[]" + tail
    ends = [head + b"[" + rows[0], *rows[1:]]
    ends[-1] += b"]" + tail
    return b",".join(ends)
