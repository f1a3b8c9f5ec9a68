"""Renderings kept on records, bounded in number.

A CRM record and a Books contact keep the JSON of their list row in a ``rendered`` slot, dropped
by any write to them (``crm/render.py``, ``books/rows.py``). Paging through a big org must cost
no lasting memory, so at most ``limit`` objects of a kind hold a rendering at a time: the one
that kept its rendering first drops it first.
"""

from __future__ import annotations

import collections
from typing import Any, Protocol


class Renders(Protocol):
    rendered: Any


class KeptRenderings:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._holders: collections.deque[Renders] = collections.deque()

    def remember(self, holder: Renders) -> None:
        """``holder`` has just kept a rendering: past the limit, the oldest ones drop theirs."""
        while len(self._holders) >= self.limit:
            self._holders.popleft().rendered = None
        self._holders.append(holder)
