"""Confidentiality rules: everyone acknowledges the current version before working."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from carecore.accounts.forms_access import CONFIRM_PUBLISH_REQUIRED, CONFIRM_READ_REQUIRED
from carecore.accounts.models import ConfidentialityRules, RulesAcknowledgement
from carecore.accounts.permissions import NOT_ALLOWED_TO_PUBLISH_RULES, AccessChangeRefused
from carecore.accounts.selectors import rules_current, user_has_acknowledged_current
from carecore.accounts.services.rules import rules_acknowledge, rules_publish
from carecore.accounts.views.rules import NEWER_VERSION_PUBLISHED
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

HOME = "/"


def rules_url(next_url: str = HOME) -> str:
    return f"{reverse('accounts:rules')}?{urlencode({'next': next_url}, safe='/')}"


def acknowledge_through_page(client, *, version: int, next_url: str = HOME):
    return client.post(
        reverse("accounts:rules"), {"version": version, "confirm": "on", "next": next_url}
    )


def events(event_type):
    return AuditEvent.objects.filter(event_type=event_type)


class TestFirstVersion:
    def test_migration_publishes_version_1(self):
        rules = rules_current()

        assert rules is not None
        assert rules.version == 1
        assert rules.published_by is None
        for point in ("privacy officer", "personal", "care team", "left the organisation"):
            assert point in rules.body


class TestAcknowledgement:
    def test_user_is_sent_to_the_rules_then_reaches_home(self, client, clinician):
        client.force_login(clinician)

        blocked = client.get(HOME)
        assert blocked.status_code == 302
        assert blocked.url == rules_url(HOME)

        page = client.get(blocked.url)
        assert page.status_code == 200
        assert page.context["rules"].version == 1
        assert page.context["acknowledged"] is False
        assert rules_current().body.splitlines()[0] in page.content.decode()

        done = acknowledge_through_page(client, version=1)
        assert done.status_code == 302
        assert done.url == HOME
        assert client.get(HOME).status_code == 200

    def test_every_page_outside_the_allowlist_waits(self, client, clinician, admin_user):
        client.force_login(admin_user)

        response = client.get(reverse("accounts:user_list") + "?q=a")

        assert response.status_code == 302
        assert response.url == rules_url(reverse("accounts:user_list") + "?q=a")

    def test_allowlisted_pages_do_not_wait(self, client, clinician):
        client.force_login(clinician)

        assert client.get(reverse("home:health")).status_code == 200
        assert client.get(reverse("accounts:rules")).status_code == 200

    def test_acknowledgement_is_audited_once(self, client, clinician):
        client.force_login(clinician)

        acknowledge_through_page(client, version=1)
        rules_acknowledge(user=clinician, rules=rules_current())

        assert RulesAcknowledgement.objects.filter(user=clinician).count() == 1
        event = events(EventType.RULES_ACKNOWLEDGED).get()
        assert event.actor_id == clinician.pk
        assert event.outcome == Outcome.SUCCESS
        assert event.target_type == "accounts.confidentialityrules"
        assert event.details == {"version": 1}

    def test_the_box_must_be_ticked(self, client, clinician):
        client.force_login(clinician)

        response = client.post(reverse("accounts:rules"), {"version": 1, "next": HOME})

        assert response.status_code == 200
        assert response.context["form"].errors["confirm"] == [str(CONFIRM_READ_REQUIRED)]
        assert not RulesAcknowledgement.objects.filter(user=clinician).exists()

    def test_next_cannot_leave_the_site(self, client, clinician):
        client.force_login(clinician)

        response = acknowledge_through_page(client, version=1, next_url="https://evil.example/")

        assert response.status_code == 302
        assert response.url == reverse("home:home")

    def test_no_published_version_means_no_redirect(self, client, clinician):
        ConfidentialityRules.objects.all().delete()
        client.force_login(clinician)

        assert client.get(HOME).status_code == 200

    def test_selector_answers_with_one_query_per_request(
        self, clinician, django_assert_num_queries
    ):
        with django_assert_num_queries(1):
            assert user_has_acknowledged_current(clinician) is False
            assert user_has_acknowledged_current(clinician) is False

        rules_acknowledge(user=clinician, rules=rules_current())

        with django_assert_num_queries(1):
            assert user_has_acknowledged_current(clinician) is True


class TestNewVersion:
    def test_publishing_version_2_asks_everyone_again(self, client, admin_user, clinician):
        rules_acknowledge(user=clinician, rules=rules_current())
        rules_acknowledge(user=admin_user, rules=rules_current())
        client.force_login(admin_user)
        publish_page = client.get(reverse("accounts:rules_publish"))
        assert publish_page.status_code == 200
        assert publish_page.context["form"].initial["title"] == rules_current().title

        response = client.post(
            reverse("accounts:rules_publish"),
            {"title": "Revised rules", "body": "1. Only the care team.", "confirm": "on"},
        )

        assert response.status_code == 302
        current = rules_current()
        assert (current.version, current.title, current.published_by) == (
            2,
            "Revised rules",
            admin_user,
        )
        published = events(EventType.RULES_PUBLISHED).get()
        assert (published.actor_id, published.details) == (admin_user.pk, {"version": 2})
        # The publisher is asked too.
        assert client.get(HOME).url == rules_url(HOME)
        clinician_client = Client()
        clinician_client.force_login(clinician)
        assert clinician_client.get(HOME).url == rules_url(HOME)
        acknowledge_through_page(clinician_client, version=2)
        assert clinician_client.get(HOME).status_code == 200
        assert events(EventType.RULES_ACKNOWLEDGED).filter(details__version=2).count() == 1

    def test_publishing_needs_the_confirmation(self, client, admin_user):
        rules_acknowledge(user=admin_user, rules=rules_current())
        client.force_login(admin_user)

        response = client.post(reverse("accounts:rules_publish"), {"title": "T", "body": "B"})

        assert response.status_code == 200
        assert response.context["form"].errors["confirm"] == [str(CONFIRM_PUBLISH_REQUIRED)]
        assert rules_current().version == 1
        assert not events(EventType.RULES_PUBLISHED).exists()

    def test_acknowledging_an_outdated_version_is_refused(self, client, admin_user, clinician):
        rules_publish(actor=admin_user, title="v2", body="Text two.")
        client.force_login(clinician)

        response = acknowledge_through_page(client, version=1)

        assert response.status_code == 200
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            str(NEWER_VERSION_PUBLISHED)
        ]
        assert not RulesAcknowledgement.objects.filter(user=clinician).exists()

    def test_non_publisher_cannot_publish(self, client, manager):
        with pytest.raises(AccessChangeRefused) as refused:
            rules_publish(actor=manager, title="T", body="B")
        assert str(refused.value) == str(NOT_ALLOWED_TO_PUBLISH_RULES)

        rules_acknowledge(user=manager, rules=rules_current())
        client.force_login(manager)
        response = client.post(
            reverse("accounts:rules_publish"), {"title": "T", "body": "B", "confirm": "on"}
        )

        assert response.status_code == 403
        assert rules_current().version == 1
        denied = events(EventType.ACCESS_DENIED).get()
        assert denied.details == {"view": "accounts:rules_publish", "reason": "role"}
