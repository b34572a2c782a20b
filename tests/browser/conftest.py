"""Playwright fixtures: one system Chromium for the browser tests, pages that record CSP reports."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from carecore.home.seeding import DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Flags for a root user on a machine with no network: the background-networking ones stop
# Chromium from trying (and failing) to reach Google's services at every start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

# Re-reported to Python through a binding, which keeps working across navigations.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__carecoreCspViolation({
    page: document.location.pathname,
    directive: e.effectiveDirective,
    blocked: e.blockedURI,
    sample: e.sample,
  });
});
"""


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Return one headless system Chromium for every browser test."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}: "
            "apt-get update && apt-get install -y chromium (or run .ci/run)."
        )
    # Playwright's sync API keeps an event loop registered on this thread while it runs, and
    # Django refuses ORM calls from a thread with a running loop. The tests and the live
    # server stay synchronous, so the check is off only while the browser is up.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@dataclass
class PageLog:
    """What the browser reported while a test ran."""

    console: list[ConsoleMessage] = field(default_factory=list)
    csp_violations: list[dict[str, Any]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def csp_problems(self) -> list[str]:
        """Return every CSP violation, from the DOM event or from Chromium's console."""
        from_console = [m.text for m in self.console if "Content Security Policy" in m.text]
        return [str(v) for v in self.csp_violations] + from_console


@pytest.fixture
def page_log() -> PageLog:
    """Return an empty record of what the browser reports during one test."""
    return PageLog()


@pytest.fixture
def context(browser: Browser, live_server: Any, page_log: PageLog) -> Iterator[BrowserContext]:
    """Return a fresh browser profile on the live server that reports CSP violations."""
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.expose_binding(
        "__carecoreCspViolation", lambda _source, detail: page_log.csp_violations.append(detail)
    )
    ctx.add_init_script(_CSP_LISTENER)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, page_log: PageLog) -> Iterator[Page]:
    """Return a page; the test fails if any page it opened broke the CSP or threw."""
    pg = context.new_page()
    pg.on("console", lambda message: page_log.console.append(message))
    pg.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    yield pg
    problems = page_log.csp_problems()
    assert not problems, "CSP violations:\n" + "\n".join(problems)
    assert not page_log.page_errors, "JavaScript errors:\n" + "\n".join(page_log.page_errors)


@pytest.fixture
def demo_password(transactional_db: None, settings: Any) -> str:
    """Create the demo users with `seed_demo` and return their shared password."""
    # A demo installation, as `make run` is: seed_demo refuses anything else, and the pages
    # then carry the demo banner.
    settings.CARECORE_DEMO = True
    call_command("seed_demo", stdout=io.StringIO())
    return DEMO_PASSWORD
