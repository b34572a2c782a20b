from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture
def home_response(client, clinician, sign_in):
    sign_in(clinician)
    response = client.get(reverse("home:home"))
    assert response.status_code == 200
    return response


def test_pages_may_not_be_framed(home_response):
    assert home_response["X-Frame-Options"] == "DENY"


def test_content_types_are_not_sniffed(home_response):
    assert home_response["X-Content-Type-Options"] == "nosniff"


def test_referrer_stays_on_this_site(home_response):
    assert home_response["Referrer-Policy"] == "same-origin"


def test_content_security_policy_allows_only_this_origins_scripts_and_styles(home_response):
    directives = _directives(home_response["Content-Security-Policy"])

    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in home_response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in home_response["Content-Security-Policy"]


def test_pages_are_never_stored_by_browsers_or_proxies(home_response):
    assert "no-store" in home_response["Cache-Control"]


def test_the_sign_in_redirect_is_not_stored_either(client):
    response = client.get(reverse("home:home"))

    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]


def test_static_files_are_cacheable(settings):
    # Serve from the source folders, as in a collected deployment, through whitenoise.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()

    response = client.get("/static/css/carecore.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age=" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
