"""Tags: each module's named, coloured labels, and the records that carry them.

A record keeps its tags' ids in its ``Tag`` list (in the stored dict, so a state save keeps
them); a tag's name and colour are looked up when shown, so a renamed tag shows through every
record.  Adding a tag by a name the module does not have creates it, as Zoho does.  Rules from
Zoho's tags document (v8): names up to 25 characters, unique in a module without regard to
case; colours from the document's palette.  The caps of 10 tags a record and 100 a module are
this simulator's assumption: the documents give none.

Nothing here knows of HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from simulator.crm.errors import CrmError, DuplicateData, InvalidData, LimitExceeded, MandatoryNotFound

if TYPE_CHECKING:
    from simulator.crm.models import CrmOrg

COLORS = ("#57B1FD", "#879BFC", "#658BA8", "#FD87BD", "#969696", "#F48435", "#1DB9B4",
          "#E7A826", "#63C57E", "#F17574", "#D297EE", "#A8C026", "#B88562")  # fmt: skip
MAX_NAME = 25
MAX_PER_RECORD = 10
MAX_PER_MODULE = 100


@dataclass
class Tag:
    id: str
    module: str
    name: str
    color_code: str
    created_by: str
    created_time: datetime
    modified_by: str
    modified_time: datetime


def tags_of(org: CrmOrg, module: str) -> list[Tag]:
    return [tag for tag in org.tags.values() if tag.module == module]


def record_tags(org: CrmOrg, record: Mapping[str, Any]) -> list[Tag]:
    return [org.tags[tag_id] for tag_id in record.get("Tag", ()) if tag_id in org.tags]


def create(org: CrmOrg, module: str, items: Sequence[object]) -> list[Tag | CrmError]:
    """One new tag per item ``{"name", "color_code"?}``, or the error in its place."""
    return [_create_one(org, module, item, index) for index, item in enumerate(items)]


def _create_one(org: CrmOrg, module: str, item: object, index: int) -> Tag | CrmError:
    if not isinstance(item, Mapping):
        return InvalidData({"api_name": "tags", "json_path": f"$.tags[{index}]"})
    name, color = item.get("name"), item.get("color_code")
    if not isinstance(name, str) or not name.strip():
        return MandatoryNotFound("name", index)
    if len(name.strip()) > MAX_NAME:
        return InvalidData(
            {"api_name": "name", "json_path": f"$.tags[{index}].name", "maximum_length": MAX_NAME}
        )
    if color is not None and color not in COLORS:
        return InvalidData({"api_name": "color_code", "json_path": f"$.tags[{index}].color_code"})
    if find(org, module, name) is not None:
        return DuplicateData({"api_name": "name", "json_path": f"$.tags[{index}].name"})
    if len(tags_of(org, module)) >= MAX_PER_MODULE:
        return LimitExceeded({"api_name": "tags", "limit": MAX_PER_MODULE})
    return _new(org, module, name.strip(), color)


def _new(org: CrmOrg, module: str, name: str, color: str | None) -> Tag:
    now, user = org.clock.now(), org.current_user_id
    count = len(tags_of(org, module))
    tag = Tag(org.ids(), module, name, color or COLORS[count % len(COLORS)], user, now, user, now)
    org.tags[tag.id] = tag
    return tag


def update(org: CrmOrg, tag: Tag, item: object) -> CrmError | None:
    """Rename and/or recolour ``tag`` from ``{"name"?, "color_code"?}``; the error, or None."""
    if not isinstance(item, Mapping):
        return InvalidData({"api_name": "tags", "json_path": "$.tags[0]"})
    name, color = item.get("name", tag.name), item.get("color_code", tag.color_code)
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        return InvalidData({"api_name": "name", "json_path": "$.tags[0].name", "maximum_length": MAX_NAME})
    if color not in COLORS:
        return InvalidData({"api_name": "color_code", "json_path": "$.tags[0].color_code"})
    other = find(org, tag.module, name)
    if other is not None and other is not tag:
        return DuplicateData({"api_name": "name", "json_path": "$.tags[0].name"})
    tag.name, tag.color_code = name.strip(), color
    tag.modified_by, tag.modified_time = org.current_user_id, org.clock.now()
    return None


def find(org: CrmOrg, module: str, name: str) -> Tag | None:
    wanted = name.strip().lower()
    return next((tag for tag in tags_of(org, module) if tag.name.lower() == wanted), None)


def resolve(org: CrmOrg, module: str, items: Sequence[object], *, create_missing: bool) -> list[Tag]:
    """The tags that ``items`` (``{"name"}`` or ``{"id"}``) name; unknown names are created when asked."""
    if not items:
        raise InvalidData({"api_name": "tags", "json_path": "$.tags"})
    found: list[Tag] = []
    for index, item in enumerate(items):
        tag = _resolve_one(org, module, item, index, create_missing=create_missing)
        if tag not in found:
            found.append(tag)
    return found


def _resolve_one(org: CrmOrg, module: str, item: object, index: int, *, create_missing: bool) -> Tag:
    path = {"api_name": "tags", "json_path": f"$.tags[{index}]"}
    if not isinstance(item, Mapping):
        raise InvalidData(path)
    tag_id, name = item.get("id"), item.get("name")
    if tag_id is not None:
        tag = org.tags.get(str(tag_id))
        if tag is None or tag.module != module:
            raise InvalidData.invalid_id({"id": str(tag_id), **path})
        return tag
    if not isinstance(name, str) or not name.strip():
        raise MandatoryNotFound("name", index)
    tag = find(org, module, name)
    if tag is not None:
        return tag
    if not create_missing:
        raise InvalidData({**path, "name": name})
    created = _create_one(org, module, item, index)
    if isinstance(created, CrmError):
        raise created
    return created


def add(
    org: CrmOrg, record: MutableMapping[str, Any], tags: Sequence[Tag], *, over_write: bool
) -> CrmError | None:
    """Tag ``record``; ``over_write`` replaces its tags.  Over ten tags is an error, nothing changed."""
    current = [] if over_write else [t.id for t in record_tags(org, record)]
    wanted = list(dict.fromkeys([*current, *(tag.id for tag in tags)]))
    if len(wanted) > MAX_PER_RECORD:
        return LimitExceeded({"api_name": "tags", "limit": MAX_PER_RECORD, "id": record["id"]})
    record["Tag"] = wanted
    return None


def remove(record: MutableMapping[str, Any], tags: Sequence[Tag]) -> None:
    unwanted = {tag.id for tag in tags}
    record["Tag"] = [tag_id for tag_id in record.get("Tag", ()) if tag_id not in unwanted]


def delete(org: CrmOrg, tag: Tag) -> None:
    """A deleted tag leaves every record that carried it."""
    del org.tags[tag.id]
    for record in org.records[tag.module].values():
        if tag.id in record.get("Tag", ()):
            remove(record, [tag])


def records_count(org: CrmOrg, tag: Tag) -> int:
    return sum(tag.id in record.get("Tag", ()) for record in org.records[tag.module].values())
