"""What a syncer's author is judged by, reachable from the installed package: the sync contract
(``zohosim conform --contract``) and the JSON Schema of the configuration the harness hands a
syncer in ``ZOHOSIM_CONFIG`` (``zohosim conform --config-schema``, built by ``syncer/schema.py``).

The project publishes both in ``docs/`` (contract.md, config.schema.json); the tests keep those
files equal to what the package prints.
"""

from __future__ import annotations

import json
from pathlib import Path

CONTRACT = Path(__file__).with_name("docs") / "contract.md"
#: Where a failure report points: the contract as published with the project.
CONTRACT_DOC = "docs/contract.md"


def contract_text() -> str:
    return CONTRACT.read_text(encoding="utf-8")


def config_schema_text() -> str:
    from syncer.schema import config_schema

    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"


def contract_link(invariant: str) -> str:
    """``OVERWRITE-REPLACES`` -> ``docs/contract.md#overwrite-replaces`` (each id is a heading)."""
    return f"{CONTRACT_DOC}#{invariant.lower()}"
