"""Load, bounded for CI: 100 concurrent clients each make a fixed number of creates and updates on
one org of ``zohosim serve`` (``bench/load.py``; run that for the full figures, by time), then every
write is read back. The work is counted, not timed, so a slow machine makes the same requests.
No error but a configured limit, no lost write; with ``--data-dir``, a ``kill -9`` halfway and
another at the end lose no acknowledged write either.

Slow (about half a minute): ``pytest -m "not slow"`` leaves it out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import LoadResult, run_load

pytestmark = [pytest.mark.slow, pytest.mark.server]

CLIENTS = 100
#: Writes by each client: enough that every client creates and then updates.
WRITES = 8


def _explain(result: LoadResult) -> str:
    return "\n".join(result.lines())


def test_100_clients_lose_no_write() -> None:
    result = run_load(clients=CLIENTS, writes_per_client=WRITES)
    assert result.stats.acked_creates > CLIENTS and result.stats.acked_updates > CLIENTS, _explain(result)
    assert not result.stats.errors, _explain(result)
    assert result.stats.limited == 0 and result.stats.indeterminate == 0, _explain(result)
    assert not result.lost and not result.unexpected, _explain(result)


def test_zohos_limits_refuse_in_their_own_shape_and_lose_nothing() -> None:
    """With Books' 100 requests a minute on, most Books writes are refused (code 44): that is the
    only error allowed, and a refused write changes nothing."""
    result = run_load(clients=CLIENTS, writes_per_client=WRITES, limits=True)
    assert result.stats.limited > 0, _explain(result)
    assert not result.stats.errors, _explain(result)
    assert not result.lost and not result.unexpected, _explain(result)


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    result = run_load(clients=CLIENTS, writes_per_client=WRITES, data_dir=tmp_path)
    assert result.restarts == 2, _explain(result)
    assert result.stats.acked_creates > 0 and result.stats.acked_updates > 0, _explain(result)
    assert not result.stats.errors, _explain(result)
    assert not result.lost and not result.unexpected, _explain(result)
