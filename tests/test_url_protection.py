"""Every URL the project serves requires sign-in, except an explicit allowlist.

The URL resolver is walked, so a page added later is covered without touching this file.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import (
    IntConverter,
    PathConverter,
    SlugConverter,
    StringConverter,
    UUIDConverter,
)
from django.urls.resolvers import RoutePattern

pytestmark = pytest.mark.django_db

# The only pages an anonymous visitor may open, each for a reason. Static files are served by
# whitenoise before URL resolution and are not in the resolver.
ALLOWED_ANONYMOUS = frozenset(
    {
        "accounts:login",  # signing in
        "home:health",  # the load balancer's probe
        # A new account sets its first password through a one-time signed link; the person
        # has no password yet, so cannot be signed in.
        "accounts:password_set",
        # A calendar app fetches the personal supervision feed without a session; the secret,
        # revocable token in the URL is the credential (unknown or revoked: 404).
        "supervision:calendar_feed",
    }
)

SAMPLE_BY_CONVERTER = {
    IntConverter: "1",
    UUIDConverter: str(uuid.UUID(int=1)),
    SlugConverter: "x",
    StringConverter: "x",
    PathConverter: "x",
}
_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _sample_route(pattern: RoutePattern) -> str:
    route = str(pattern._route)
    converters = pattern.converters

    def sample(match: re.Match[str]) -> str:
        converter = converters[match.group("name")]
        for kind, value in SAMPLE_BY_CONVERTER.items():
            if type(converter) is kind:
                return value
        raise AssertionError(
            f"No sample value for converter {type(converter).__name__} in {route!r}: "
            "add one to SAMPLE_BY_CONVERTER."
        )

    return _ROUTE_PARAMETER.sub(sample, route)


def _sample_regex(pattern) -> str:
    regex = pattern.regex.pattern
    if pattern.regex.groups:
        raise AssertionError(f"No sample for regex pattern {regex!r}: give it a route instead.")
    return regex.lstrip("^").rstrip("$").replace("\\", "")


def _sample(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _sample_route(pattern)
    return _sample_regex(pattern)


def walk(patterns=None, prefix: str = "/", namespace: str = "") -> Iterator[tuple[str, str]]:
    """Yield (qualified name or "<unnamed>", sample path) for every URL pattern."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        path = prefix + _sample(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, path, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else f"<unnamed {path}>"
            yield name, path


ALL_URLS = sorted(walk())
PROTECTED = [(name, path) for name, path in ALL_URLS if name not in ALLOWED_ANONYMOUS]


def test_the_walk_finds_the_projects_pages():
    names = {name for name, _path in ALL_URLS}

    assert "home:home" in names
    assert "home:health" in names


@pytest.mark.parametrize(("name", "path"), PROTECTED, ids=[name for name, _ in PROTECTED])
def test_anonymous_get_is_sent_to_sign_in(client, name, path):
    response = client.get(path)

    login = resolve_url(settings.LOGIN_URL)
    assert response.status_code == 302, name
    assert response["Location"] == f"{login}?next={quote(path)}", name


def test_health_check_answers_anonymously(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_sign_in_page_opens_anonymously(client):
    response = client.get(resolve_url(settings.LOGIN_URL))

    assert response.status_code == 200


def test_the_allowlist_names_only_existing_pages():
    names = {name for name, _path in ALL_URLS}

    assert names >= ALLOWED_ANONYMOUS
