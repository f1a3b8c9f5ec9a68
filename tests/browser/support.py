"""Playwright's ``expect``, when Playwright is installed. Without it the ``browser`` fixture skips
the tests (or fails them in CI) before any of them runs, so their modules must still import."""

from __future__ import annotations

from typing import Any

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:
    expect = None
