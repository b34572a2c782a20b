"""Small helpers for the data lifecycle browser tests: downloads, sealed packages, people."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pyzipper
from playwright.sync_api import Locator, Page

from carecore.accounts.models import User
from lifecycle.packaging.archive import MANIFEST_NAME
from lifecycle.packaging.build import BUNDLE_NAME, HTML_NAME
from tests.conftest import acknowledge_current_rules
from tests.factories import UserFactory

# Invented for these tests; it only protects an account of the test database.
SECOND_OFFICER_PASSWORD = "browser-second-officer-2026"


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes


def download_from(page: Page, link: Locator) -> Download:
    """Click `link` and return the file the browser saved."""
    with page.expect_download() as info:
        link.click()
    download = info.value
    path = download.path()
    assert path is not None, download.failure()
    return Download(filename=download.suggested_filename, content=Path(path).read_bytes())


def passphrase_on(page: Page) -> str:
    """Return the one-time passphrase shown on the page after an approval."""
    text = page.locator(".passphrase code").inner_text().strip()
    assert len(text) >= 20, "a passphrase long enough to protect the package is shown"
    return text


def package_open(content: bytes, passphrase: str) -> dict[str, bytes]:
    """Return every file of a sealed package, read with `passphrase`; check the manifest.

    The archive holds the readable record, the FHIR bundle and a manifest whose SHA-256
    hashes and sizes match the files it lists.
    """
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        archive.setpassword(passphrase.encode())
        files = {name: archive.read(name) for name in archive.namelist()}
    assert set(files) == {HTML_NAME, BUNDLE_NAME, MANIFEST_NAME}
    manifest = json.loads(files[MANIFEST_NAME])
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == {HTML_NAME, BUNDLE_NAME}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest(), name
        assert entry["size"] == len(files[name]), name
    bundle = json.loads(files[BUNDLE_NAME])
    assert bundle["resourceType"] == "Bundle"
    assert any(e["resource"]["resourceType"] == "Patient" for e in bundle["entry"])
    return files


def second_privacy_officer(username: str = "privacy2") -> User:
    """Create a second privacy officer (manager role) who can sign in with the test password."""
    officer = UserFactory(
        username=username,
        first_name="Second",
        last_name="Officer",
        roles=["manager"],
        is_privacy_officer=True,
        password=SECOND_OFFICER_PASSWORD,
    )
    acknowledge_current_rules(officer)
    return officer
