from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

from .html import find, inline_code, tags_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in_page(client, clinician, sign_in):
    sign_in(clinician)
    return client.get("/").content.decode()


@pytest.fixture
def anonymous_page():
    # The 404 page is the one page of the layout an anonymous visitor can reach here.
    return Client().get("/nowhere/").content.decode()


def test_layout_declares_language_and_viewport(signed_in_page):
    assert find(signed_in_page, "html", lang="en")
    assert find(signed_in_page, "meta", name="viewport")


def test_layout_has_the_landmarks_in_order(signed_in_page):
    landmarks = [
        name
        for name, _attrs in tags_of(signed_in_page)
        if name in {"header", "nav", "main", "footer"}
    ]
    assert landmarks == ["header", "nav", "main", "footer"]
    assert find(signed_in_page, "nav", aria_label="Main")


def test_skip_link_comes_first_and_targets_main(signed_in_page):
    links = find(signed_in_page, "a")
    assert links[0] == {"class": "skip-link", "href": "#main"}
    assert find(signed_in_page, "main", id="main")


def test_csrf_token_is_available_to_scripts(signed_in_page):
    (meta,) = find(signed_in_page, "meta", name="csrf-token")
    assert len(meta["content"]) >= 32


def test_body_carries_the_session_timeout_settings(client, clinician, settings, sign_in):
    settings.CARECORE_SESSION_IDLE_TIMEOUT = timedelta(minutes=15)
    sign_in(clinician)

    (body,) = find(client.get("/").content, "body")

    assert body["data-session-idle-seconds"] == "900"
    assert body["data-keepalive-url"] == "/accounts/session/keepalive/"


def test_session_timeout_script_loads_deferred_for_signed_in_users_only(
    signed_in_page, anonymous_page
):
    scripts = find(signed_in_page, "script")
    assert {"src": "/static/js/session-timeout.js", "defer": None} in scripts
    assert {"src": "/static/js/carecore.js", "defer": None} in scripts
    assert not [s for s in find(anonymous_page, "script") if "session-timeout" in s["src"]]
    (body,) = find(anonymous_page, "body")
    assert "data-session-idle-seconds" not in body


def test_sign_out_is_a_post_form_with_csrf(client, clinician, sign_in):
    sign_in(clinician)
    html = client.get("/").content.decode()

    assert find(html, "form", method="post", action=reverse("accounts:logout"))
    assert find(html, "input", type="hidden", name="csrfmiddlewaretoken")
    assert find(html, "button", type="submit", **{"class": "button-signout"})


def test_signed_in_user_is_named(client, sign_in):
    user = UserFactory(first_name="Odile", last_name="Brandt")
    sign_in(user)

    assert "Odile Brandt" in client.get("/").content.decode()


def test_demo_marker_shows_only_in_a_demo(client, clinician, settings, sign_in):
    sign_in(clinician)
    settings.CARECORE_DEMO = True
    demo = client.get("/").content.decode()
    settings.CARECORE_DEMO = False
    real = client.get("/").content.decode()

    assert find(demo, "div", **{"class": "demo-banner", "role": "note"})
    assert "(demo)" in demo
    assert not find(real, "div", **{"class": "demo-banner", "role": "note"})
    assert "Demo" not in real


def test_current_page_is_marked_for_assistive_technology(signed_in_page):
    assert find(signed_in_page, "a", href="/", aria_current="page")


def test_layout_and_error_pages_hold_no_inline_code(signed_in_page, anonymous_page):
    assert inline_code(signed_in_page) == []
    assert inline_code(anonymous_page) == []


def test_stylesheet_needs_no_network_and_styles_the_shared_states():
    with open(finders.find("css/carecore.css"), encoding="utf-8") as stylesheet:
        css = stylesheet.read()

    assert "@import" not in css
    assert "http://" not in css and "https://" not in css
    assert ".button-danger" in css
    assert '[aria-invalid="true"]' in css
    assert ":focus-visible" in css
