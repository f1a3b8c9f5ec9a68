"""The console in a real browser: Playwright driving Debian's Chromium against a served simulator.

No browser is ever downloaded: the tests use ``/usr/bin/chromium`` (``apt-get install chromium``).
Without it, or without the ``playwright`` package, they skip, except in CI (``CI`` set), where
they fail: CI must install both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.tenants import Sizes
from simulator.testing import RunningSimulator, build_simulator, serve_in_thread
from tests.support import SEED, TEST_SIZES, ZohoClient

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
#: Bound on every wait for the page (Playwright's own auto-waiting, never a sleep).
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must install it (apt-get install chromium; pip install playwright)")
    pytest.skip(reason)


@pytest.fixture(scope="package")  # Playwright's sync API marks a loop running in this thread until it stops
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def served() -> Iterator[RunningSimulator]:
    sim = build_simulator(seed=SEED)
    sim.create_tenant(tenant_id="t1", sizes=Sizes(**TEST_SIZES))
    with serve_in_thread(sim) as running:
        yield running


@pytest.fixture
def page(browser: Any, served: RunningSimulator, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page on the served console; its last view is saved as ``build/screenshots/<test>.png``."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=served.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    try:
        yield opened
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        context.close()


@pytest.fixture
def zoho(served: RunningSimulator) -> Iterator[ZohoClient]:
    """An API client of tenant t1, over the same server the browser sees."""
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        yield ZohoClient(mode="server", http=http, creds=served.sim.tenants["t1"].credentials())
