"""The browser tier: the dashboard in Debian's Chromium, driven by Playwright for Python.

Every test here is marked `browser` and `e2e` (it runs the whole local stack). Playwright's
own browser download cannot run on this project's machines, so it drives the system
Chromium (`/usr/bin/chromium`, installed by infra/setup.sh) through `executable_path`.

    browser          one headless Chromium per session
    signed_in(login) a new browser context (its own cookies) signed in through the GitHub
                     stand-in's web flow, as a person clicks it
    axe_check(page)  axe-core (npm, infra/node) run in the page; fails on serious/critical
    screenshot(page, name)  a PNG to docs/img/ (the pictures in docs/dashboard.md)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.dashboard import PASSWORDS
from tests.fixtures.tiers import mark_tier

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "infra" / "node" / "node_modules" / "axe-core" / "axe.min.js"
IMAGES = ROOT / "docs" / "img"
# Chromium's own traffic (updates, sync, safe browsing) has nowhere to go here.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, Path(__file__).parent, "browser", "e2e")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module, not per session: while Playwright's sync API is open its asyncio loop
    is this thread's current loop, and the Lambda entry point's Mangum (tests of the HTTP
    function, later in the session) would run its requests on it and fail."""
    import asyncio

    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: run `make setup` (infra/setup.sh)"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            try:
                yield launched
            finally:
                launched.close()
    finally:
        asyncio.set_event_loop(None)  # not Playwright's closed loop: the next user makes one


@pytest.fixture
def signed_in(browser: Any, dashboard: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def sign_in(login: str, **context_options: Any) -> Any:
        # bypass_csp: the page's CSP (rightly) refuses the script axe_check injects.
        context = browser.new_context(bypass_csp=True, **context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(dashboard.url + "/dashboard/")
        assert page.url.endswith("/dashboard/sign-in")
        page.get_by_role("link", name="Sign in with GitHub").click()
        page.wait_for_url(f"{dashboard.github.base_url}/login/oauth/authorize*")
        page.get_by_label("Username or email address").fill(login)
        page.get_by_label("Password").fill(PASSWORDS[login])
        page.get_by_role("button", name="Authorize Bzzz").click()
        page.wait_for_url(dashboard.url + "/dashboard/")
        assert page.get_by_text(f"Signed in as {login}").is_visible()
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def axe_check() -> Callable[[Any], list[dict[str, Any]]]:
    def check(page: Any) -> list[dict[str, Any]]:
        assert AXE.exists(), f"{AXE} is missing: run `make setup` (npm ci in infra/node)"
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        assert result["passes"], "axe-core checked nothing"
        return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

    return check


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    def shoot(page: Any, name: str) -> Path:
        IMAGES.mkdir(parents=True, exist_ok=True)
        path = IMAGES / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot
