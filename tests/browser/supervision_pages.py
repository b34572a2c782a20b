"""Small page helpers for the supervision browser tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Locator, Page, Response

from .conftest import _CSP_LISTENER, TIMEOUT_MS, PageLog
from .pages import sign_in


def label(text: str) -> re.Pattern[str]:
    """Match a whole label, with or without the form's trailing colon."""
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")


def switch_user(page: Page, username: str, password: str) -> None:
    """Sign in as someone else in the same browser profile, with a fresh session."""
    page.context.clear_cookies()
    sign_in(page, username, password)


@contextmanager
def other_person(
    browser: Browser, live_server: Any, page_log: PageLog, username: str, password: str
) -> Iterator[Page]:
    """Yield a signed-in page in a new browser profile, reporting into the same `page_log`.

    The profile is set up as the `context` fixture's is, so a CSP violation or a JavaScript
    error on this person's pages fails the test as well.
    """
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.expose_binding(
        "__carecoreCspViolation", lambda _source, detail: page_log.csp_violations.append(detail)
    )
    ctx.add_init_script(_CSP_LISTENER)
    try:
        page = ctx.new_page()
        page.on("console", lambda message: page_log.console.append(message))
        page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
        sign_in(page, username, password)
        yield page
    finally:
        ctx.close()


def table_row(page: Page, table_selector: str, text: str) -> Locator:
    """Return the body row of a table that mentions `text`."""
    return page.locator(f"{table_selector} tbody tr").filter(has_text=text)


@contextmanager
def responses_to(page: Page, fragment: str) -> Iterator[list[Response]]:
    """Collect the responses whose URL contains `fragment` while the block runs."""
    seen: list[Response] = []

    def keep(response: Response) -> None:
        if fragment in response.url:
            seen.append(response)

    page.on("response", keep)
    try:
        yield seen
    finally:
        page.remove_listener("response", keep)
