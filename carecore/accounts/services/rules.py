"""Publishing the confidentiality rules and recording that people have read them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import ConfidentialityRules, RulesAcknowledgement, User
from ..permissions import NOT_ALLOWED_TO_PUBLISH_RULES, AccessChangeRefused, can_publish_rules
from ..selectors import ACKNOWLEDGED_CACHE_ATTR


@transaction.atomic
def rules_publish(*, actor: User, title: str, body: str) -> ConfidentialityRules:
    """Publish `body` as the next version of the rules; everyone is asked to acknowledge it."""
    if not can_publish_rules(actor):
        raise AccessChangeRefused(NOT_ALLOWED_TO_PUBLISH_RULES)
    # Two publishers at once: the unique version makes the second one fail rather than
    # silently share a number.
    latest = ConfidentialityRules.objects.aggregate(latest=Max("version"))["latest"] or 0
    rules = ConfidentialityRules.objects.create(
        version=latest + 1, title=title, body=body, published_by=actor
    )
    audit_event_record(
        event_type=EventType.RULES_PUBLISHED,
        actor=actor,
        target=rules,
        details={"version": rules.version},
    )
    return rules


@transaction.atomic
def rules_acknowledge(*, user: User, rules: ConfidentialityRules) -> RulesAcknowledgement:
    """Record that `user` has read and accepts `rules`; acknowledging twice changes nothing."""
    acknowledgement, created = RulesAcknowledgement.objects.get_or_create(user=user, rules=rules)
    if created:
        audit_event_record(
            event_type=EventType.RULES_ACKNOWLEDGED,
            actor=user,
            target=rules,
            details={"version": rules.version},
        )
    # The per-request answer cached by the selector is stale now. (delattr, not __dict__:
    # request.user is a lazy proxy that forwards attribute deletion to the real user.)
    if hasattr(user, ACKNOWLEDGED_CACHE_ATTR):
        delattr(user, ACKNOWLEDGED_CACHE_ATTR)
    return acknowledgement
