"""Building release packages: readable HTML, a FHIR R4 Bundle, a SHA-256 manifest, sealed
in an AES-256 zip whose passphrase is shown once.

Contract used by referrals, legal releases and patient access copies (implemented in
`build.py`):

    package_build(*, actor, patient, kind, options) -> BuiltPackage

`options` (PackageOptions) says which sections, notes and attachments go in and what is
redacted; the caller has already checked consent or the legal basis and the second approval.
`BuiltPackage.passphrase` is the only copy of the passphrase: show it once, never store it.
"""

from .archive import passphrase_generate
from .build import package_build
from .fhir import BundleInvalid
from .options import BuiltPackage, PackageOptions

__all__ = [
    "BuiltPackage",
    "BundleInvalid",
    "PackageOptions",
    "package_build",
    "passphrase_generate",
]
