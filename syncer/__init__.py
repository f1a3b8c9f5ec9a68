"""The reference CRM ↔ Books syncer: every module, extent and duplicate mode of SYNC-SEMANTICS.md.

from syncer import load_config, run_sync
report = run_sync(load_config("sync.toml"))
print(report.table())
"""

from syncer.config import Config, ConfigError, Connection, ModuleSync, load_config, parse_config
from syncer.report import Report
from syncer.run import run_sync
from syncer.state import SyncState

__all__ = [
    "Config",
    "ConfigError",
    "Connection",
    "ModuleSync",
    "Report",
    "SyncState",
    "load_config",
    "parse_config",
    "run_sync",
]
