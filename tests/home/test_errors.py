from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404

from carecore import urls as project_urls
from carecore.home import views
from tests.conftest import canary

from .html import inline_code

# What a URL could carry in a careless link: a person's name, a document number.
SENSITIVE = canary("Maria-Ivanova-passport-AB1234567")


def test_project_uses_the_generic_error_handlers():
    assert project_urls.handler400 == "carecore.home.views.bad_request"
    assert project_urls.handler403 == "carecore.home.views.permission_denied"
    assert project_urls.handler404 == "carecore.home.views.page_not_found"
    assert project_urls.handler500 == "carecore.home.views.server_error"


@pytest.mark.django_db
def test_404_for_an_anonymous_visitor_does_not_echo_the_address(client, settings):
    settings.DEBUG = False

    response = client.get(f"/nowhere/patients/{SENSITIVE}/")

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "canary" not in response.text.lower()
    assert SENSITIVE not in response.text
    assert "/nowhere/" not in response.text


@pytest.mark.django_db
def test_404_for_a_signed_in_user_does_not_echo_the_address_or_query(
    client, settings, clinician, sign_in
):
    settings.DEBUG = False
    sign_in(clinician)

    response = client.get(f"/nowhere/records/{SENSITIVE}/", {"name": SENSITIVE})

    assert response.status_code == 404
    assert SENSITIVE not in response.text
    assert "/nowhere/" not in response.text
    assert inline_code(response.content) == []


@pytest.mark.django_db
def test_404_handler_ignores_the_exception_message(rf, clinician):
    request = rf.get("/x/")
    request.user = clinician

    response = views.page_not_found(request, Http404(f"No patient matches {SENSITIVE}"))

    assert response.status_code == 404
    assert SENSITIVE not in response.content.decode()


@pytest.mark.django_db
def test_403_page_is_generic(rf, clinician):
    request = rf.get(f"/nowhere/patients/{SENSITIVE}/")
    request.user = clinician

    response = views.permission_denied(request, PermissionDenied(f"not on team of {SENSITIVE}"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "Access denied" in html
    assert SENSITIVE not in html
    assert inline_code(html) == []


def test_400_page_is_generic_and_needs_no_database(rf):
    response = views.bad_request(rf.get(f"/{SENSITIVE}/"), SuspiciousOperation(SENSITIVE))

    assert response.status_code == 400
    assert SENSITIVE not in response.content.decode()


def test_500_page_renders_without_database_or_context_processors(rf):
    # No django_db mark: any query would fail this test.
    response = views.server_error(rf.get(f"/{SENSITIVE}/"))

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert SENSITIVE not in html
    assert 'lang="en"' in html
    assert inline_code(html) == []


@pytest.mark.urls("tests.home.urls_failing")
@pytest.mark.django_db
def test_an_unhandled_error_shows_the_generic_500_page(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False

    response = client.get("/fail/")

    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "detail-that-must-stay-private" not in response.text
    assert "Traceback" not in response.text
    assert "no-store" in response["Cache-Control"]
