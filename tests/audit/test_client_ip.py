"""The client address that audit events and lockouts record."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from carecore.audit.context import client_ip


def _request(remote="10.0.0.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.CARECORE_TRUSTED_PROXY_COUNT = 0

    assert client_ip(_request(forwarded="203.0.113.7")) == "10.0.0.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        # A client-supplied entry to the left of the proxy's is never believed.
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
        # Fewer entries than proxies, or garbage: fall back to the peer address.
        (2, "203.0.113.7", "10.0.0.9"),
        (1, "not-an-address", "10.0.0.9"),
        (1, "", "10.0.0.9"),
    ],
)
def test_trusted_proxies_name_the_client(settings, proxies, forwarded, expected):
    settings.CARECORE_TRUSTED_PROXY_COUNT = proxies

    assert client_ip(_request(forwarded=forwarded)) == expected
