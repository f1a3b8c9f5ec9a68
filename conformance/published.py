"""The documents a syncer's author is judged by, shipped inside the package: the sync contract
(``zohosim conform --contract``) and the JSON Schema of the configuration the harness hands a
syncer in ``ZOHOSIM_CONFIG`` (``zohosim conform --config-schema``).

The project's ``docs/`` folder publishes the same two files; a test keeps the copies equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).with_name("docs")
CONTRACT = FOLDER / "contract.md"
CONFIG_SCHEMA = FOLDER / "config.schema.json"
#: Where a failure report points: the contract as published with the project.
CONTRACT_DOC = "docs/contract.md"


def contract_text() -> str:
    return CONTRACT.read_text(encoding="utf-8")


def config_schema_text() -> str:
    return CONFIG_SCHEMA.read_text(encoding="utf-8")


def config_schema() -> dict[str, Any]:
    return json.loads(config_schema_text())


def contract_link(invariant: str) -> str:
    """``OVERWRITE-REPLACES`` -> ``docs/contract.md#overwrite-replaces`` (each id is a heading)."""
    return f"{CONTRACT_DOC}#{invariant.lower()}"
